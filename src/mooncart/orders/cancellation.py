"""Cancelling an order before it ships: the status changes once, the stock comes back with a
ledger row per line, and a paid order's refund is written, all in one transaction; the refund
is then sent to the provider outside it (payments/refunds.py)."""

from __future__ import annotations

from ..db import retrying, transaction
from ..inventory.stock import lock_variants, move_stock
from ..payments import queries as payment_queries
from ..payments import settlement
from ..payments.refunds import refund_remaining, send_refunds
from . import queries
from .mail import queue_order_email


async def restock_order(conn, order_id: int, reason: str, staff_id: int | None = None) -> dict[int, int]:
    """Give back every line of the order not already given back by a received return (inside
    the caller's transaction); new stock levels. Two lines of one variant come back as one change."""
    restock: dict[int, int] = {}
    for variant_id, quantity in await queries.select_restockable_items(conn, order_id):
        restock[variant_id] = restock.get(variant_id, 0) + quantity
    locked = await lock_variants(conn, restock)
    return await move_stock(
        conn, {v: q for v, q in restock.items() if v in locked}, locked, reason, order_id=order_id, staff_id=staff_id
    )


async def cancel_order(conn, order_id: int, user_id: int | None = None, providers: dict | None = None) -> dict | None:
    """The restocked variants' new stock levels if this call cancelled the order; None if it was
    already cancelled or has shipped. A paid order's money goes back through its provider
    (when providers are given; otherwise reconcile-payments sends the refund)."""

    async def once():
        """One try of the cancellation in its own transaction (retried on a deadlock)."""
        async with transaction(conn):
            order = await payment_queries.select_order_for_update(conn, order_id)
            if not await queries.mark_cancelled(conn, order_id, user_id):
                return None
            await queue_order_email(conn, order_id, "cancelled")
            if order["payment_status"] in ("paid", "partly_refunded"):
                await refund_remaining(conn, order_id, order["total_paise"], "cancel")
            return await restock_order(conn, order_id, "cancel")

    levels = await retrying(once)
    if levels is not None and providers:
        await send_refunds(conn, providers, order_id)
    return levels


@settlement.on_release(rank=1)
async def restock_released(conn, order: dict) -> dict[int, int]:
    """A released (unpaid) order's stock comes back, with a 'release' ledger row."""
    return await restock_order(conn, order["id"], "release")
