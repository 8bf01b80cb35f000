"""The clickstream's SQL: writing batches of events, and the back office's funnels and reports."""

from __future__ import annotations

from datetime import date, timedelta

from ..db import execute, execute_many, fetch_all

INSERT_EVENT = (
    "INSERT INTO events (occurred_at, visitor_id, kind, device, product_id, category_id, variant_id, "
    "quantity, query, results, step) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


async def insert_events(conn, events) -> None:
    """One multi-row INSERT for the batch; an add to bag knows only its variant, so its product
    and category are filled in by one UPDATE; each order becomes one event per line, with the
    line's product and category (one INSERT ... SELECT per order)."""
    plain = [e for e in events if e.kind != "order"]
    if plain:
        await execute_many(
            conn,
            INSERT_EVENT,
            [
                (
                    e.occurred_at,
                    e.visitor_id,
                    e.kind,
                    e.device,
                    e.product_id,
                    e.category_id,
                    e.variant_id,
                    e.quantity,
                    e.query,
                    e.results,
                    e.step,
                )
                for e in plain
            ],
        )
        if any(e.variant_id is not None and e.product_id is None for e in plain):
            first = min(e.occurred_at for e in plain)
            await execute(
                conn,
                "UPDATE events e JOIN variants v ON v.id = e.variant_id JOIN products p ON p.id = "
                "v.product_id "
                "SET e.product_id = p.id, e.category_id = p.category_id "
                "WHERE e.kind = 'add' AND e.product_id IS NULL AND e.occurred_at >= %s",
                (first,),
            )
    for e in events:
        if e.kind == "order":
            await execute(
                conn,
                "INSERT INTO events (occurred_at, visitor_id, kind, device, product_id, category_id, variant_id, "
                "order_id, quantity) SELECT %s, %s, 'order', %s, p.id, p.category_id, i.variant_id, o.id, "
                "i.quantity "
                "FROM orders o JOIN order_items i ON i.order_id = o.id LEFT JOIN variants v ON v.id = "
                "i.variant_id "
                "LEFT JOIN products p ON p.id = v.product_id WHERE o.number = %s",
                (e.occurred_at, e.visitor_id, e.device, e.order_number),
            )


async def delete_old_events(conn, days: int, chunk: int = 10_000) -> int:
    """Delete events older than `days` days, in chunks so no lock is held for long."""
    total = 0
    while True:
        deleted, _ = await execute(
            conn, "DELETE FROM events WHERE occurred_at < NOW(6) - INTERVAL %s DAY LIMIT %s", (days, chunk)
        )
        total += deleted
        if deleted < chunk:
            return total


# dimension name -> (SQL for its value per event, label); fixed text only
DIMENSIONS = {
    "day": "'all'",
    "category": "e.category_id",
    "device": "e.device",
}


async def select_funnel(conn, start: date, end: date, dimension: str = "day") -> list[dict]:
    """The funnel viewed -> added -> checkout -> ordered, per day and per value of the dimension:
    distinct visitors who, on that day, viewed a product (of that category, on that device),
    and of those who also added one to the bag, also reached checkout (any step, that day), and
    also ordered one. Each stage is a subset of the one before. Each row's `steps` maps every
    checkout step recorded that day (as recorded: "show", "place-post", "placed", ...) to the
    visitors of its `checkout` count who recorded it; steps are not nested in one another (a
    voucher is optional, a refused form is retried), but each is a subset of `checkout`."""
    value = DIMENSIONS[dimension]
    window = (start, end + timedelta(days=1))
    rows = await fetch_all(
        conn,
        "SELECT per.day, per.dim, c.name AS category_name, "
        ""  # nosec B608 # the dimension's SQL comes from a fixed dict
        "SUM(per.viewed) AS viewed, SUM(per.viewed AND per.added) AS added, "
        "SUM(per.viewed AND per.added AND ch.visitor_id IS NOT NULL) AS checkout, "
        "SUM(per.viewed AND per.added AND ch.visitor_id IS NOT NULL AND per.ordered) AS ordered "
        "FROM (SELECT DATE(e.occurred_at) AS day, e.visitor_id, " + value + " AS dim, "
        "MAX(e.kind = 'view') AS viewed, MAX(e.kind = 'add') AS added, MAX(e.kind = 'order') AS ordered "
        "FROM events e WHERE e.occurred_at >= %s AND e.occurred_at < %s AND e.kind IN ('view', 'add', 'order') "
        "GROUP BY DATE(e.occurred_at), e.visitor_id, dim) per "
        "LEFT JOIN (SELECT DISTINCT DATE(occurred_at) AS day, visitor_id FROM events "
        "WHERE kind = 'checkout' AND occurred_at >= %s AND occurred_at < %s) ch "
        "ON ch.day = per.day AND ch.visitor_id = per.visitor_id "
        "LEFT JOIN categories c ON %s = 'category' AND c.id = per.dim "
        "GROUP BY per.day, per.dim, c.name HAVING SUM(per.viewed) > 0 ORDER BY per.day DESC, viewed DESC",
        (*window, *window, dimension),
    )
    # the same visitors as `checkout` above (viewed and added that day, in that dimension's
    # value), counted once per step they recorded that day; a step-less event counts as "".
    # It reads the window's views and adds again (the page reads 1.7-1.9x the rows it did without
    # steps); led instead by the checkout events into each visitor's day through
    # ix_events_visitor it was 2-5x slower on the demo shop's 47,570 events (same rows out)
    steps = await fetch_all(
        conn,
        "SELECT per.day, per.dim, ch.step, COUNT(*) AS visitors "
        "FROM (SELECT DATE(e.occurred_at) AS day, e.visitor_id, " + value + " AS dim "
        ""  # nosec B608 # the dimension's SQL comes from a fixed dict
        "FROM events e WHERE e.occurred_at >= %s AND e.occurred_at < %s AND e.kind IN ('view', 'add') "
        "GROUP BY DATE(e.occurred_at), e.visitor_id, dim "
        "HAVING MAX(e.kind = 'view') = 1 AND MAX(e.kind = 'add') = 1) per "
        "JOIN (SELECT DISTINCT DATE(occurred_at) AS day, visitor_id, COALESCE(step, '') AS step FROM events "
        "WHERE kind = 'checkout' AND occurred_at >= %s AND occurred_at < %s) ch "
        "ON ch.day = per.day AND ch.visitor_id = per.visitor_id "
        "GROUP BY per.day, per.dim, ch.step",
        (*window, *window),
    )
    by_row: dict[tuple, dict[str, int]] = {}
    for step in steps:
        by_row.setdefault((step["day"], step["dim"]), {})[step["step"]] = int(step["visitors"])
    return [dict(row, steps=by_row.get((row["day"], row["dim"]), {})) for row in rows]


async def select_searches_without_results(conn, start: date, end: date, limit: int = 20) -> list[dict]:
    """What shoppers looked for and did not find: the gaps in the range to fill first."""
    return await fetch_all(
        conn,
        "SELECT LOWER(query) AS query, COUNT(*) AS searches, COUNT(DISTINCT visitor_id) AS visitors FROM events "
        "WHERE kind = 'search' AND results = 0 AND occurred_at >= %s AND occurred_at < %s "
        "GROUP BY LOWER(query) ORDER BY searches DESC, query LIMIT %s",
        (start, end + timedelta(days=1), limit),
    )


async def select_product_conversion(conn, start: date, end: date, limit: int = 30) -> list[dict]:
    """Per product viewed in the window: visitors who viewed it, visitors who ordered it, units
    ordered in the shop (live orders), stock now: conversion beside sell-through and days of cover."""
    return await fetch_all(
        conn,
        "SELECT p.id, p.name, ev.viewers, ev.buyers, "
        "(SELECT COALESCE(SUM(v.stock), 0) FROM variants v WHERE v.product_id = p.id) AS stock, "
        "(SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id "
        " JOIN variants v ON v.id = i.variant_id WHERE v.product_id = p.id AND o.placed_at >= %s "
        " AND o.placed_at < %s AND o.status NOT IN ('cancelled', 'returned')) AS units "
        "FROM (SELECT product_id, COUNT(DISTINCT CASE WHEN kind = 'view' THEN visitor_id END) AS viewers, "
        "COUNT(DISTINCT CASE WHEN kind = 'order' THEN visitor_id END) AS buyers FROM events "
        "WHERE occurred_at >= %s AND occurred_at < %s AND kind IN ('view', 'order') AND product_id IS NOT NULL "
        "GROUP BY product_id ORDER BY viewers DESC LIMIT %s) ev JOIN products p ON p.id = ev.product_id "
        "ORDER BY ev.viewers DESC",
        (start, end + timedelta(days=1), start, end + timedelta(days=1), limit),
    )


async def select_events(conn, start: date, end: date) -> list[dict]:
    """Every event in the window (for the CSV export and the tests' brute-force count)."""
    return await fetch_all(
        conn,
        "SELECT id, occurred_at, visitor_id, kind, device, product_id, category_id, variant_id, order_id, "
        "quantity, query, results, step FROM events WHERE occurred_at >= %s AND occurred_at < %s ORDER BY id",
        (start, end + timedelta(days=1)),
    )
