"""Whose bag a request uses: the one its cookie names, the signed-in shopper's, or a new guest
bag made on the first add."""

from __future__ import annotations

from ..accounts.auth import current_shopper
from . import queries
from .merge import user_cart
from .token import new_token


async def ensure_bag(conn, token: str | None, cart_id: int | None) -> tuple[str, int]:
    """The bag to add to, as (token, id). `cart_id` is the cookie's bag when it still exists; a
    shopper signed in on a browser without the cookie gets the account's bag, a guest a new one.
    A token that differs from the cookie's must be sent back in the reply (set_bag_cookie)."""
    if cart_id is not None:
        return token, cart_id
    shopper = await current_shopper()
    if shopper is not None:
        return await user_cart(conn, shopper["id"])
    token = new_token()
    return token, await queries.insert_cart(conn, token)
