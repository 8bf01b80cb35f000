"""Whose bag a request uses: the one its cookie names, the signed-in shopper's, or a new guest
bag made on the first add. At sign-in the guest's bag joins the account's; at sign-out the
browser lets go of it (the bag stays with the account)."""

from __future__ import annotations

from quart import after_this_request, flash

from ..accounts.auth import current_shopper, on_sign_in, on_sign_out, shopper_id
from ..pages import layout_part
from . import queries
from .merge import claim_bag, user_cart
from .token import clear_bag_cookie, cookie_name, new_token, read_bag_cookie, set_bag_cookie


async def ensure_bag(conn, token: str | None, cart_id: int | None) -> tuple[str, int]:
    """The bag to add to, as (token, id). `cart_id` is the cookie's bag when it still exists; a
    shopper signed in on a browser without the cookie gets the account's bag, a guest a new one.
    A token that differs from the cookie's must be sent back in the reply (set_bag_cookie)."""
    if cart_id is not None and token is not None:
        return token, cart_id
    shopper = await current_shopper()
    if shopper is not None:
        return await user_cart(conn, shopper["id"])
    token = new_token()
    return token, await queries.insert_cart(conn, token)


@on_sign_in
async def bring_the_guest_bag(conn, user_id: int) -> None:
    """Join the guest's bag to the account's, tell the shopper what moved, and point the cookie
    at the bag that is left."""
    token, notes = await claim_bag(conn, read_bag_cookie().token, user_id)
    for note in notes:
        await flash(note)

    @after_this_request
    def point_cookie(response):
        """Point the bag cookie at the bag now in use, or clear it when there is none."""
        if token:
            set_bag_cookie(response, token)
        else:
            clear_bag_cookie(response)
        return response


@on_sign_out
async def let_go_of_the_bag() -> None:
    """The bag stays with the account; this browser starts afresh."""
    after_this_request(forget_bag_cookie)


def forget_bag_cookie(response):
    """After-request step: drop the bag cookie from the browser (unless the reply points it at
    a bag of its own, as the first add to a new bag does)."""
    if not any(c.startswith(cookie_name() + "=") for c in response.headers.getlist("Set-Cookie")):
        clear_bag_cookie(response)
    return response


@layout_part
async def bag_in_layout(conn, context: dict) -> None:
    """The header's bag count; and when the bag cookie was tampered with, a word about it and a
    fresh start (the cookie is cleared)."""
    cookie = read_bag_cookie()
    if "bag_count" not in context:
        count = await queries.select_bag_count(conn, cookie.token, await shopper_id())
        if count is None:  # a bag gone, or one this visitor may not use (an account's, after its session ended)
            after_this_request(forget_bag_cookie)
        context["bag_count"] = count or 0
    if cookie.tampered:
        context.setdefault("notices", []).append(
            "Your bag cookie could not be verified, so we set it aside and started you a fresh bag."
        )
        after_this_request(forget_bag_cookie)
