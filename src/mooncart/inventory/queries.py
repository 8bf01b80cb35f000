"""Stock's SQL: lock variants, change their stock without ever going below zero, write the ledger.
Only inventory/stock.py calls these; it holds the rules and the caller holds the transaction."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .. import changes
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


# ---- facet rows (issue 13, part 2; migration 0509 says what they are) ---------------------------
# Written here, beside the stock they follow, so that every writer of stock, variants or prices
# can keep them in step inside its own transaction (catalog reads them; inventory may not import
# catalog). A refresh reads the products' rows as they were (locking them, so two refreshes of a
# product queue), deletes them, writes them again from products and variants, reads the new ones
# and moves the categories' counts by the difference. The INSERT ... SELECT reads its source rows
# with shared locks (InnoDB does, for an INSERT ... SELECT under REPEATABLE READ), so it sees the
# latest committed stock, never an older snapshot.

FACET_COLUMNS = "category_id, product_id, colour_id, sizes_any, sizes_in_stock, price_paise"
FACET_ROWS_INSERT = (
    "INSERT INTO product_facets "
    "(category_id, product_id, colour_id, sizes_any, sizes_in_stock, price_paise, discount_percent) "
    "SELECT p.category_id, p.id, COALESCE(v.colour_id, 0), BIT_OR(1 << v.size_id), "
    "BIT_OR(IF(v.stock > 0, 1 << v.size_id, 0)), p.from_price_paise, p.discount_percent "
    "FROM products p LEFT JOIN variants v ON v.product_id = p.id "
)


def facet_count_keys(rows) -> Counter:
    """What facet rows add to category_facet_counts: per product, (category, in stock only, facet,
    value) for each size and colour it comes in (in stock), and its price (it has stock)."""
    products: dict[int, list[dict]] = {}
    for row in rows:
        products.setdefault(row["product_id"], []).append(row)
    keys: Counter = Counter()
    for product_rows in products.values():
        category, price = product_rows[0]["category_id"], product_rows[0]["price_paise"]
        sizes_any = sizes_in_stock = 0
        for row in product_rows:
            sizes_any |= row["sizes_any"]
            sizes_in_stock |= row["sizes_in_stock"]
            if row["sizes_any"]:
                keys[(category, 0, "colour", row["colour_id"])] += 1
            if row["sizes_in_stock"]:
                keys[(category, 1, "colour", row["colour_id"])] += 1
        for in_stock, mask in ((0, sizes_any), (1, sizes_in_stock)):
            keys.update((category, in_stock, "size", bit) for bit in range(64) if mask >> bit & 1)
        keys[(category, 0, "price", price)] += 1
        if sizes_in_stock:
            keys[(category, 1, "price", price)] += 1
    return keys


async def _move_facet_counts(conn, old: list[dict], new: list[dict]) -> None:
    """Add the difference between the products' old and new facet rows to the categories' counts:
    one statement, rows in key order (so two writers never take them in opposite orders), and
    none when nothing a count sees has changed (a sold-out M in a colour whose other M is left)."""
    change = facet_count_keys(new)
    change.subtract(facet_count_keys(old))
    rows = [(*key, n) for key, n in sorted(change.items()) if n]
    if rows:
        await execute_many(
            conn,
            "INSERT INTO category_facet_counts (category_id, in_stock_only, facet, facet_value, product_count) "
            "VALUES (%s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE product_count = product_count + VALUES(product_count)",
            rows,
        )


async def refresh_product_facets(conn, product_ids) -> None:
    """Write the facet rows of these products again (a product without variants has one, colour 0,
    no sizes: its price still counts) and move the counts. No ids: no statement."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    placeholders, params = in_list(ids)
    where = "WHERE product_id IN (" + placeholders + ")"
    old = await fetch_all(conn, "SELECT " + FACET_COLUMNS + " FROM product_facets " + where + " FOR UPDATE", params)  # nosec B608 # only in_list()'s %s placeholders are joined in
    await execute(conn, "DELETE FROM product_facets " + where, params)  # nosec B608 # only in_list()'s %s placeholders are joined in
    await execute(
        conn,
        FACET_ROWS_INSERT + "WHERE p.id IN (" + placeholders + ") GROUP BY p.id, v.colour_id",  # nosec B608 # only in_list()'s %s placeholders are joined in
        params,
    )
    new = await fetch_all(conn, "SELECT " + FACET_COLUMNS + " FROM product_facets " + where, params)  # nosec B608 # only in_list()'s %s placeholders are joined in
    await _move_facet_counts(conn, old, new)
    await changes.record(conn, ids)  # the facet index in memory re-reads them


async def forget_product_facets(conn, product_id: int) -> None:
    """Before a product is deleted: its rows go (the foreign key would take them anyway) and the
    categories' counts no longer count it."""
    old = await fetch_all(
        conn, "SELECT " + FACET_COLUMNS + " FROM product_facets WHERE product_id = %s FOR UPDATE", (product_id,)
    )
    await execute(conn, "DELETE FROM product_facets WHERE product_id = %s", (product_id,))
    await _move_facet_counts(conn, old, [])
    await changes.record(conn, [product_id])


async def refresh_variant_facets(conn, variant_ids) -> None:
    """The same for the products of these variants (a stock change knows only its variants)."""
    ids = sorted(set(variant_ids))
    if not ids:
        return
    placeholders, params = in_list(ids)
    rows = await fetch_all(
        conn,
        "SELECT DISTINCT product_id FROM variants WHERE id IN (" + placeholders + ")",  # nosec B608 # only in_list()'s %s placeholders are joined in
        params,
    )
    await refresh_product_facets(conn, [row["product_id"] for row in rows])


async def refresh_facet_range(conn, first_id: int, last_id: int) -> None:
    """The facet rows of products first_id..last_id (the demo catalogue's batches)."""
    where, params = "WHERE product_id BETWEEN %s AND %s", (first_id, last_id)
    old = await fetch_all(conn, "SELECT " + FACET_COLUMNS + " FROM product_facets " + where + " FOR UPDATE", params)  # nosec B608 # fixed text only
    await execute(conn, "DELETE FROM product_facets " + where, params)  # nosec B608 # fixed text only
    await execute(conn, FACET_ROWS_INSERT + "WHERE p.id BETWEEN %s AND %s GROUP BY p.id, v.colour_id", params)
    new = await fetch_all(conn, "SELECT " + FACET_COLUMNS + " FROM product_facets " + where, params)  # nosec B608 # fixed text only
    await _move_facet_counts(conn, old, new)
    await changes.record_range(conn, first_id, last_id)
