"""Checkout's SQL: the bag as the order will see it, under lock, and emptying it afterwards.
The order itself is written by orders/queries.py and the stock moved by inventory/stock.py."""

from __future__ import annotations

from ..bag.summary import BagLine
from ..db import execute, execute_many, fetch_all, fetch_val, in_list


async def select_shoppers_cart_id(conn, token: str | None, user_id: int) -> int | None:
    """The id of the bag in the cookie if it is this shopper's own; None otherwise. Checking the
    owner too means a copied cookie can never place an order from someone else's bag."""
    return await fetch_val(conn, "SELECT id FROM carts WHERE token = %s AND user_id = %s", (token or "", user_id))


async def select_cart_for_update(conn, cart_id: int) -> int | None:
    """Lock the bag's row (its id, or None if it is gone): one checkout at a time per bag, so a
    double-click waits here and then sees the order the first click placed."""
    return await fetch_val(conn, "SELECT id FROM carts WHERE id = %s FOR UPDATE", (cart_id,))


async def select_lines_for_order(conn, cart_id: int) -> list[BagLine]:
    """The bag's lines with the prices and names the order will keep, in variant id order (the
    order their stock rows are then locked in). No picture: an order does not show one."""
    rows = await fetch_all(
        conn,
        "SELECT ci.variant_id, ci.quantity, v.stock, v.sku, v.price_paise, s.label AS size, co.name AS colour, "
        "p.name AS product_name, p.slug AS product_slug, NULL AS image_path "
        "FROM cart_items ci JOIN variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id "
        "JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
        "WHERE ci.cart_id = %s ORDER BY ci.variant_id",
        (cart_id,))
    return [BagLine(**row) for row in rows]


async def delete_ordered_lines(conn, cart_id: int, variant_ids) -> int:
    """Empty the bag of what was just ordered; returns the lines removed. Only the lines ordered,
    each by its unique key: a scan of cart_items here would lock other shoppers' lines and
    deadlock with their adds (seen under the random-history test). A line added from another tab
    while the order was being placed stays in the bag."""
    placeholders, params = in_list(variant_ids)
    affected, _ = await execute(conn, "DELETE FROM cart_items WHERE cart_id = %s AND variant_id IN ("  # nosec B608 # only in_list()'s %s placeholders are joined in
                                      + placeholders + ")", [cart_id, *params])
    return affected


async def restore_lines(conn, user_id: int, order_id: int) -> int:
    """Put an order's lines back in the shopper's bag (its payment failed, so she can try again
    as she was). Each line by the bag's unique key; a line she has added again meanwhile adds up.
    Plain VALUES rows, not INSERT ... SELECT: that is a bulk insert, which takes the table's
    AUTO-INC lock, and a deadlock on that lock reaches the client as error 1467 ("Failed to read
    auto-increment value"), which nothing retries (seen under the random-history test)."""
    cart_id = await fetch_val(conn, "SELECT id FROM carts WHERE user_id = %s", (user_id,))
    lines = await fetch_all(conn, "SELECT variant_id, quantity FROM order_items WHERE order_id = %s "
                                  "AND variant_id IS NOT NULL ORDER BY variant_id", (order_id,))
    if cart_id is None or not lines:
        return 0
    return await execute_many(
        conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, %s) "
              "ON DUPLICATE KEY UPDATE quantity = LEAST(cart_items.quantity + VALUES(quantity), 999)",
        [(cart_id, line["variant_id"], line["quantity"]) for line in lines])
