"""Orders' SQL on the real database: an order keeps its snapshots, a shopper sees only their own,
a status changes once, and only lines whose variant still exists are given back."""

from __future__ import annotations

import secrets

from mooncart.db import execute, fetch_val
from mooncart.orders import queries
from tests.factories import ADDRESS, make_order, make_product, make_user


async def test_an_order_keeps_the_address_and_totals_it_was_placed_with(conn):
    user, product = await make_user(conn, password_hash="x"), await make_product(conn, price_paise=149_900)
    order = await make_order(conn, user, product, 2)
    found = await queries.select_order_for(conn, order["number"], user["id"])
    assert (found["id"], found["status"], found["full_name"], found["pin_code"]) == (
        order["id"],
        "placed",
        ADDRESS["full_name"],
        ADDRESS["pin_code"],
    )
    assert (found["subtotal_paise"], found["shipping_paise"], found["total_paise"]) == (299_800, 0, 299_800)


async def test_another_shoppers_order_is_not_found(conn):
    owner, other = await make_user(conn, password_hash="x"), await make_user(conn, password_hash="x")
    order = await make_order(conn, owner, await make_product(conn), 1)
    assert await queries.select_order_for(conn, order["number"], other["id"]) is None


async def test_a_checkout_form_finds_the_order_it_already_placed(conn):
    user = await make_user(conn, password_hash="x")
    order = await make_order(conn, user, await make_product(conn), 1)
    assert await queries.select_order_by_key(conn, user["id"], order["key"]) == {
        "id": order["id"],
        "number": order["number"],
        "status": "placed",
    }
    assert await queries.select_order_by_key(conn, user["id"], secrets.token_hex(16)) is None


async def test_items_keep_the_name_and_price_even_after_the_product_changes(conn):
    user = await make_user(conn, password_hash="x")
    product = await make_product(conn, name="Indigo Kurti", variants=[("S", "Mustard", 5), ("M", "Mustard", 5)])
    order = await make_order(conn, user, product, 2, 1)
    await execute(conn, "UPDATE products SET name = 'Renamed' WHERE id = %s", (product["id"],))
    items = await queries.select_order_items(conn, order["id"])
    assert [(i["product_name"], i["size_label"], i["quantity"], i["total_paise"]) for i in items] == [
        ("Indigo Kurti", "S", 2, 299_800),
        ("Indigo Kurti", "M", 1, 149_900),
    ]


async def test_a_shoppers_orders_are_listed_newest_first_with_their_units(conn):
    user, product = await make_user(conn, password_hash="x"), await make_product(conn)
    first = await make_order(conn, user, product, 1)
    second = await make_order(conn, user, product, 3)
    listed = await queries.select_orders_of(conn, user["id"])
    assert [(o["number"], o["units"]) for o in listed] == [(second["number"], 3), (first["number"], 1)]


async def test_an_order_is_cancelled_once_and_a_paid_one_stays_paid_until_its_refund_is_processed(conn):
    user = await make_user(conn, password_hash="x")
    order = await make_order(conn, user, await make_product(conn), 1, payment_status="paid")
    assert await queries.mark_cancelled(conn, order["id"], user["id"]) is True
    assert await queries.mark_cancelled(conn, order["id"], user["id"]) is False
    row = await queries.select_order_status_for_update(conn, order["id"])
    assert row == {"status": "cancelled", "payment_status": "paid"}  # payments/refunds.py moves it on


async def test_a_shipped_order_or_someone_elses_cannot_be_cancelled(conn):
    owner, other = await make_user(conn, password_hash="x"), await make_user(conn, password_hash="x")
    order = await make_order(conn, owner, await make_product(conn), 1)
    assert await queries.mark_cancelled(conn, order["id"], other["id"]) is False
    await queries.update_order_status(conn, order["id"], "shipped", "pending")
    assert await queries.mark_cancelled(conn, order["id"], owner["id"]) is False
    assert await queries.mark_cancelled(conn, order["id"], None) is False
    assert await queries.mark_cancelled(conn, 4_000_000_000, None) is False
    assert (await queries.select_order_status_for_update(conn, order["id"]))["status"] == "shipped"


async def test_staff_set_the_status_and_the_payment_together(conn):
    user = await make_user(conn, password_hash="x")
    order = await make_order(conn, user, await make_product(conn), 1)
    assert await queries.select_order_status_for_update(conn, order["id"]) == {
        "status": "placed",
        "payment_status": "pending",
    }
    await queries.update_order_status(conn, order["id"], "packed", "pending")
    assert await queries.select_order_status_for_update(conn, order["id"]) == {
        "status": "packed",
        "payment_status": "pending",
    }
    assert await queries.select_order_status_for_update(conn, 4_000_000_000) is None


async def test_only_lines_whose_variant_still_exists_can_be_restocked(conn):
    user = await make_user(conn, password_hash="x")
    product = await make_product(conn, variants=[("S", "Mustard", 5), ("M", "Mustard", 5)])
    small, medium = (v["id"] for v in product["variants"])
    order = await make_order(conn, user, product, 2, 1)
    assert await queries.select_restockable_items(conn, order["id"]) == [(small, 2), (medium, 1)]
    await execute(conn, "DELETE FROM variants WHERE id = %s", (medium,))
    assert await queries.select_restockable_items(conn, order["id"]) == [(small, 2)]
    assert await fetch_val(conn, "SELECT COUNT(*) FROM order_items WHERE order_id = %s", (order["id"],)) == 2
