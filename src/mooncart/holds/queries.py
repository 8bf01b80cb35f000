"""Holds' and the waitlist's SQL (issue 14). A hold is one row per (shopper, variant); it counts
while expires_at (UTC) is after UTC_TIMESTAMP(6), the database's clock, in every statement here
and in the fragments of inventory/queries.py. Callers hold the transactions; holding.py and
waitlist.py hold the rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..db import execute, execute_many, fetch_all, fetch_one, fetch_val, in_list
from ..inventory.queries import held_by_others_sql


@dataclass(frozen=True)
class Hold:
    """One of a shopper's live holds, with what her bag and account show of it."""

    variant_id: int
    quantity: int
    kind: str
    expires_at: datetime
    product_name: str
    product_slug: str
    size: str
    colour: str


async def select_held(conn, variant_ids, *, except_user: int | None = None) -> dict[int, int]:
    """{variant id: units held by live holds} (of anyone but `except_user`). Read after the
    variants are locked (see holding.py): every hold that adds units is written under the
    variant's lock, so this read, the transaction's first plain one, sees all of them."""
    placeholders, ids = in_list(sorted(set(variant_ids)))
    rows = await fetch_all(
        conn,
        "SELECT variant_id, SUM(quantity) AS held FROM stock_holds WHERE variant_id IN ("  # nosec B608 # only in_list()'s %s placeholders are joined in
        + placeholders
        + ") AND expires_at > UTC_TIMESTAMP(6) AND user_id <> COALESCE(%s, 0) GROUP BY variant_id",
        [*ids, except_user],
    )
    return {row["variant_id"]: int(row["held"]) for row in rows}


async def select_held_and_now(conn, variant_ids, *, except_user: int | None) -> tuple[dict[int, int], datetime]:
    """({variant id: units others' live holds keep}, the database's UTC clock) in one statement,
    for opening checkout: read after the variants are locked (see select_held)."""
    placeholders, ids = in_list(sorted(set(variant_ids)))
    rows = await fetch_all(
        conn,
        "SELECT v.id, UTC_TIMESTAMP(6) AS now, "  # nosec B608 # fixed SQL text and %s placeholders only
        + held_by_others_sql("v.id")
        + " AS held FROM variants v WHERE v.id IN ("
        + placeholders
        + ")",
        [except_user, *ids],
    )
    now = rows[0]["now"] if rows else await select_utc_now(conn)
    return {row["id"]: int(row["held"]) for row in rows if row["held"]}, now


async def upsert_checkout_holds(conn, user_id: int, quantities: dict[int, int], until: datetime) -> None:
    """Hold {variant id: units} for her until `until` (UTC), in one INSERT. A live waitlist
    hold that already covers the units and lasts longer is kept as it is (her 12 hours are not
    cut to 10 minutes); anything else becomes a checkout hold of the new quantity and time.
    (MySQL applies the assignments left to right: expires_at is decided before kind reads it.)"""
    rows = sorted(quantities.items())
    await execute(
        conn,
        "INSERT INTO stock_holds (user_id, variant_id, quantity, kind, expires_at) VALUES "  # nosec B608 # fixed SQL text and %s placeholders only
        + ", ".join(["(%s, %s, %s, 'checkout', %s)"] * len(rows))
        + " ON DUPLICATE KEY UPDATE "
        "expires_at = IF(kind = 'waitlist' AND expires_at > VALUES(expires_at) AND quantity >= VALUES(quantity), "
        "expires_at, VALUES(expires_at)), "
        "kind = IF(kind = 'waitlist' AND expires_at > VALUES(expires_at), 'waitlist', 'checkout'), "
        "quantity = IF(kind = 'waitlist', quantity, VALUES(quantity))",
        [x for variant_id, quantity in rows for x in (user_id, variant_id, quantity, until)],
    )


async def delete_checkout_holds_except(conn, user_id: int, keep) -> int:
    """Let go of her checkout holds on every variant but `keep` (lines gone from her bag)."""
    keep = sorted(set(keep))
    if not keep:
        affected, _ = await execute(
            conn, "DELETE FROM stock_holds WHERE user_id = %s AND kind = 'checkout'", (user_id,)
        )
        return affected
    placeholders, ids = in_list(keep)
    affected, _ = await execute(
        conn,
        "DELETE FROM stock_holds WHERE user_id = %s AND kind = 'checkout' AND variant_id NOT IN ("  # nosec B608 # only in_list()'s %s placeholders are joined in
        + placeholders
        + ")",
        [user_id, *ids],
    )
    return affected


async def delete_holds(conn, user_id: int, variant_ids=None, *, kinds=("checkout",)) -> list[int]:
    """Let go of her holds of `kinds` (on `variant_ids`, or all); returns the variants whose live
    units came back, for open pages. Two statements: which, then by primary key."""
    kind_list, kind_params = in_list(kinds)
    sql = "SELECT variant_id FROM stock_holds WHERE user_id = %s AND kind IN (" + kind_list + ")"  # nosec B608 # only in_list()'s %s placeholders are joined in
    params: list = [user_id, *kind_params]
    if variant_ids is not None:
        variant_ids = sorted(set(variant_ids))
        if not variant_ids:
            return []
        placeholders, ids = in_list(variant_ids)
        sql += " AND variant_id IN (" + placeholders + ")"
        params += ids
    rows = await fetch_all(conn, sql + " ORDER BY variant_id", params)
    if not rows:
        return []
    placeholders, ids = in_list([row["variant_id"] for row in rows])
    await execute(
        conn,
        "DELETE FROM stock_holds WHERE user_id = %s AND kind IN ("
        + kind_list
        + ") AND variant_id IN ("  # nosec B608 # only in_list()'s %s placeholders are joined in
        + placeholders
        + ")",
        [user_id, *kind_params, *ids],
    )
    return ids


async def delete_holds_on(conn, user_id: int, variant_ids) -> int:
    """Her holds of any kind on these variants, gone in one statement (they became her order)."""
    placeholders, ids = in_list(sorted(set(variant_ids)))
    affected, _ = await execute(
        conn,
        "DELETE FROM stock_holds WHERE user_id = %s AND variant_id IN (" + placeholders + ")",  # nosec B608 # only in_list()'s %s placeholders are joined in
        [user_id, *ids],
    )
    return affected


async def delete_checkout_hold(conn, user_id: int, variant_id: int) -> int:
    """Her checkout hold on one variant, gone (its line left the bag); one statement."""
    affected, _ = await execute(
        conn,
        "DELETE FROM stock_holds WHERE user_id = %s AND variant_id = %s AND kind = 'checkout'",
        (user_id, variant_id),
    )
    return affected


async def trim_checkout_hold(conn, user_id: int, variant_id: int, quantity: int) -> int:
    """Her bag line became `quantity`: a checkout hold of more is cut to it (a larger line is
    held again when she reopens checkout)."""
    affected, _ = await execute(
        conn,
        "UPDATE stock_holds SET quantity = %s WHERE user_id = %s AND variant_id = %s AND kind = 'checkout' "
        "AND quantity > %s",
        (quantity, user_id, variant_id, quantity),
    )
    return affected


async def select_own_holds(conn, user_id: int, kind: str | None = None) -> list[Hold]:
    """Her live holds (of one kind, or all), soonest to end first, with their product and size."""
    rows = await fetch_all(
        conn,
        "SELECT sh.variant_id, sh.quantity, sh.kind, sh.expires_at, p.name AS product_name, "
        "p.slug AS product_slug, s.label AS size, co.name AS colour "
        "FROM stock_holds sh JOIN variants v ON v.id = sh.variant_id JOIN products p ON p.id = v.product_id "
        "JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
        "WHERE sh.user_id = %s AND sh.expires_at > UTC_TIMESTAMP(6) AND (%s IS NULL OR sh.kind = %s) "
        "ORDER BY sh.expires_at, sh.variant_id",
        (user_id, kind, kind),
    )
    return [Hold(**row) for row in rows]


async def select_lapsed_keys(conn, limit: int = 500) -> list[dict]:
    """Holds past their time, for the tidy (oldest first; they already count nowhere)."""
    return await fetch_all(
        conn,
        "SELECT user_id, variant_id, kind FROM stock_holds WHERE expires_at <= UTC_TIMESTAMP(6) "
        "ORDER BY expires_at LIMIT %s",
        (limit,),
    )


async def delete_lapsed(conn, user_id: int, variant_id: int) -> int:
    """One lapsed hold by its key; a hold renewed meanwhile (live again) is left alone."""
    affected, _ = await execute(
        conn,
        "DELETE FROM stock_holds WHERE user_id = %s AND variant_id = %s AND expires_at <= UTC_TIMESTAMP(6)",
        (user_id, variant_id),
    )
    return affected


# ---- the waitlist ------------------------------------------------------------------------------


async def select_variant_for_waitlist(conn, variant_id: int, user_id: int | None) -> dict | None:
    """The variant with its product, size and what is free for her (stock less others' live holds;
    user_id None: less every live hold)."""
    return await fetch_one(
        conn,
        "SELECT v.id, p.slug AS product_slug, p.name AS product_name, s.label AS size, co.name AS colour, "  # nosec B608 # values are %s parameters
        "GREATEST(v.stock - " + held_by_others_sql("v.id") + ", 0) AS free "
        "FROM variants v JOIN products p ON p.id = v.product_id JOIN sizes s ON s.id = v.size_id "
        "JOIN colours co ON co.id = v.colour_id WHERE v.id = %s",
        (user_id, variant_id),
    )


async def insert_waitlist_entry(conn, variant_id: int, user_id: int) -> bool:
    """Put her on the variant's list; False when she is on it already (nothing changes). An entry
    served earlier (her hold came and went) makes way for a new one at the back of the line."""
    await execute(
        conn,
        "DELETE FROM waitlist_entries WHERE variant_id = %s AND user_id = %s AND served_at IS NOT NULL",
        (variant_id, user_id),
    )
    affected, _ = await execute(
        conn, "INSERT IGNORE INTO waitlist_entries (variant_id, user_id) VALUES (%s, %s)", (variant_id, user_id)
    )
    return affected > 0


async def select_waiting_for_update(conn, variant_id: int, limit: int) -> list[dict]:
    """The first `limit` shoppers still waiting for the variant, in join order, locked."""
    return await fetch_all(
        conn,
        "SELECT w.id, w.user_id, u.email, u.name FROM waitlist_entries w JOIN users u ON u.id = w.user_id "
        "WHERE w.variant_id = %s AND w.served_at IS NULL ORDER BY w.id LIMIT %s FOR UPDATE",
        (variant_id, limit),
    )


async def select_utc_now(conn) -> datetime:
    """The database's clock, in UTC: the one clock holds are measured by."""
    return await fetch_val(conn, "SELECT UTC_TIMESTAMP(6)")


async def insert_waitlist_holds(conn, variant_id: int, user_ids: list[int], until: datetime) -> None:
    """One unit held for each of these shoppers until `until` (UTC), in one INSERT. A live hold
    she has on it already (rare: the variant was sold out for her when she joined) grows by the
    unit and lasts longer."""
    await execute(
        conn,
        "INSERT INTO stock_holds (user_id, variant_id, quantity, kind, expires_at) VALUES "  # nosec B608 # fixed SQL text and %s placeholders only
        + ", ".join(["(%s, %s, 1, 'waitlist', %s)"] * len(user_ids))
        + " ON DUPLICATE KEY UPDATE "
        "quantity = IF(expires_at > UTC_TIMESTAMP(6), quantity + 1, 1), "
        "kind = 'waitlist', expires_at = GREATEST(expires_at, VALUES(expires_at))",
        [x for user_id in user_ids for x in (user_id, variant_id, until)],
    )


async def update_entries_served(conn, entry_ids: list[int]) -> None:
    """These waiters have been given their hold."""
    placeholders, ids = in_list(entry_ids)
    await execute(
        conn,
        "UPDATE waitlist_entries SET served_at = UTC_TIMESTAMP(6) WHERE id IN (" + placeholders + ")",  # nosec B608 # only in_list()'s %s placeholders are joined in
        ids,
    )


async def select_variants_with_waiters_and_stock(conn, limit: int = 200) -> list[int]:
    """Variants someone waits for that have stock (whether it is free is decided under lock)."""
    rows = await fetch_all(
        conn,
        "SELECT DISTINCT w.variant_id FROM waitlist_entries w JOIN variants v ON v.id = w.variant_id "
        "WHERE w.served_at IS NULL AND v.stock > 0 ORDER BY w.variant_id LIMIT %s",
        (limit,),
    )
    return [row["variant_id"] for row in rows]


async def select_waitlist_lengths(conn, variant_ids) -> dict[int, int]:
    """{variant id: shoppers waiting}, for the back office: what to reorder."""
    variant_ids = sorted(set(variant_ids))
    if not variant_ids:
        return {}
    placeholders, ids = in_list(variant_ids)
    rows = await fetch_all(
        conn,
        "SELECT variant_id, COUNT(*) AS waiting FROM waitlist_entries WHERE served_at IS NULL AND variant_id IN ("  # nosec B608 # only in_list()'s %s placeholders are joined in
        + placeholders
        + ") GROUP BY variant_id",
        ids,
    )
    return {row["variant_id"]: int(row["waiting"]) for row in rows}


# ---- notifications -------------------------------------------------------------------------------


async def insert_notifications(conn, rows: list[tuple[int, int, str]]) -> None:
    """(user id, variant id, message) rows, in one INSERT."""
    await execute_many(conn, "INSERT INTO notifications (user_id, variant_id, message) VALUES (%s, %s, %s)", rows)


async def select_notifications(conn, user_id: int, limit: int = 50) -> list[dict]:
    """Her newest notifications."""
    return await fetch_all(
        conn,
        "SELECT id, message, created_at, read_at FROM notifications WHERE user_id = %s ORDER BY id DESC LIMIT %s",
        (user_id, limit),
    )
