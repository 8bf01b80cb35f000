"""Orders' SQL: writing an order with its price snapshots, reading a shopper's orders, and
changing an order's status under a lock on its row."""

from __future__ import annotations

from ..db import execute, execute_many, fetch_all, fetch_one

ORDER_COLUMNS = (
    "o.id, o.number, o.user_id, o.status, o.payment_method, o.payment_status, o.payment_reference, "
    "o.subtotal_paise, o.shipping_paise, o.discount_paise, o.gst_paise, "
    "o.subtotal_paise - o.discount_paise + o.shipping_paise AS total_paise, "
    "o.placed_at, o.ship_name AS full_name, o.ship_line1 AS line1, o.ship_line2 AS line2, o.ship_city AS city, "
    "o.ship_state AS state, o.ship_pin_code AS pin_code, o.ship_mobile AS mobile")


async def insert_order(conn, *, number: str, user_id: int, idempotency_key: str, payment_method: str,
                       payment_status: str, payment_reference: str, address: dict, totals) -> int:
    """The order row with a copy of the address and the totals, so later edits to the address
    book or prices never change an order that was placed."""
    _, order_id = await execute(
        conn,
        "INSERT INTO orders (number, user_id, idempotency_key, payment_method, payment_status, payment_reference, "
        "ship_name, ship_line1, ship_line2, ship_city, ship_state, ship_pin_code, ship_mobile, "
        "subtotal_paise, shipping_paise, discount_paise, gst_paise) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (number, user_id, idempotency_key, payment_method, payment_status, payment_reference,
         address["full_name"], address["line1"], address["line2"], address["city"], address["state"],
         address["pin_code"], address["mobile"], totals.subtotal_paise, totals.shipping_paise,
         totals.discount_paise, totals.gst_paise))
    return order_id


async def insert_order_items(conn, order_id: int, lines) -> None:
    """Every line with its name, size, colour, SKU and price as they were, in one INSERT."""
    await execute_many(
        conn,
        "INSERT INTO order_items (order_id, variant_id, product_name, size_label, colour_name, sku, "
        "unit_price_paise, quantity) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [(order_id, l.variant_id, l.product_name, l.size, l.colour, l.sku, l.price_paise, l.quantity)
         for l in lines])


async def select_order_by_key(conn, user_id: int, idempotency_key: str) -> dict | None:
    """The order a checkout form already placed (its id and number), so a re-sent form places none."""
    return await fetch_one(conn, "SELECT id, number FROM orders WHERE user_id = %s AND idempotency_key = %s",
                           (user_id, idempotency_key))


async def select_order_for(conn, number: str, user_id: int) -> dict | None:
    """The shopper's own order by number. Another shopper's is simply not found (a 404),
    so order numbers reveal nothing."""
    return await fetch_one(conn, "SELECT " + ORDER_COLUMNS + " FROM orders o WHERE o.number = %s AND o.user_id = %s",  # nosec B608 # values are %s parameters
                           (number, user_id))


async def select_order_items(conn, order_id: int) -> list[dict]:
    """The order's lines as they were sold, in the order they were written."""
    return await fetch_all(
        conn, "SELECT variant_id, product_name, size_label, colour_name, sku, unit_price_paise, quantity, "
              "unit_price_paise * quantity AS total_paise FROM order_items WHERE order_id = %s ORDER BY id",
        (order_id,))


async def select_orders_of(conn, user_id: int, limit: int = 50) -> list[dict]:
    """A shopper's orders, newest first, with their totals and unit counts for the list."""
    return await fetch_all(
        conn, "SELECT o.number, o.status, o.placed_at, o.subtotal_paise - o.discount_paise + o.shipping_paise AS total_paise, "
              "(SELECT SUM(quantity) FROM order_items i WHERE i.order_id = o.id) AS units "
              "FROM orders o WHERE o.user_id = %s ORDER BY o.placed_at DESC, o.id DESC LIMIT %s",
        (user_id, limit))


async def mark_cancelled(conn, order_id: int, user_id: int | None) -> bool:
    """Only an order not yet shipped can be cancelled, and only once: the order row is locked by
    its primary key and the status checked in the UPDATE, so of two concurrent cancels exactly
    one changes a row. (Filtering by user_id in the UPDATE let MariaDB lock a range of the
    (user_id, placed_at) index and deadlock with other shoppers' new orders.)"""
    owner = await fetch_one(conn, "SELECT user_id FROM orders WHERE id = %s FOR UPDATE", (order_id,))
    if owner is None or (user_id is not None and owner["user_id"] != user_id):
        return False
    affected, _ = await execute(
        conn, "UPDATE orders SET status = 'cancelled', payment_status = IF(payment_status = 'paid', 'refunded', "
              "IF(payment_status = 'pending', 'failed', payment_status)) "
              "WHERE id = %s AND status IN ('placed', 'packed')", (order_id,))
    return affected == 1


async def select_order_status_for_update(conn, order_id: int) -> dict | None:
    """The order's status and payment status, its row locked until the transaction ends: two
    staff moving one order at once take turns, and each sees the status the other left."""
    return await fetch_one(conn, "SELECT status, payment_status FROM orders WHERE id = %s FOR UPDATE", (order_id,))


async def update_order_status(conn, order_id: int, status: str, payment_status: str) -> None:
    """Set both statuses at once (the caller has checked the transition under the row lock)."""
    await execute(conn, "UPDATE orders SET status = %s, payment_status = %s WHERE id = %s",
                  (status, payment_status, order_id))


async def select_restockable_items(conn, order_id: int) -> list[tuple[int, int]]:
    """(variant id, quantity) of each line whose variant still exists: a variant deleted since
    the sale has no stock to give back."""
    rows = await fetch_all(conn, "SELECT variant_id, quantity FROM order_items "
                                 "WHERE order_id = %s AND variant_id IS NOT NULL ORDER BY id", (order_id,))
    return [(row["variant_id"], row["quantity"]) for row in rows]
