"""Personal picks for the home page of a signed-in shopper (one statement; none for a visitor)."""

from __future__ import annotations

from ..accounts.auth import current_shopper
from . import queries


async def home_picks(conn) -> list[dict]:
    """The signed-in shopper's picks for the home page; none for a visitor."""
    shopper = await current_shopper()
    if shopper is None:
        return []
    return await queries.select_for_user(conn, shopper["id"])
