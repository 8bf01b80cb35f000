"""The only code that changes a variant's stock. Rows are locked in id order (so two
checkouts can never deadlock on each other's lines), every change is a conditional update
that cannot go below zero, and every change writes a stock_movements row in the same
transaction. Callers hold the transaction; the SQL is in inventory/queries.py."""

from __future__ import annotations

from ..db import retrying, transaction
from . import queries
from .queries import Movement


class InsufficientStock(Exception):
    """Some variants have less stock than asked for: {variant_id: units left}."""

    def __init__(self, left: dict[int, int]):
        super().__init__(f"insufficient stock: {left}")
        self.left = left


async def lock_variants(conn, variant_ids) -> dict[int, int]:
    """Lock the variants (in primary-key order) before deciding anything about their stock;
    returns {id: stock} of the ones that exist. No ids: nothing to lock, no statement."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    return await queries.select_stock_for_update(conn, ids)


async def move_stock(
    conn,
    deltas: dict[int, int],
    locked: dict[int, int],
    reason: str,
    *,
    order_id: int | None = None,
    staff_id: int | None = None,
    note: str = "",
) -> dict[int, int]:
    """Apply {variant_id: delta} to variants already locked by lock_variants(); returns the new
    stock levels. One UPDATE and one ledger INSERT, whatever the number of variants (and two
    statements more when a variant sells out or comes back in stock: its product's facet rows)."""
    deltas = {variant_id: delta for variant_id, delta in sorted(deltas.items()) if delta}
    if not deltas:
        return {}
    left = {v: locked.get(v, 0) for v, d in deltas.items() if v not in locked or locked[v] + d < 0}
    if left:
        raise InsufficientStock(left)
    if await queries.update_stock_by(conn, deltas) != len(deltas):
        # cannot happen under the lock; never write a half-applied change
        raise InsufficientStock({v: locked.get(v, 0) for v in deltas})
    after = {v: locked[v] + d for v, d in deltas.items()}
    await queries.insert_movements(
        conn, [Movement(v, d, after[v], reason, order_id, staff_id, note) for v, d in deltas.items()]
    )
    # the facet rows (migration 0509) change only when a variant sells out or comes back, so most
    # changes (20 left -> 19 left) cost nothing more
    await queries.refresh_variant_facets(conn, [v for v in deltas if (locked[v] > 0) != (after[v] > 0)])
    return after


async def adjust_stock(
    conn, variant_id: int, change: int, reason: str, *, staff_id: int | None = None, note: str = ""
) -> dict[int, int]:
    """A staff adjustment in its own transaction; a deadlock or lock timeout is retried, never shown."""

    async def once():
        """One try of the adjustment in its own transaction (retried on a deadlock)."""
        async with transaction(conn):
            locked = await lock_variants(conn, [variant_id])
            return await move_stock(conn, {variant_id: change}, locked, reason, staff_id=staff_id, note=note)

    return await retrying(once)
