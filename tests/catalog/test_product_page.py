"""The product page's data: the product, its variants (with this bag's quantities) and its images
from as few statements as the areas allow, in the same order and with the same stock as the bag's
picker query that the add reply and the live stream use."""

from __future__ import annotations

from mooncart.bag import queries as bag_queries
from mooncart.bag.token import COOKIE_NAME
from mooncart.catalog import queries
from mooncart.catalog.product_page import product_page_context
from mooncart.db import execute
from tests.conftest import HTMX, post, soup, statements_run
from tests.factories import make_product

# colours whose database order (utf8mb4_unicode_ci: case-blind) differs from Python's plain sort
MIXED = [
    ("L", "rust test", 3),
    ("S", "Rust Ochre Test", 0),
    ("M", "Aqua Test", 2),
    ("XL", "aubergine test", 1),
    ("XS", "Aqua Test", 4),
    ("M", "rust test", 5),
    ("S", "Émeraude Test", 2),
    ("S", "Zinc Test", 1),
]


async def bag_token(client) -> str:
    """The signed bag cookie's value after an add, and its token."""
    return next(cookie.value for cookie in client.cookie_jar if cookie.name == COOKIE_NAME)


async def add(client, variant_id: int, quantity: int):
    response = await post(
        client, "/bag/add", form={"variant_id": str(variant_id), "quantity": str(quantity)}, headers=HTMX
    )
    assert response.status_code == 200


async def test_product_variants_and_images_come_in_one_statement(conn):
    product = await make_product(conn, variants=MIXED)
    before = await statements_run(conn)
    page = await queries.select_product_page(conn, product["slug"])
    assert await statements_run(conn) - before - 1 == 1
    assert page["product"]["id"] == product["id"] and page["product"]["category_slug"] == product["category"]["slug"]
    assert len(page["variants"]) == len(MIXED)
    assert page["images"] == [{"id": page["images"][0]["id"], "path": "art/kurti/e91e63.svg", "alt": product["name"]}]


async def test_variants_match_the_bag_pickers_rows_order_and_stock_included(conn):
    product = await make_product(conn, variants=MIXED)
    _, cart_id = await execute(conn, "INSERT INTO carts (token) VALUES (%s)", ("a" * 32,))
    bagged = {product["variants"][0]["id"]: 2, product["variants"][5]["id"]: 1}
    for variant_id, quantity in bagged.items():
        await execute(
            conn,
            "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, %s)",
            (cart_id, variant_id, quantity),
        )
    page = await queries.select_product_page(conn, product["slug"])
    for token in (None, "a" * 32, "b" * 32):
        in_bag = await bag_queries.select_bag_quantities(conn, token, None, product["id"]) if token else {}
        merged = [dict(variant, in_bag=in_bag.get(variant["id"], 0)) for variant in page["variants"]]
        assert merged == await bag_queries.select_product_variants(conn, product["id"], token, None)
    assert await bag_queries.select_bag_quantities(conn, "a" * 32, None, product["id"]) == bagged


async def test_images_come_in_position_order_and_a_bare_product_has_none(conn):
    product = await make_product(conn, variants=[])
    assert (await queries.select_product_page(conn, product["slug"]))["variants"] == []
    await execute(conn, "DELETE FROM product_images WHERE product_id = %s", (product["id"],))
    assert (await queries.select_product_page(conn, product["slug"]))["images"] == []
    for position, path in ((2, "c.svg"), (0, "a.svg"), (1, "b.svg"), (0, "a2.svg")):
        await execute(
            conn,
            "INSERT INTO product_images (product_id, position, path, alt) VALUES (%s, %s, %s, %s)",
            (product["id"], position, path, 'Front "quoted" — ünïcode'),
        )
    images = (await queries.select_product_page(conn, product["slug"]))["images"]
    assert [image["path"] for image in images] == ["a.svg", "a2.svg", "b.svg", "c.svg"]
    assert images[0]["alt"] == 'Front "quoted" — ünïcode'
    assert await queries.select_product_page(conn, "no-such-product") is None


async def test_product_page_costs_six_statements_without_a_bag_and_seven_with_one(app, client, conn):
    product = await make_product(conn, variants=MIXED)
    async with app.app.test_request_context(product["url"]):
        before = await statements_run(conn)
        context = await product_page_context(conn, product["slug"])
        # the product with its variants and images; the rating summary, key phrases, a page of reviews and
        # the recommendation rows (reviews/extras.py); the look it is in, if any (looks/extras.py): fixed,
        # whatever the product has
        assert await statements_run(conn) - before - 1 == 6
    assert all(variant["in_bag"] == 0 for variant in context["picker"].variants)
    await add(client, product["variants"][0]["id"], 2)
    cookie = f"{COOKIE_NAME}={await bag_token(client)}"
    async with app.app.test_request_context(product["url"], headers={"Cookie": cookie}):
        before = await statements_run(conn)
        context = await product_page_context(conn, product["slug"])
        assert await statements_run(conn) - before - 1 == 7  # and what the bag holds of it
    assert [v["in_bag"] for v in context["picker"].variants if v["id"] == product["variants"][0]["id"]] == [2]


async def test_page_shows_fresh_stock_and_the_bags_quantity_on_every_request(client, conn):
    product = await make_product(conn, variants=[("M", "Rani Pink", 5), ("L", "Rani Pink", 3)])
    medium = product["variants"][0]["id"]
    await add(client, medium, 1)
    badge = soup(await (await client.get(product["url"])).get_data()).find(id=f"stock-{medium}").get_text(" ")
    assert "Only 5 left" in badge and "1 in bag" in badge
    await execute(conn, "UPDATE variants SET stock = 2 WHERE id = %s", (medium,))
    badge = soup(await (await client.get(product["url"])).get_data()).find(id=f"stock-{medium}").get_text(" ")
    assert "Only 2 left" in badge and "1 in bag" in badge
