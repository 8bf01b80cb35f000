"""The back office's looks (staff only): the list, a new look, a look's details, its pieces (add,
remove, reorder: the pieces region is swapped in place over htmx, a plain form gets a 303),
publishing and deleting. Every change to a look's pieces holds the look's row lock, so positions
stay distinct and a published look keeps at least two pieces for sale."""

from __future__ import annotations

import re

from pymysql.err import IntegrityError
from quart import abort, flash, request, url_for

from ..admin.access import staff_required
from ..db import get_conn, transaction
from ..htmx import fragment, is_htmx, see_other
from ..pages import render_page
from ..parsing import MAX_ID
from . import queries
from .blueprint import ID, bp
from .rules import MAX_PIECES, Look, can_publish, read_look_details

SLUG_TAKEN = "There is already a look at this address: choose another."
NOT_IN_LOOK = "That product is not in this look (it may have been removed meanwhile)."


def product_reference(raw: str | None) -> tuple[str | None, int | None]:
    """What staff typed to name a product: its style code ("MC0000123", as the product page shows
    it), its address (the part after /products/, or the whole link) -> (slug, id)."""
    text = (raw or "").strip()
    code = re.fullmatch(r"(?i)mc(\d{1,10})", text)
    if code:
        number = int(code.group(1))
        return None, number if 0 < number <= MAX_ID else None
    link = re.search(r"/products/([^/?#\s]+)", text)
    slug = (link.group(1) if link else text).lower()
    return (slug if re.fullmatch(r"[a-z0-9][a-z0-9-]{0,179}", slug) else None), None


async def load_look(conn, look_id: int) -> Look:
    """The look a back-office URL names, with every piece, or 404."""
    look = await queries.select_look(conn, look_id)
    if look is None:
        abort(404)
    return look


async def edit_page(conn, look: Look, *, status: int = 200, values: dict | None = None, errors=None, **region):
    """A look's page: its details form, its pieces region and the delete button."""
    return await render_page(
        "looks/staff_look.html",
        status=status,
        look=look,
        values=values or {"name": look.name, "slug": look.slug, "description": look.description},
        errors=errors or {},
        **region,
    )


@bp.get("/admin/looks")
@staff_required
async def staff_list():
    """Every look, newest first, with its pieces and whether shoppers see it."""
    return await render_page("looks/staff_looks.html", looks=await queries.select_looks(await get_conn()))


@bp.route("/admin/looks/new", methods=["GET", "POST"])
@staff_required
async def new():
    """A new look: a name, an address and a description; its pieces are added on its own page."""
    if request.method == "GET":
        return await render_page("looks/staff_new.html", values={}, errors={})
    conn = await get_conn()
    values, errors = read_look_details(await request.form)
    if not errors and await queries.select_look_id_by_slug(conn, values["slug"]) is not None:
        errors["slug"] = SLUG_TAKEN
    if not errors:
        try:
            look_id = await queries.insert_look(conn, values)
        except IntegrityError:  # the same address taken a moment ago
            errors["slug"] = SLUG_TAKEN
        else:
            await flash(f"Look “{values['name']}” created. Now add its pieces.")
            return see_other(url_for("looks.edit", look_id=look_id))
    return await render_page("looks/staff_new.html", status=422, values=values, errors=errors)


@bp.route("/admin/looks/" + ID.format("look_id"), methods=["GET", "POST"])
@staff_required
async def edit(look_id: int):
    """A look's page; its details form posts here."""
    conn = await get_conn()
    look = await load_look(conn, look_id)
    if request.method == "GET":
        return await edit_page(conn, look)
    values, errors = read_look_details(await request.form)
    if not errors and (await queries.select_look_id_by_slug(conn, values["slug"])) not in (None, look_id):
        errors["slug"] = SLUG_TAKEN
    if not errors:
        try:
            await queries.update_look(conn, look_id, values)
        except IntegrityError:
            errors["slug"] = SLUG_TAKEN
        else:
            await flash(f"Look “{values['name']}” saved.")
            return see_other(url_for("looks.edit", look_id=look_id))
    return await edit_page(conn, look, status=422, values=values, errors=errors)


async def pieces_changed(conn, look_id: int, *, note: str | None = None, error: str | None = None):
    """After a change to the pieces (or a refused one): htmx gets the pieces region, a plain form
    a 303 to the look's page, or the page again (422) with the reason."""
    look = await load_look(conn, look_id)
    if is_htmx():
        return await fragment(
            "looks/_staff_pieces.html", status=422 if error else 200, look=look, pieces_error=error, pieces_note=note
        )
    if error:
        return await edit_page(conn, look, status=422, pieces_error=error)
    if note:
        await flash(note)
    return see_other(url_for("looks.edit", look_id=look_id))


async def unpublish_if_too_few(conn, look_id: int) -> str | None:
    """After a piece left: a published look with fewer than two pieces for sale stops being shown."""
    look = await load_look(conn, look_id)
    if look.published and not can_publish(look)[0]:
        await queries.update_published(conn, look_id, False)
        return "The look has fewer than 2 pieces for sale now, so shoppers no longer see it."
    return None


@bp.post("/admin/looks/" + ID.format("look_id") + "/pieces")
@staff_required
async def add_piece(look_id: int):
    """Add a product to the look, at the end: not one that is unknown, not for sale, or already in it."""
    conn = await get_conn()
    await load_look(conn, look_id)
    typed = ((await request.form).get("product") or "").strip()
    slug, product_id = product_reference(typed)
    product = await queries.select_product_for_piece(conn, slug, product_id) if slug or product_id else None
    if not typed:
        return await pieces_changed(conn, look_id, error="Type the product's address or its style code.")
    if product is None:
        return await pieces_changed(
            conn,
            look_id,
            error=f"No product matches “{typed[:80]}”. Type its address (the part after /products/) "
            "or its style code, like MC0000123.",
        )
    if not product["for_sale"]:
        return await pieces_changed(
            conn, look_id, error=f"{product['name']} has no sizes for sale, so it cannot be part of a look."
        )
    error = None
    try:
        async with transaction(conn):
            if not await queries.lock_look(conn, look_id):
                abort(404)
            pieces = await queries.select_piece_ids(conn, look_id)
            if product["id"] in pieces:
                error = f"{product['name']} is already in this look."
            elif len(pieces) >= MAX_PIECES:
                error = f"A look has at most {MAX_PIECES} pieces."
            else:
                await queries.insert_piece(conn, look_id, product["id"], len(pieces) + 1)
                await queries.update_positions(conn, look_id, [*pieces, product["id"]])
    except IntegrityError:  # cannot happen under the look's lock; never a 500 if it does
        error = f"{product['name']} is already in this look."
    if error:
        return await pieces_changed(conn, look_id, error=error)
    return await pieces_changed(conn, look_id, note=f"Added {product['name']} to the look.")


@bp.post("/admin/looks/" + ID.format("look_id") + "/pieces/" + ID.format("product_id") + "/remove")
@staff_required
async def remove_piece(look_id: int, product_id: int):
    """Take a product out of the look (the product stays in the shop)."""
    conn = await get_conn()
    await load_look(conn, look_id)
    unpublished = None
    async with transaction(conn):
        if not await queries.lock_look(conn, look_id):
            abort(404)
        removed = await queries.delete_piece(conn, look_id, product_id)
        if removed:
            await queries.update_positions(conn, look_id, await queries.select_piece_ids(conn, look_id))
            unpublished = await unpublish_if_too_few(conn, look_id)
    if not removed:
        return await pieces_changed(conn, look_id, error=NOT_IN_LOOK)
    return await pieces_changed(conn, look_id, note=" ".join(filter(None, ["Piece removed.", unpublished])))


@bp.post("/admin/looks/" + ID.format("look_id") + "/pieces/" + ID.format("product_id") + "/move")
@staff_required
async def move_piece(look_id: int, product_id: int):
    """Move a piece one place up or down in the look's order."""
    conn = await get_conn()
    await load_look(conn, look_id)
    direction = (await request.form).get("direction")
    if direction not in ("up", "down"):
        return await pieces_changed(conn, look_id, error="Choose to move the piece up or down.")
    async with transaction(conn):
        if not await queries.lock_look(conn, look_id):
            abort(404)
        pieces = await queries.select_piece_ids(conn, look_id)
        if product_id in pieces:
            at = pieces.index(product_id)
            to = max(0, min(len(pieces) - 1, at + (-1 if direction == "up" else 1)))
            pieces[at], pieces[to] = pieces[to], pieces[at]
            await queries.update_positions(conn, look_id, pieces)
    if product_id not in pieces:
        return await pieces_changed(conn, look_id, error=NOT_IN_LOOK)
    return await pieces_changed(conn, look_id, note="Order saved.")


@bp.post("/admin/looks/" + ID.format("look_id") + "/publish")
@staff_required
async def publish(look_id: int):
    """Show the look to shoppers (only with at least two pieces for sale), or stop showing it."""
    conn = await get_conn()
    await load_look(conn, look_id)
    wanted = (await request.form).get("published")
    if wanted not in ("1", "0"):
        return await pieces_changed(conn, look_id, error="Choose to publish the look or to stop showing it.")
    error = None
    async with transaction(conn):
        if not await queries.lock_look(conn, look_id):
            abort(404)
        allowed, reason = can_publish(await load_look(conn, look_id))
        if wanted == "1" and not allowed:
            error = reason
        else:
            await queries.update_published(conn, look_id, wanted == "1")
    if error:
        return await pieces_changed(conn, look_id, error=error)
    return await pieces_changed(
        conn, look_id, note="The look is published." if wanted == "1" else "Shoppers no longer see the look."
    )


@bp.post("/admin/looks/" + ID.format("look_id") + "/delete")
@staff_required
async def delete(look_id: int):
    """Delete the look (its products stay in the shop)."""
    conn = await get_conn()
    look = await load_look(conn, look_id)
    if not await queries.delete_look(conn, look_id):
        abort(404)
    await flash(f"Look “{look.name}” deleted.")
    return see_other(url_for("looks.staff_list"))
