"""Orders' SQL: writing an order with its price snapshots, reading a shopper's orders, and
changing an order's status under a lock on its row."""

from __future__ import annotations

from ..db import execute, execute_many, fetch_all, fetch_one

ORDER_COLUMNS = (
    "o.id, o.number, o.user_id, o.status, o.payment_method, o.payment_status, o.payment_reference, "
    "o.subtotal_paise, o.shipping_paise, o.discount_paise, o.gst_paise, "
    "o.subtotal_paise - o.discount_paise + o.shipping_paise AS total_paise, "
    "o.placed_at, o.delivered_at, "
    "(o.status = 'delivered' AND o.delivered_at >= NOW(6) - INTERVAL 15 DAY) AS return_open, "
    "o.ship_name AS full_name, o.ship_line1 AS line1, o.ship_line2 AS line2, o.ship_city AS city, "
    "o.ship_state AS state, o.ship_pin_code AS pin_code, o.ship_mobile AS mobile"
)


async def insert_order(
    conn,
    *,
    number: str,
    user_id: int,
    idempotency_key: str,
    payment_method: str,
    payment_status: str,
    payment_reference: str,
    address: dict,
    totals,
    status: str = "placed",
) -> int:
    """The order row with a copy of the address and the totals, so later edits to the address
    book or prices never change an order that was placed. A card or UPI order starts as
    'awaiting_payment' (its stock reserved) until the gateway answers."""
    _, order_id = await execute(
        conn,
        "INSERT INTO orders (number, user_id, idempotency_key, status, payment_method, payment_status, "
        "payment_reference, ship_name, ship_line1, ship_line2, ship_city, ship_state, ship_pin_code, ship_mobile, "
        "subtotal_paise, shipping_paise, discount_paise, gst_paise) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            number,
            user_id,
            idempotency_key,
            status,
            payment_method,
            payment_status,
            payment_reference,
            address["full_name"],
            address["line1"],
            address["line2"],
            address["city"],
            address["state"],
            address["pin_code"],
            address["mobile"],
            totals.subtotal_paise,
            totals.shipping_paise,
            totals.discount_paise,
            totals.gst_paise,
        ),
    )
    return order_id


async def insert_order_items(conn, order_id: int, lines) -> None:
    """Every line with its name, size, colour, SKU and price as they were, in one INSERT."""
    await execute_many(
        conn,
        "INSERT INTO order_items (order_id, variant_id, product_name, size_label, colour_name, sku, "
        "unit_price_paise, quantity) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [
            (order_id, ln.variant_id, ln.product_name, ln.size, ln.colour, ln.sku, ln.price_paise, ln.quantity)
            for ln in lines
        ],
    )


async def select_order_by_key(conn, user_id: int, idempotency_key: str) -> dict | None:
    """The order a checkout form already placed (its id, number and status), so a re-sent form
    places none."""
    return await fetch_one(
        conn,
        "SELECT id, number, status FROM orders WHERE user_id = %s AND idempotency_key = %s",
        (user_id, idempotency_key),
    )


async def select_order_for(conn, number: str, user_id: int) -> dict | None:
    """The shopper's own order by number. Another shopper's is simply not found (a 404),
    so order numbers reveal nothing."""
    return await fetch_one(
        conn,
        "SELECT " + ORDER_COLUMNS + " FROM orders o WHERE o.number = %s AND o.user_id = %s",  # nosec B608 # values are %s parameters
        (number, user_id),
    )


async def select_order_items(conn, order_id: int) -> list[dict]:
    """The order's lines as they were sold, in the order they were written."""
    return await fetch_all(
        conn,
        "SELECT variant_id, product_name, size_label, colour_name, sku, unit_price_paise, quantity, "
        "unit_price_paise * quantity AS total_paise FROM order_items WHERE order_id = %s ORDER BY id",
        (order_id,),
    )


async def select_orders_of(conn, user_id: int, limit: int = 50) -> list[dict]:
    """A shopper's orders, newest first, with their totals and unit counts for the list."""
    return await fetch_all(
        conn,
        "SELECT o.number, o.status, o.placed_at, "
        "o.subtotal_paise - o.discount_paise + o.shipping_paise AS total_paise, "
        "(SELECT SUM(quantity) FROM order_items i WHERE i.order_id = o.id) AS units "
        "FROM orders o WHERE o.user_id = %s ORDER BY o.placed_at DESC, o.id DESC LIMIT %s",
        (user_id, limit),
    )


async def mark_cancelled(conn, order_id: int, user_id: int | None) -> bool:
    """Only an order not yet shipped can be cancelled, and only once: the order row is locked by
    its primary key and the status checked in the UPDATE, so of two concurrent cancels exactly
    one changes a row. (Filtering by user_id in the UPDATE let MariaDB lock a range of the
    (user_id, placed_at) index and deadlock with other shoppers' new orders.)"""
    owner = await fetch_one(conn, "SELECT user_id FROM orders WHERE id = %s FOR UPDATE", (order_id,))
    if owner is None or (user_id is not None and owner["user_id"] != user_id):
        return False
    affected, _ = await execute(
        conn,
        "UPDATE orders SET status = 'cancelled', "
        "payment_status = IF(payment_status = 'pending', 'failed', payment_status) "
        "WHERE id = %s AND status IN ('placed', 'packed')",
        (order_id,),
    )
    return affected == 1


async def select_order_status_for_update(conn, order_id: int) -> dict | None:
    """The order's status and payment status, its row locked until the transaction ends: two
    staff moving one order at once take turns, and each sees the status the other left."""
    return await fetch_one(conn, "SELECT status, payment_status FROM orders WHERE id = %s FOR UPDATE", (order_id,))


async def update_order_status(conn, order_id: int, status: str, payment_status: str) -> None:
    """Set both statuses at once (the caller has checked the transition under the row lock)."""
    await execute(
        conn,
        "UPDATE orders SET status = %s, payment_status = %s, "
        "delivered_at = IF(%s = 'delivered', NOW(6), delivered_at) WHERE id = %s",
        (status, payment_status, status, order_id),
    )


async def select_restockable_items(conn, order_id: int) -> list[tuple[int, int]]:
    """(variant id, quantity) of each line whose variant still exists (a variant deleted since
    the sale has no stock to give back), less what a received return already gave back."""
    rows = await fetch_all(
        conn,
        "SELECT i.variant_id, i.quantity - COALESCE((SELECT SUM(ri.quantity) FROM return_items ri "
        "JOIN returns r ON r.id = ri.return_id WHERE ri.order_item_id = i.id AND r.status = 'received'), 0) "
        "AS quantity FROM order_items i WHERE i.order_id = %s AND i.variant_id IS NOT NULL "
        "HAVING quantity > 0 ORDER BY i.id",
        (order_id,),
    )
    return [(row["variant_id"], row["quantity"]) for row in rows]


# ---- returns and exchanges ---------------------------------------------------------------------


async def select_returnable_items(conn, order_id: int) -> list[dict]:
    """The order's lines with how many units are already in a return or exchange that was not
    rejected (those cannot be asked for twice), and the line's product and colour for exchanges."""
    return await fetch_all(
        conn,
        "SELECT i.id, i.variant_id, i.product_name, i.size_label, i.colour_name, i.unit_price_paise, i.quantity, "
        "COALESCE((SELECT SUM(ri.quantity) FROM return_items ri JOIN returns r ON r.id = ri.return_id "
        "WHERE ri.order_item_id = i.id AND r.status <> 'rejected'), 0) AS in_returns "
        "FROM order_items i WHERE i.order_id = %s ORDER BY i.id",
        (order_id,),
    )


async def select_exchange_options(conn, order_id: int) -> list[dict]:
    """For each line: the other sizes of the same product in the same colour that are in stock now."""
    return await fetch_all(
        conn,
        "SELECT i.id AS order_item_id, v2.id AS variant_id, s.label AS size, v2.stock "
        "FROM order_items i JOIN variants v ON v.id = i.variant_id "
        "JOIN variants v2 ON v2.product_id = v.product_id AND v2.colour_id = v.colour_id AND v2.id <> v.id "
        "JOIN sizes s ON s.id = v2.size_id WHERE i.order_id = %s AND v2.stock > 0 ORDER BY i.id, s.position",
        (order_id,),
    )


async def insert_return(conn, order_id: int, kind: str, reason: str, note: str, items) -> int:
    """The request and its lines ((order item id, quantity, exchange variant id or None))."""
    _, return_id = await execute(
        conn,
        "INSERT INTO returns (order_id, kind, reason, note) VALUES (%s, %s, %s, %s)",
        (order_id, kind, reason, note[:500]),
    )
    await execute_many(
        conn,
        "INSERT INTO return_items (return_id, order_item_id, quantity, exchange_variant_id) VALUES (%s, %s, %s, %s)",
        [(return_id, *item) for item in items],
    )
    return return_id


async def select_returns(conn, order_id: int) -> list[dict]:
    """The order's returns, oldest first, each with its lines (one query, grouped here)."""
    rows = await fetch_all(
        conn,
        "SELECT r.id, r.kind, r.status, r.reason, r.note, r.requested_at, ri.quantity, i.product_name, "
        "i.size_label, i.colour_name, i.unit_price_paise, s.label AS exchange_size "
        "FROM returns r JOIN return_items ri ON ri.return_id = r.id JOIN order_items i ON i.id = ri.order_item_id "
        "LEFT JOIN variants v ON v.id = ri.exchange_variant_id LEFT JOIN sizes s ON s.id = v.size_id "
        "WHERE r.order_id = %s ORDER BY r.id, ri.id",
        (order_id,),
    )
    returns: dict[int, dict] = {}
    for row in rows:
        entry = returns.setdefault(
            row["id"], {k: row[k] for k in ("id", "kind", "status", "reason", "note", "requested_at")} | {"lines": []}
        )
        entry["lines"].append(
            {
                k: row[k]
                for k in ("quantity", "product_name", "size_label", "colour_name", "unit_price_paise", "exchange_size")
            }
        )
    return list(returns.values())


async def select_return_for_update(conn, return_id: int, order_id: int) -> dict | None:
    """The return (of this order), its row locked: staff take turns on it."""
    return await fetch_one(
        conn, "SELECT id, kind, status FROM returns WHERE id = %s AND order_id = %s FOR UPDATE", (return_id, order_id)
    )


async def select_return_lines(conn, return_id: int) -> list[dict]:
    """What a return sends back and what it sends out instead, with the price paid per unit."""
    return await fetch_all(
        conn,
        "SELECT ri.quantity, ri.exchange_variant_id, i.variant_id, i.unit_price_paise "
        "FROM return_items ri JOIN order_items i ON i.id = ri.order_item_id WHERE ri.return_id = %s ORDER BY ri.id",
        (return_id,),
    )


async def update_return_status(conn, return_id: int, status: str) -> None:
    """Move a return to its next status."""
    await execute(conn, "UPDATE returns SET status = %s WHERE id = %s", (status, return_id))


async def select_units_returned_for_refund(conn, order_id: int) -> tuple[int, int]:
    """(units sold, units received back for a refund): equal means the whole order came back."""
    # a SELECT without FROM always gives exactly one row
    [row] = await fetch_all(
        conn,
        "SELECT (SELECT SUM(quantity) FROM order_items WHERE order_id = %s) AS sold, "
        "(SELECT COALESCE(SUM(ri.quantity), 0) FROM return_items ri JOIN returns r ON r.id = ri.return_id "
        "WHERE r.order_id = %s AND r.status = 'received' AND ri.exchange_variant_id IS NULL) AS back",
        (order_id, order_id),
    )
    return int(row["sold"] or 0), int(row["back"] or 0)


async def update_order_returned(conn, order_id: int) -> None:
    """Every unit came back: the order itself is returned."""
    await execute(conn, "UPDATE orders SET status = 'returned' WHERE id = %s AND status = 'delivered'", (order_id,))


async def select_order_for_mail(conn, order_id: int) -> dict | None:
    """An order with its shopper's e-mail address, for the order e-mails (orders/mail.py)."""
    return await fetch_one(
        conn,
        "SELECT " + ORDER_COLUMNS + ", u.email "  # nosec B608 # values are %s parameters
        "FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = %s",
        (order_id,),
    )
