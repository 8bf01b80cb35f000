"""The only code that changes a variant's stock. Rows are locked in id order (so two
checkouts can never deadlock on each other's lines), every change is a conditional update
that cannot go below zero, and every change writes a stock_movements row in the same
transaction. Callers hold the transaction."""

from __future__ import annotations

from ..db import execute, execute_many, fetch_all, retrying, transaction


class InsufficientStock(Exception):
    """Some variants have less stock than asked for: {variant_id: units left}."""

    def __init__(self, left: dict[int, int]):
        super().__init__(f"insufficient stock: {left}")
        self.left = left


def _in_list(ids, params: list) -> str:
    params.extend(ids)
    return ", ".join(["%s"] * len(ids))


async def lock_variants(conn, variant_ids) -> dict[int, int]:
    """SELECT ... FOR UPDATE in primary-key order; returns {id: stock} of the variants that exist."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    params: list = []
    rows = await fetch_all(conn, "SELECT id, stock FROM variants WHERE id IN (" + _in_list(ids, params) + ") "  # nosec B608 # values are %s parameters
                                 "ORDER BY id FOR UPDATE", params)
    return {row["id"]: row["stock"] for row in rows}


async def move_stock(conn, deltas: dict[int, int], locked: dict[int, int], reason: str, *,
                     order_id: int | None = None, staff_id: int | None = None, note: str = "") -> dict[int, int]:
    """Apply {variant_id: delta} to variants already locked by lock_variants(); returns the new
    stock levels. One UPDATE and one ledger INSERT, whatever the number of variants."""
    deltas = {variant_id: delta for variant_id, delta in sorted(deltas.items()) if delta}
    if not deltas:
        return {}
    left = {v: locked.get(v, 0) for v, d in deltas.items() if v not in locked or locked[v] + d < 0}
    if left:
        raise InsufficientStock(left)
    params: list = []
    case = "CASE id " + " ".join("WHEN %s THEN %s" for _ in deltas) + " END"
    case_params = [x for item in deltas.items() for x in item]
    params.extend(case_params)
    params.extend(case_params)
    sql = ("UPDATE variants SET stock = stock + (" + case + ") WHERE stock + (" + case + ") >= 0 AND id IN ("  # nosec B608 # values are %s parameters
           + _in_list(list(deltas), params) + ")")
    affected, _ = await execute(conn, sql, params)
    if affected != len(deltas):  # cannot happen under the lock; never write a half-applied change
        raise InsufficientStock({v: locked.get(v, 0) for v in deltas})
    after = {v: locked[v] + d for v, d in deltas.items()}
    await execute_many(
        conn, "INSERT INTO stock_movements (variant_id, delta, stock_after, reason, order_id, staff_id, note) "
              "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [(v, d, after[v], reason, order_id, staff_id, note[:200]) for v, d in deltas.items()])
    return after


async def adjust_stock(conn, variant_id: int, change: int, reason: str, *, staff_id: int | None = None,
                       note: str = "") -> dict[int, int]:
    """A staff adjustment in its own transaction; a deadlock or lock timeout is retried, never shown."""
    async def once():
        async with transaction(conn):
            locked = await lock_variants(conn, [variant_id])
            return await move_stock(conn, {variant_id: change}, locked, reason, staff_id=staff_id, note=note)
    return await retrying(once)
