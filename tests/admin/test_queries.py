"""The back office's SQL on the real database: finding products and orders, keeping the "from"
price right, photos in order, and staff made by the command line."""

from __future__ import annotations

from mooncart.admin import queries
from mooncart.db import execute, fetch_one, fetch_val
from tests.factories import make_category, make_order, make_product, make_user


async def test_product_search_matches_a_word_of_the_name_or_an_exact_sku(conn):
    category = await make_category(conn)
    wanted = await make_product(conn, category=category, name="Zardozi 100% Silk Dupatta")
    await make_product(conn, category=category, name="Plain Cotton Dupatta")
    assert [p["id"] for p in await queries.search_products(conn, "Zardozi")] == [wanted["id"]]
    assert [p["id"] for p in await queries.search_products(conn, wanted["variants"][0]["sku"])] == [wanted["id"]]


async def test_like_wildcards_in_a_search_are_plain_characters(conn):
    await make_product(conn, name="Zardozi 100% Silk Dupatta")
    other = await make_product(conn, name="Zardozi 1000 Silk Dupatta")
    assert other["id"] not in [p["id"] for p in await queries.search_products(conn, "100%")]
    assert await queries.search_products(conn, "Zardozi_1") == []


async def test_an_empty_search_lists_the_newest_products_with_their_stock(conn):
    older = await make_product(conn, variants=[("S", "Mustard", 2), ("M", "Mustard", 3)])
    newer = await make_product(conn, stock=1)
    listed = await queries.search_products(conn, "", limit=2)
    assert [(p["id"], p["stock"]) for p in listed] == [(newer["id"], 1), (older["id"], 5)]


async def test_the_from_price_follows_the_cheapest_variant(conn):
    product = await make_product(conn, price_paise=149_900, variants=[("S", "Mustard", 1), ("M", "Mustard", 1)])
    await execute(conn, "UPDATE variants SET price_paise = 99900 WHERE id = %s", (product["variants"][1]["id"],))
    await queries.refresh_from_price(conn, product["id"])
    assert (await queries.select_product(conn, product["id"]))["from_price_paise"] == 99900


async def test_a_product_without_variants_keeps_its_from_price(conn):
    category = await make_category(conn)
    product_id = await queries.insert_product(
        conn,
        {"category_id": category["id"], "name": "New Lehenga", "description": "", "fabric": "", "price_paise": 499_900},
        "new-lehenga-test",
    )
    await queries.refresh_from_price(conn, product_id)
    assert (await queries.select_product(conn, product_id))["from_price_paise"] == 499_900


async def test_photos_are_numbered_in_the_order_they_arrive_and_deleting_names_the_product(conn):
    product = await make_product(conn)  # the factory gives it photo 0
    first = await queries.insert_image(conn, product["id"], "uploads/a.jpg", "front")
    second = await queries.insert_image(conn, product["id"], "uploads/b.jpg", "back")
    positions = [
        await fetch_val(conn, "SELECT position FROM product_images WHERE id = %s", (i,)) for i in (first, second)
    ]
    assert positions == [1, 2]
    assert await queries.delete_image(conn, first) == product["id"]
    assert await queries.delete_image(conn, first) is None


async def test_orders_are_found_by_status_number_or_email(conn):
    user, product = await make_user(conn, password_hash="x"), await make_product(conn)
    placed = await make_order(conn, user, product, 1)
    packed = await make_order(conn, user, product, 2)
    await execute(conn, "UPDATE orders SET status = 'packed' WHERE id = %s", (packed["id"],))
    by_email = await queries.search_orders(conn, None, user["email"])
    assert [o["number"] for o in by_email] == [packed["number"], placed["number"]]
    assert [o["number"] for o in await queries.search_orders(conn, "packed", user["email"])] == [packed["number"]]
    assert [o["number"] for o in await queries.search_orders(conn, None, placed["number"])] == [placed["number"]]
    assert await queries.search_orders(conn, "placed", packed["number"]) == []


async def test_staff_see_any_order_with_its_customer(conn):
    user = await make_user(conn, name="Meera Iyer", password_hash="x")
    order = await make_order(conn, user, await make_product(conn), 1)
    found = await queries.select_order(conn, order["number"])
    assert (found["id"], found["customer"], found["email"], found["customer_id"]) == (
        order["id"],
        "Meera Iyer",
        user["email"],
        user["id"],
    )
    assert await queries.select_order(conn, "MC000000-NONE") is None


async def test_the_product_count_counts_every_product(conn):
    before = await queries.select_product_count(conn)
    await make_product(conn)
    assert await queries.select_product_count(conn) == before + 1


async def test_making_staff_sets_the_flag_and_the_password_in_one_statement(conn):
    user = await make_user(conn, password_hash="old")
    await queries.update_staff_password(conn, user["id"], "new-hash")
    assert await fetch_one(conn, "SELECT is_staff, password_hash FROM users WHERE id = %s", (user["id"],)) == {
        "is_staff": 1,
        "password_hash": "new-hash",
    }
