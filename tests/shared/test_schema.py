"""The schema itself refuses impossible data: orphans, negative stock, duplicate SKUs."""

from __future__ import annotations

import pytest
from pymysql.err import IntegrityError, OperationalError

from mooncart.db import SCHEMA_PATH, apply_schema, execute, fetch_val, split_sql
from tests.factories import make_colour, make_product, size_id

REFUSED = (IntegrityError, OperationalError)
FOREIGN_KEY_CHILD, FOREIGN_KEY_PARENT, DUPLICATE_KEY = 1452, 1451, 1062


async def refused(conn, constraint: str, sql: str, args=None, code: int | None = None) -> None:
    """The statement fails, and for the reason meant: the named constraint (and error code), not
    another key that happens to fail first."""
    with pytest.raises(REFUSED) as raised:
        await execute(conn, sql, args)
    assert constraint in str(raised.value), raised.value
    if code is not None:
        assert raised.value.args[0] == code, raised.value


NEXT_FREE_ID = {
    table: f"SELECT COALESCE(MAX(id), 0) + 1000 FROM {table}" for table in ("variants", "carts", "products")
}


async def missing_id(conn, table: str) -> int:
    """An id no row has: above every id the table holds (never a fixed id that a row may have)."""
    return await fetch_val(conn, NEXT_FREE_ID[table])


async def test_negative_stock_is_rejected(conn):
    product = await make_product(conn, stock=2)
    await refused(
        conn,
        "ck_variants_stock",
        "UPDATE variants SET stock = stock - 3 WHERE id = %s",
        (product["variants"][0]["id"],),
    )
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (product["variants"][0]["id"],)) == 2


async def test_a_bag_line_cannot_point_at_a_missing_variant_or_bag(conn):
    _, cart_id = await execute(conn, "INSERT INTO carts (token) VALUES (%s)", ("a" * 32,))
    product = await make_product(conn)
    variant_id = product["variants"][0]["id"]
    insert = "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)"
    await refused(
        conn, "fk_cart_items_variant", insert, (cart_id, await missing_id(conn, "variants")), FOREIGN_KEY_CHILD
    )
    await refused(conn, "fk_cart_items_cart", insert, (await missing_id(conn, "carts"), variant_id), FOREIGN_KEY_CHILD)
    await execute(conn, insert, (cart_id, variant_id))  # with both real, the same line is fine


async def test_zero_quantity_lines_are_rejected(conn):
    product = await make_product(conn)
    _, cart_id = await execute(conn, "INSERT INTO carts (token) VALUES (%s)", ("b" * 32,))
    await refused(
        conn,
        "ck_cart_items_quantity",
        "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 0)",
        (cart_id, product["variants"][0]["id"]),
    )


async def test_a_variant_cannot_exist_without_its_product(conn):
    product = await make_product(conn)
    size, colour = await size_id(conn, "L"), await make_colour(conn, "Teal")
    insert = (
        "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, stock) VALUES (%s, %s, %s, %s, 100, 1)"
    )
    await refused(
        conn,
        "fk_variants_product",
        insert,
        (await missing_id(conn, "products"), size, colour, "ORPHAN-1"),
        FOREIGN_KEY_CHILD,
    )
    await execute(conn, insert, (product["id"], size, colour, "ORPHAN-1"))  # size, colour and SKU were fine


async def test_skus_are_unique(conn):
    product = await make_product(conn)
    variant = product["variants"][0]
    other_size = await size_id(conn, "L")  # the variant is an M: only the SKU repeats
    await refused(
        conn,
        "uq_variants_sku",
        "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, stock) "
        "SELECT product_id, %s, colour_id, sku, 100, 1 FROM variants WHERE id = %s",
        (other_size, variant["id"]),
        DUPLICATE_KEY,
    )


async def test_deleting_a_product_empties_bags_but_keeps_order_history(conn):
    product = await make_product(conn, stock=5)
    variant_id = product["variants"][0]["id"]
    _, cart_id = await execute(conn, "INSERT INTO carts (token) VALUES (%s)", ("c" * 32,))
    await execute(
        conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)", (cart_id, variant_id)
    )
    _, user_id = await execute(
        conn,
        "INSERT INTO users (email, name, mobile, password_hash) "
        "VALUES ('asha@example.in', 'Asha Rao', '9876543210', 'x')",
    )
    _, order_id = await execute(
        conn,
        "INSERT INTO orders (number, user_id, idempotency_key, payment_method, ship_name, ship_line1, "
        "ship_city, ship_state, ship_pin_code, ship_mobile, subtotal_paise, shipping_paise, gst_paise) "
        "VALUES ('MC-TEST-1', %s, %s, 'cod', 'Asha', '1 MG Road', 'Pune', 'Maharashtra', '411001', "
        "'9876543210', 149900, 0, 16061)",
        (user_id, "d" * 32),
    )
    await execute(
        conn,
        "INSERT INTO order_items (order_id, variant_id, product_name, size_label, colour_name, sku, "
        "unit_price_paise, quantity) VALUES (%s, %s, %s, 'M', 'Rani Pink', %s, 149900, 1)",
        (order_id, variant_id, product["name"], product["variants"][0]["sku"]),
    )
    await execute(conn, "DELETE FROM products WHERE id = %s", (product["id"],))
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_items WHERE cart_id = %s", (cart_id,)) == 0
    kept = await fetch_val(
        conn, "SELECT product_name FROM order_items WHERE order_id = %s AND variant_id IS NULL", (order_id,)
    )
    assert kept == product["name"]


async def test_a_category_with_products_cannot_be_deleted(conn):
    product = await make_product(conn)
    await refused(
        conn,
        "fk_products_category",
        "DELETE FROM categories WHERE id = %s",
        (product["category"]["id"],),
        FOREIGN_KEY_PARENT,
    )


async def test_the_schema_applies_twice_without_error(database):
    import aiomysql

    connection = await aiomysql.connect(**database.connect_kwargs())
    try:
        assert await apply_schema(connection) == len(split_sql(SCHEMA_PATH.read_text()))
        assert await fetch_val(connection, "SELECT COUNT(*) FROM sizes WHERE label = 'M'") == 1
    finally:
        connection.close()


async def test_every_table_is_innodb_utf8mb4(conn, database):
    rows = await fetch_val(
        conn,
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s "
        "AND (engine <> 'InnoDB' OR table_collation NOT LIKE 'utf8mb4%%')",
        (database.database,),
    )
    assert rows == 0
