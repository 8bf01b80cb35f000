"""The schema itself refuses impossible data: orphans, negative stock, duplicate SKUs."""

from __future__ import annotations

import pytest
from pymysql.err import IntegrityError, OperationalError

from mooncart.db import apply_schema, execute, fetch_val, split_sql, SCHEMA_PATH
from tests.factories import make_product

REFUSED = (IntegrityError, OperationalError)


async def test_negative_stock_is_rejected(conn):
    product = await make_product(conn, stock=2)
    with pytest.raises(REFUSED):
        await execute(conn, "UPDATE variants SET stock = stock - 3 WHERE id = %s", (product["variants"][0]["id"],))
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (product["variants"][0]["id"],)) == 2


async def test_a_bag_line_cannot_point_at_a_missing_variant_or_bag(conn):
    _, cart_id = await execute(conn, "INSERT INTO carts (token) VALUES (%s)", ("a" * 32,))
    with pytest.raises(IntegrityError):
        await execute(conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, 4000000000, 1)",
                      (cart_id,))
    product = await make_product(conn)
    with pytest.raises(IntegrityError):
        await execute(conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (4000000000, %s, 1)",
                      (product["variants"][0]["id"],))


async def test_zero_quantity_lines_are_rejected(conn):
    product = await make_product(conn)
    _, cart_id = await execute(conn, "INSERT INTO carts (token) VALUES (%s)", ("b" * 32,))
    with pytest.raises(REFUSED):
        await execute(conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 0)",
                      (cart_id, product["variants"][0]["id"]))


async def test_a_variant_cannot_exist_without_its_product(conn):
    with pytest.raises(IntegrityError):
        await execute(conn, "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, stock) "
                            "VALUES (4000000000, 1, 1, 'ORPHAN-1', 100, 1)")


async def test_skus_are_unique(conn):
    product = await make_product(conn)
    variant = product["variants"][0]
    with pytest.raises(IntegrityError):
        await execute(conn, "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, stock) "
                            "SELECT product_id, 1, colour_id, sku, 100, 1 FROM variants WHERE id = %s",
                      (variant["id"],))


async def test_deleting_a_product_empties_bags_but_keeps_order_history(conn):
    product = await make_product(conn, stock=5)
    variant_id = product["variants"][0]["id"]
    _, cart_id = await execute(conn, "INSERT INTO carts (token) VALUES (%s)", ("c" * 32,))
    await execute(conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)",
                  (cart_id, variant_id))
    _, user_id = await execute(conn, "INSERT INTO users (email, name, mobile, password_hash) "
                                     "VALUES ('asha@example.in', 'Asha Rao', '9876543210', 'x')")
    _, order_id = await execute(
        conn, "INSERT INTO orders (number, user_id, idempotency_key, payment_method, ship_name, ship_line1, "
              "ship_city, ship_state, ship_pin_code, ship_mobile, subtotal_paise, shipping_paise, gst_paise) "
              "VALUES ('MC-TEST-1', %s, %s, 'cod', 'Asha', '1 MG Road', 'Pune', 'Maharashtra', '411001', "
              "'9876543210', 149900, 0, 16061)", (user_id, "d" * 32))
    await execute(conn, "INSERT INTO order_items (order_id, variant_id, product_name, size_label, colour_name, sku, "
                        "unit_price_paise, quantity) VALUES (%s, %s, %s, 'M', 'Rani Pink', %s, 149900, 1)",
                  (order_id, variant_id, product["name"], product["variants"][0]["sku"]))
    await execute(conn, "DELETE FROM products WHERE id = %s", (product["id"],))
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_items WHERE cart_id = %s", (cart_id,)) == 0
    kept = await fetch_val(conn, "SELECT product_name FROM order_items WHERE order_id = %s AND variant_id IS NULL",
                           (order_id,))
    assert kept == product["name"]


async def test_a_category_with_products_cannot_be_deleted(conn):
    product = await make_product(conn)
    with pytest.raises(IntegrityError):
        await execute(conn, "DELETE FROM categories WHERE id = %s", (product["category"]["id"],))


async def test_the_schema_applies_twice_without_error(database):
    import aiomysql

    connection = await aiomysql.connect(**database.connect_kwargs())
    try:
        assert await apply_schema(connection) == len(split_sql(SCHEMA_PATH.read_text()))
        assert await fetch_val(connection, "SELECT COUNT(*) FROM sizes WHERE label = 'M'") == 1
    finally:
        connection.close()


async def test_every_table_is_innodb_utf8mb4(conn, database):
    rows = await fetch_val(conn, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s "
                                 "AND (engine <> 'InnoDB' OR table_collation NOT LIKE 'utf8mb4%%')",
                           (database.database,))
    assert rows == 0
