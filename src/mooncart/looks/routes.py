"""Shoppers' looks: a look's own page (/look/<slug>) and "Add the look", also offered on the
product page of each piece (extras.py). Over htmx the look's region comes back in place (200,
or 422 with the reason) with the header's bag count; without JavaScript the form is a plain POST
that answers 303 to the page it came from, or that page again (422) with the reason."""

from __future__ import annotations

from quart import Response, abort, flash, redirect, request, url_for

from ..accounts.auth import shopper_id
from ..bag.token import clear_bag_cookie, read_bag_cookie, set_bag_cookie
from ..catalog.product_page import product_page_context
from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..pages import render_page
from . import extras, queries, staff  # noqa: F401 # importing registers the product page's region and the staff views
from .bagging import add_look_to_bag
from .blueprint import bp
from .rules import Look, LookRefused, read_choices

__all__ = ["bp"]

TAMPERED = "Your bag cookie could not be verified, so nothing was changed. We have cleared it: please try again."
LOOK_GONE = "Sorry, this look is no longer in our shop, so nothing was added."


async def shown_look(conn, slug: str) -> Look | None:
    """The published look at this address with the pieces shoppers see, or None when there is
    none or fewer than two of its pieces are still for sale."""
    look = await queries.select_shown_look(conn, slug)
    return look if look is not None and look.is_shown else None


@bp.get("/look/<look_slug>")
async def show(look_slug: str):
    """A look's own page: its pieces, each with a size picker, and one "Add the look" button."""
    conn = await get_conn()
    look = await shown_look(conn, look_slug)
    if look is None:
        abort(404)
    if look.slug != look_slug:  # /look/FESTIVE-SET, matched by the collation: one address per page
        return redirect(url_for("looks.show", look_slug=look.slug), 301)
    return await render_page("looks/look.html", complete_look=look)


def came_from(form, look: Look) -> str | None:
    """The product page the form was on (one of the look's pieces), or None for the look's own page."""
    slug = form.get("from") or ""
    return slug if any(piece.slug == slug for piece in look.pieces) else None


async def refuse(look: Look | None, refused: LookRefused, form, *, clear_cookie: bool = False) -> Response:
    """Nothing was added (422): htmx gets the look's region back with the reason and the sizes the
    shopper chose; without JavaScript the page the form was on comes back with the same."""
    region = dict(
        look_error=refused.message,
        look_problems=refused.problems,
        look_chosen={key.removeprefix("piece-"): form.get(key) for key in form if key.startswith("piece-")},
    )
    if look is None:
        if is_htmx():
            response = await fragment("looks/replies/gone.html", status=422, message=refused.message)
        else:
            response = await render_page("bag/problem.html", status=422, message=refused.message)
    elif is_htmx():
        response = await fragment(
            "looks/_look.html", status=422, complete_look=look, look_from=came_from(form, look), **region
        )
    else:
        slug = came_from(form, look)
        context = await product_page_context(await get_conn(), slug) if slug else None
        if context is None:
            response = await render_page("looks/look.html", status=422, complete_look=look, **region)
        else:
            context.update(complete_look=look, **region)
            response = await render_page("catalog/product.html", status=422, **context)
    if clear_cookie:
        clear_bag_cookie(response)
    return response


@bp.post("/look/<look_slug>/add")
async def add(look_slug: str):
    """Add one of each piece, in the sizes chosen, to the bag: every piece or none (bagging.py)."""
    form = await request.form
    conn = await get_conn()
    look = await shown_look(conn, look_slug)
    if look is None:
        return await refuse(None, LookRefused(LOOK_GONE), form)
    cookie = read_bag_cookie()
    if cookie.tampered:
        return await refuse(look, LookRefused(TAMPERED), form, clear_cookie=True)
    try:
        choices = read_choices(form, look)
        added = await add_look_to_bag(conn, look, choices, cookie.token, await shopper_id())
    except LookRefused as refused:
        return await refuse(look, refused, form)

    slug = came_from(form, look)
    if is_htmx():
        on_page = {piece.product_id for piece in look.pieces if piece.slug == slug}
        response = await fragment(
            "looks/replies/add.html",
            complete_look=look,
            look_from=slug,
            look_added=len(choices),
            bag_count=added.bag_count,
            badges=[variant for variant in added.variants if variant["product_id"] in on_page],
        )
    else:
        await flash(f"Added the look to your bag: {len(choices)} pieces from {look.name}.")
        response = see_other(
            url_for("catalog.product", slug=slug) if slug else url_for("looks.show", look_slug=look.slug)
        )
    if added.token != cookie.token:
        set_bag_cookie(response, added.token)
    return response
