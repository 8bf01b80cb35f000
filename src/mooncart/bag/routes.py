"""The bag: add, change quantity, remove. htmx gets only the regions that changed; a plain form
POST gets a 303 to the page that shows the result, so everything works with JavaScript off."""

from __future__ import annotations

from quart import Blueprint, Response, flash, request, url_for

from ..accounts.auth import shopper_id
from ..catalog.product_page import product_page_context
from ..db import get_conn
from ..htmx import fragment, fragment_given, is_htmx, see_other
from ..pages import render_page
from ..parsing import BadQuantity, parse_id, parse_quantity
from . import queries
from .carts import ensure_bag
from .extras import line_changed, page_regions
from .picker import after_adding, variant_stock
from .rules import MAX_PER_LINE, Availability
from .summary import BagSummary, bag_summary
from .token import clear_bag_cookie, read_bag_cookie, set_bag_cookie

bp = Blueprint("bag", __name__)

TAMPERED = "Your bag cookie could not be verified, so nothing was changed. We have cleared it: please try again."
UNKNOWN_VARIANT = "Sorry, that item is no longer in our shop."


async def bag_page(status: int = 200, error: str | None = None, error_variant_id: int | None = None, **region_message):
    """The bag page, also with a line's error when a change was refused without JavaScript."""
    conn = await get_conn()
    summary = await bag_summary(conn, read_bag_cookie().token, await shopper_id())
    return await render_page(
        "bag/bag.html",
        status=status,
        summary=summary,
        bag_count=summary.count,
        error=error,
        error_variant_id=error_variant_id,
        **await page_regions(conn, summary, **region_message),
    )


@bp.get("/bag")
async def show():
    """The shopper's bag, line by line, with its total."""
    return await bag_page()


async def refuse_add(message: str, *, variant: dict | None = None, clear_cookie: bool = False) -> Response:
    """Bad input on add-to-bag: change nothing, say why (422). htmx gets the status message and
    the variant's badge; without JavaScript the product page comes back with the message."""
    if is_htmx():
        response = fragment_given(
            "bag/replies/add.html", status=422, add_error=message, variant=variant_stock(variant) if variant else None
        )
    else:
        context = None
        if variant is not None:
            context = await product_page_context(await get_conn(), variant["product_slug"])
        if context is None:
            response = await render_page("bag/problem.html", status=422, message=message)
        else:
            response = await render_page("catalog/product.html", status=422, add_error=message, **context)
    if clear_cookie:
        clear_bag_cookie(response)
    return response


@bp.post("/bag/add")
async def add():
    """Add a variant to the bag in two statements (look up, upsert; a new guest bag makes three),
    answering htmx with the status, the header count and the variant's badge."""
    form = await request.form
    cookie = read_bag_cookie()
    if cookie.tampered:
        return await refuse_add(TAMPERED, clear_cookie=True)
    variant_id = parse_id(form.get("variant_id"))
    if variant_id is None:
        return await refuse_add(
            "Please choose a size and colour first." if not form.get("variant_id") else UNKNOWN_VARIANT
        )
    conn = await get_conn()
    variant = await queries.select_variant_in_bag(conn, variant_id, cookie.token, await shopper_id())
    if variant is None:
        return await refuse_add(UNKNOWN_VARIANT)
    try:
        quantity = parse_quantity(form.get("quantity", "1"), most=MAX_PER_LINE)
    except BadQuantity as bad:
        return await refuse_add(str(bad), variant=variant)
    availability = Availability(variant["stock"], variant["in_bag"])
    allowed, reason = availability.is_purchase_permitted(quantity)
    if not allowed:
        return await refuse_add(reason, variant=variant)

    token, cart_id = await ensure_bag(conn, cookie.token, variant["cart_id"])
    if not await queries.add_to_line(conn, cart_id, variant_id, quantity, availability.line_limit):
        return await refuse_add("Your bag changed in another tab; please check it and try again.", variant=variant)

    if is_htmx():
        # the hot reply: its templates use none of the context processors' values (htmx.render_given)
        response = fragment_given("bag/replies/add.html", variant=after_adding(variant, quantity), added=quantity)
    else:
        await flash(f"Added {quantity} to your bag.")
        response = see_other(url_for("catalog.product", slug=variant["product_slug"]))
    if token != cookie.token:
        set_bag_cookie(response, token)
    return response


async def refuse_line_change(
    message: str, variant_id: int, summary: BagSummary | None = None, clear_cookie: bool = False
) -> Response:
    """A refused change to a bag line (422): htmx gets the line back with the message in it."""
    if is_htmx():
        response = await fragment(
            "bag/replies/line_error.html",
            status=422,
            error=message,
            variant_id=variant_id,
            line=summary.line(variant_id) if summary else None,
        )
    else:
        response = await bag_page(status=422, error=message, error_variant_id=variant_id)
    if clear_cookie:
        clear_bag_cookie(response)
    return response


async def bag_changed(summary: BagSummary, variant_id: int, removed: bool) -> Response:
    """After a line changed: htmx gets the line (or its removal), the summary and the header count."""
    if not is_htmx():
        return see_other(url_for("bag.show"))
    return await fragment(
        "bag/replies/line_changed.html",
        summary=summary,
        line=summary.line(variant_id),
        variant_id=variant_id,
        removed=removed,
        bag_count=summary.count,
        **await page_regions(await get_conn(), summary),
    )


@bp.post("/bag/items/<int(max=4294967295):variant_id>")
async def change_quantity(variant_id: int):
    """Set a bag line to the quantity typed, if the stock and the per-line cap allow it."""
    form = await request.form
    cookie = read_bag_cookie()
    if cookie.tampered:
        return await refuse_line_change(TAMPERED, variant_id, clear_cookie=True)
    conn, user_id = await get_conn(), await shopper_id()
    variant = await queries.select_variant_in_bag(conn, variant_id, cookie.token, user_id)
    if variant is None or not variant["in_bag"]:
        return await refuse_line_change("That item is not in your bag any more.", variant_id)
    try:
        quantity = parse_quantity(form.get("quantity"), most=MAX_PER_LINE)
        allowed, reason = Availability(variant["stock"], variant["in_bag"]).is_line_quantity_permitted(quantity)
        if not allowed:
            raise BadQuantity(reason)
    except BadQuantity as bad:
        return await refuse_line_change(str(bad), variant_id, await bag_summary(conn, cookie.token, user_id))
    await queries.update_line_quantity(conn, variant["cart_id"], variant_id, quantity)
    await line_changed(conn, user_id, variant_id, quantity)
    return await bag_changed(await bag_summary(conn, cookie.token, user_id), variant_id, removed=False)


@bp.post("/bag/items/<int(max=4294967295):variant_id>/remove")
async def remove(variant_id: int):
    """Take a line out of the bag."""
    cookie = read_bag_cookie()
    if cookie.tampered:
        return await refuse_line_change(TAMPERED, variant_id, clear_cookie=True)
    conn, user_id = await get_conn(), await shopper_id()
    if cookie.token is None or not await queries.delete_line(conn, cookie.token, user_id, variant_id):
        return await refuse_line_change("That item is not in your bag any more.", variant_id)
    await line_changed(conn, user_id, variant_id, 0)
    return await bag_changed(await bag_summary(conn, cookie.token, user_id), variant_id, removed=True)
