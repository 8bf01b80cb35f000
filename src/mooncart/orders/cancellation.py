"""Cancelling an order before it ships: the status changes once, and the stock comes back with
a ledger row per line, in one transaction."""

from __future__ import annotations

from ..db import retrying, transaction
from ..inventory.stock import lock_variants, move_stock
from . import queries


async def restock_order(conn, order_id: int, reason: str, staff_id: int | None = None) -> dict[int, int]:
    """Give back every line of the order (inside the caller's transaction); new stock levels.
    Two lines of one variant come back as one change."""
    restock: dict[int, int] = {}
    for variant_id, quantity in await queries.select_restockable_items(conn, order_id):
        restock[variant_id] = restock.get(variant_id, 0) + quantity
    locked = await lock_variants(conn, restock)
    return await move_stock(conn, {v: q for v, q in restock.items() if v in locked}, locked, reason,
                            order_id=order_id, staff_id=staff_id)


async def cancel_order(conn, order_id: int, user_id: int | None = None) -> dict | None:
    """The restocked variants' new stock levels if this call cancelled the order; None if it was
    already cancelled or has shipped."""
    async def once():
        async with transaction(conn):
            if not await queries.mark_cancelled(conn, order_id, user_id):
                return None
            return await restock_order(conn, order_id, "cancel")
    return await retrying(once)
