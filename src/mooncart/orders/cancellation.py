"""Cancelling an order before it ships: the status changes once, and the stock comes back with
a ledger row per line, in one transaction."""

from __future__ import annotations

import asyncio
import random

from pymysql.err import OperationalError

from ..db import fetch_all, transaction
from ..inventory.stock import lock_variants, move_stock
from . import queries

RETRYABLE = {1213, 1205}


async def cancel_order(conn, order_id: int, user_id: int | None = None, *, reason: str = "cancel",
                       staff_id: int | None = None, attempts: int = 8) -> dict | None:
    """The restocked variants' new stock levels if this call cancelled the order; None if it was
    already cancelled or has shipped."""
    for attempt in range(1, attempts + 1):
        try:
            async with transaction(conn):
                if not await queries.mark_cancelled(conn, order_id, user_id):
                    return None
                items = await fetch_all(conn, "SELECT variant_id, quantity FROM order_items "
                                              "WHERE order_id = %s AND variant_id IS NOT NULL", (order_id,))
                restock: dict[int, int] = {}
                for item in items:
                    restock[item["variant_id"]] = restock.get(item["variant_id"], 0) + item["quantity"]
                locked = await lock_variants(conn, restock)
                return await move_stock(conn, {v: q for v, q in restock.items() if v in locked}, locked, reason,
                                        order_id=order_id, staff_id=staff_id)
        except OperationalError as error:
            if error.args[0] not in RETRYABLE or attempt == attempts:
                raise
            await asyncio.sleep(random.uniform(0.005, 0.02) * attempt)  # jitter: do not collide again  # nosec B311 # jitter, demo data: not security
    return None
