"""Stock's SQL: lock variants, change their stock without ever going below zero, write the ledger.
Only inventory/stock.py calls these; it holds the rules and the caller holds the transaction."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import execute, execute_many, fetch_all, in_list


@dataclass(frozen=True)
class Movement:
    """One row of the stock ledger: why a variant's stock changed, and what it became."""

    variant_id: int
    delta: int
    stock_after: int
    reason: str
    order_id: int | None = None
    staff_id: int | None = None
    note: str = ""


async def select_stock_for_update(conn, variant_ids) -> dict[int, int]:
    """{id: stock} of the variants that exist, each row locked until the transaction ends.
    The locks are taken in primary-key order (ORDER BY id), so two checkouts that share
    variants queue on the first shared row instead of each holding one the other needs."""
    placeholders, params = in_list(sorted(set(variant_ids)))
    rows = await fetch_all(
        conn,
        "SELECT id, stock FROM variants WHERE id IN (" + placeholders + ") "  # nosec B608 # only in_list()'s %s placeholders are joined in
        "ORDER BY id FOR UPDATE",
        params,
    )
    return {row["id"]: row["stock"] for row in rows}


async def update_stock_by(conn, deltas: dict[int, int]) -> int:
    """Add {variant_id: delta} to stock in one statement; returns how many variants changed.
    The condition is in the UPDATE itself, so a variant whose stock would go below zero is
    left as it is (and not counted) even if a caller forgot to lock it first."""
    placeholders, ids = in_list(deltas)
    case = "CASE id " + " ".join("WHEN %s THEN %s" for _ in deltas) + " END"
    case_params = [x for item in deltas.items() for x in item]
    affected, _ = await execute(
        conn,
        "UPDATE variants SET stock = stock + (" + case + ") WHERE stock + (" + case + ") >= 0 "  # nosec B608 # only fixed text and %s placeholders are joined in
        "AND id IN (" + placeholders + ")",
        [*case_params, *case_params, *ids],
    )
    return affected


async def insert_movements(conn, movements: list[Movement]) -> None:
    """The ledger rows of one change, in one multi-row INSERT."""
    await execute_many(
        conn,
        "INSERT INTO stock_movements (variant_id, delta, stock_after, reason, order_id, staff_id, note) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [(m.variant_id, m.delta, m.stock_after, m.reason, m.order_id, m.staff_id, m.note[:200]) for m in movements],
    )


# ---- timed holds (issue 14; holds/ takes and gives them back) ------------------------------------
# A hold counts while its expires_at (UTC) is after the database's UTC_TIMESTAMP(6): one clock, the
# database's, in UTC, everywhere a hold is read or written; a lapsed hold counts nowhere even
# before the background tidy deletes it. These fragments fold holds into the queries that read
# stock (the product page, the bag, add to bag), so holds cost those paths no extra statement.


def held_by_others_sql(variant_id_sql: str) -> str:
    """Units of the variant `variant_id_sql` (fixed SQL text, e.g. "v.id") held by live holds
    of anyone but the viewer; one %s parameter: the viewer's user id, or None for a guest (a
    shopper's own hold never counts against her)."""
    return (
        "(SELECT COALESCE(SUM(sh.quantity), 0) FROM stock_holds sh WHERE sh.variant_id = "
        + variant_id_sql
        + " AND sh.expires_at > UTC_TIMESTAMP(6) AND sh.user_id <> COALESCE(%s, 0))"
    )


def held_by_anyone_sql(variant_id_sql: str) -> str:
    """Units of the variant held by every live hold: what the shared product page subtracts."""
    return (
        "(SELECT COALESCE(SUM(sh.quantity), 0) FROM stock_holds sh WHERE sh.variant_id = "
        + variant_id_sql
        + " AND sh.expires_at > UTC_TIMESTAMP(6))"
    )


def own_hold_sql(variant_id_sql: str, column: str) -> str:
    """The viewer's own live hold's `column` (expires_at or quantity) on the variant, NULL
    without one; one %s parameter: the viewer's user id (None: never a hold)."""
    return (
        "(SELECT sh."
        + column
        + " FROM stock_holds sh WHERE sh.user_id = %s AND sh.variant_id = "
        + variant_id_sql
        + " AND sh.expires_at > UTC_TIMESTAMP(6))"
    )
