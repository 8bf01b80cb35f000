"""The wishlist: a heart on product cards and the product page that adds or removes a product in
place (htmx swaps the heart; without JavaScript a POST and a 303 back), the wishlist page with
"Move to bag" per product and size, and its live stream that marks sizes back in stock.

Signed-in shoppers only. A guest who presses a heart is sent to log in; the wish waits in her
signed session (the product and when) and is made when she logs in or registers, within
PENDING_WISH_SECONDS, and she comes back to the page she was on (`next`, through safe_next)."""

from __future__ import annotations

import time

from quart import Blueprint, Response, abort, flash, render_template, request, session, url_for

from ..accounts.auth import current_shopper, login_required, on_sign_in, shopper_id, signed_in_shopper
from ..bag.queries import select_bag_count
from ..bag.token import read_bag_cookie, set_bag_cookie
from ..db import get_conn, retrying
from ..htmx import fragment, is_htmx, see_other, vary_on_htmx
from ..inventory.live import event_stream
from ..pages import render_page
from ..parsing import parse_id
from ..redirects import safe_next
from . import (
    queries,
    recent,  # noqa: F401  # registers the recently-viewed rows of the product and bag pages
)
from .hearts import forget_wished_ids, hearts_in_catalog_fragments
from .moving import Refused, move_to_bag
from .rules import back_in_stock, group_wishlist, pending_wish, sold_out_sizes

bp = Blueprint("wishlist", __name__)
bp.app_context_processor(hearts_in_catalog_fragments)

PENDING = "wish_after_login"  # in the signed session: the product a guest hearted, and when
ID = "<int(max=4294967295):product_id>"


async def wished_product(product_id: int) -> dict:
    """The product a heart names, or a 404 when there is no such product."""
    product = await queries.select_product(await get_conn(), product_id)
    if product is None:
        abort(404)
    return product


async def heart_changed(product: dict, wished: bool, back: str, message: str) -> Response:
    """The heart as it is now (htmx swaps it in place), or without JavaScript a 303 back with a note."""
    if is_htmx():
        ids = frozenset({product["id"]}) if wished else frozenset()
        return await fragment("wishlist/_heart.html", product=product, wished_ids=ids, heart_next=back)
    await flash(message)
    return see_other(back)


def to_log_in(back: str) -> Response:
    """A guest goes to log in and comes back to `back`. htmx gets HX-Redirect, which it follows
    with a full navigation (a 303 would be fetched and the log-in page swapped into the heart)."""
    login = url_for("accounts.login", next=back)
    if is_htmx():
        response = Response("", status=200)
        response.headers["HX-Redirect"] = login
        return vary_on_htmx(response)
    return see_other(login)


@bp.post("/wishlist/items/" + ID)
async def add(product_id: int):
    """Fill the heart: the product goes in the wishlist (a second press changes nothing). A guest
    is sent to log in first, and the wish is made when she has."""
    form = await request.form
    product = await wished_product(product_id)
    back = safe_next(form.get("next"), default=url_for("catalog.product", slug=product["slug"]))
    shopper = await current_shopper()
    if shopper is None:
        session[PENDING] = {"product": product_id, "at": int(time.time())}
        return to_log_in(back)
    await queries.insert_item(await get_conn(), shopper["id"], product_id)
    forget_wished_ids()
    return await heart_changed(product, True, back, f"{product['name']} is in your wishlist.")


@bp.post("/wishlist/items/" + ID + "/remove")
async def remove(product_id: int):
    """Empty the heart: the product leaves the wishlist (pressing it again changes nothing)."""
    form = await request.form
    product = await wished_product(product_id)
    back = safe_next(form.get("next"), default=url_for("catalog.product", slug=product["slug"]))
    shopper = await current_shopper()
    if shopper is None:
        return to_log_in(back)
    await queries.delete_item(await get_conn(), shopper["id"], product_id)
    forget_wished_ids()
    return await heart_changed(product, False, back, f"{product['name']} is out of your wishlist.")


@on_sign_in
async def wish_made_before_logging_in(conn, user_id: int) -> None:
    """The heart a guest pressed before logging in (or registering) is filled now."""
    product_id = pending_wish(session.pop(PENDING, None), time.time())
    if product_id is not None and await queries.insert_item_if_product(conn, user_id, product_id):
        await flash("We saved the piece you chose to your wishlist.")


async def wishlist_context(conn, user_id: int, **extra) -> dict:
    """What the wishlist page and its region show, from one statement."""
    products = group_wishlist(await queries.select_wishlist_rows(conn, user_id))
    return dict(
        products=products,
        wished_ids=frozenset(product.id for product in products),
        heart_next=url_for("wishlist.show"),
        **extra,
    )


async def wishlist_page(status: int = 200, **extra) -> Response:
    """The wishlist page, also with a refusal's message beside its product."""
    shopper = await signed_in_shopper()
    return await render_page(
        "wishlist/wishlist.html", status=status, **await wishlist_context(await get_conn(), shopper["id"], **extra)
    )


@bp.get("/wishlist")
@login_required
async def show():
    """The shopper's wishlist: each product with its sizes, "Move to bag", and the heart to remove it."""
    return await wishlist_page()


async def refuse_move(message: str, product_id: int) -> Response:
    """A move that cannot be made (422): the message beside its product; htmx gets the list region."""
    if not is_htmx():
        return await wishlist_page(status=422, error=message, error_product_id=product_id)
    shopper = await signed_in_shopper()
    context = await wishlist_context(await get_conn(), shopper["id"], error=message, error_product_id=product_id)
    return await fragment("wishlist/replies/moved.html", status=422, **context)


@bp.post("/wishlist/items/" + ID + "/move")
@login_required
async def move(product_id: int):
    """Move one of the chosen size to the bag (the bag's own rules) and out of the wishlist."""
    form = await request.form
    shopper = await signed_in_shopper()
    variant_id = parse_id(form.get("variant_id"))
    if variant_id is None:
        return await refuse_move(
            "Please choose a size first."
            if not form.get("variant_id")
            else "Sorry, that size is no longer in our shop.",
            product_id,
        )
    conn, cookie = await get_conn(), read_bag_cookie()
    try:
        token = await retrying(lambda: move_to_bag(conn, shopper["id"], product_id, variant_id, cookie.token))
    except Refused as refusal:
        return await refuse_move(str(refusal), product_id)
    product = await queries.select_product(conn, product_id)
    moved = f"Moved {product['name'] if product else 'it'} to your bag."
    if is_htmx():
        bag_count = await select_bag_count(conn, token, shopper["id"])
        context = await wishlist_context(conn, shopper["id"], moved=moved, bag_count=bag_count)
        response = await fragment("wishlist/replies/moved.html", **context)
    else:
        await flash(moved)
        response = see_other(url_for("wishlist.show"))
    if token != cookie.token:
        set_bag_cookie(response, token)
    return response


@bp.get("/wishlist/live")
async def live():
    """The open wishlist page's sizes, kept current as stock moves: a size that was sold out when
    the page opened and is restocked shows "Back in stock"."""
    user_id = await shopper_id()
    if user_id is None:
        return Response(status=204)  # nothing to watch; htmx does not retry a 204
    products = group_wishlist(await queries.select_wishlist_rows(await get_conn(), user_id))
    watched = {size["id"] for product in products for size in product.sizes}
    if not watched:
        return Response(status=204)
    sold_out = sold_out_sizes(products)
    back = url_for("wishlist.show")

    async def render(conn, changed: set[int]) -> str:
        """The wishlist's products whose sizes changed, as they are now."""
        rows = await queries.select_wishlist_rows(conn, user_id)
        now = group_wishlist(rows)
        shown = group_wishlist(rows, back_in_stock(sold_out, now))
        return await render_template(
            "wishlist/replies/live.html",
            products=[product for product in shown if any(size["id"] in changed for size in product.sizes)],
            wished_ids=frozenset(product.id for product in shown),
            heart_next=back,
        )

    return event_stream(watched, render)
