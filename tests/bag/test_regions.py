"""Each region is drawn from one function: the htmx reply shows exactly what the page shows."""

from __future__ import annotations

from mooncart.bag.rules import MAX_PER_LINE
from tests.conftest import HTMX, post, soup
from tests.factories import add, make_product


async def change_quantity(client, variant_id, quantity):
    return await post(client, f"/bag/items/{variant_id}", form={"quantity": str(quantity)}, headers=HTMX)


async def test_the_add_reply_shows_the_badge_and_count_the_page_shows_after_it(client, conn):
    product = await make_product(conn, variants=[("S", "Teal", 4), ("M", "Teal", 9)])
    small, medium = product["variants"]
    await add(client, medium["id"], 1)
    reply = soup(await (await add(client, small["id"], 2)).get_data())
    page = soup(await (await client.get(f"/products/{product['slug']}")).get_data())
    badge = f"stock-{small['id']}"
    assert str(reply.find(id=badge)) == str(page.find(id=badge))
    assert "Only 4 left · 2 in bag" in page.find(id=badge).get_text()
    assert reply.find(id="bag-count").get_text() == page.find(id="bag-count").get_text() == "3"


async def test_a_refused_add_reads_the_same_with_and_without_javascript(client, conn):
    variant = (await make_product(conn, stock=2))["variants"][0]
    reply = soup(await (await add(client, variant["id"], 3)).get_data())
    page = soup(await (await add(client, variant["id"], 3, htmx=False)).get_data())
    message = page.find(id="add-to-bag-status").find(class_="notice")
    assert str(message) == str(reply.find(class_="notice"))
    assert "Only 2 left" in message.get_text() and "error" in message["class"]


async def test_the_quantity_boxes_top_out_at_the_bags_per_line_cap(client, conn):
    product = await make_product(conn, stock=50)
    variant = product["variants"][0]
    await add(client, variant["id"], 1)
    page = soup(await (await client.get(f"/products/{product['slug']}")).get_data())
    bag = soup(await (await client.get("/bag")).get_data())
    assert page.find("input", attrs={"name": "quantity"})["max"] == str(MAX_PER_LINE)
    line = bag.find(id=f"bag-line-{variant['id']}")
    assert line.find("input", attrs={"name": "quantity"})["max"] == str(MAX_PER_LINE)


async def test_the_bag_page_and_a_line_change_show_the_same_summary(client, conn):
    product = await make_product(conn, variants=[("S", "Coral", 8), ("M", "Coral", 8)])
    small, medium = product["variants"]
    await add(client, small["id"], 1)
    await add(client, medium["id"], 2)
    reply = soup(await (await change_quantity(client, small["id"], 3)).get_data())
    page = soup(await (await client.get("/bag")).get_data())
    assert str(reply.find(id="bag-summary")) == str(page.find(id="bag-summary"))
    assert reply.find(id="bag-count").get_text() == page.find(id="bag-count").get_text() == "5"
