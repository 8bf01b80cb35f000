"""A guest's bag joining the account's bag at log-in: quantities added, capped at stock.
The rules are here; the SQL is in bag/queries.py."""

from __future__ import annotations

from ..db import transaction
from . import queries
from .rules import Availability
from .token import new_token


async def user_cart(conn, user_id: int) -> tuple[str, int]:
    """The account's bag (token, id), made if it has none: a signed-in shopper's first add."""
    await queries.insert_user_cart_if_missing(conn, new_token(), user_id)
    cart = await queries.select_user_cart(conn, user_id)
    if cart is None:  # made just above, in this transaction
        raise LookupError(f"user {user_id} has no bag right after one was made")
    return cart.token, cart.id


def plural(count: int, word: str) -> str:
    """Counted nouns for the notes: "1 item", "2 items"."""
    return f"{count} {word}{'s' if count != 1 else ''}"


async def claim_bag(conn, guest_token: str | None, user_id: int) -> tuple[str | None, list[str]]:
    """Give the signed-in shopper one bag. Returns its token (None: no bag at all) and what the
    shopper should be told. Both bags are locked first, so two log-ins at once merge once."""
    async with transaction(conn):
        mine = await queries.select_user_cart_for_update(conn, user_id)
        guest_id = await queries.select_guest_cart_for_update(conn, guest_token) if guest_token else None
        if guest_id is None:
            return (mine.token if mine else None), []
        if mine is None:  # the guest's bag simply becomes the account's
            await queries.update_cart_owner(conn, guest_id, user_id)
            units = await queries.select_cart_units(conn, guest_id)
            return guest_token, [f"Your bag of {plural(units, 'item')} is now saved to your account."] if units else []
        merged: dict[int, int] = {}
        notes, moved = [], 0
        for line in await queries.select_guest_lines(conn, guest_id, mine.id):
            limit = Availability(line.stock).line_limit
            total = min(line.in_bag + line.quantity, limit)
            if total < line.in_bag + line.quantity:
                notes.append(
                    f"{line.name} ({line.size}): only {limit} can be in your bag, so it has {total}."
                    if limit
                    else f"{line.name} ({line.size}) has sold out, so we left it out."
                )
            if total > 0:
                merged[line.variant_id] = total
                moved += max(0, total - line.in_bag)
        if merged:
            await queries.upsert_line_quantities(conn, mine.id, merged)
        await queries.delete_cart(conn, guest_id)
        if moved:
            notes.insert(0, f"We added {plural(moved, 'item')} from before you logged in to your bag.")
        return mine.token, notes
