"""Many "Add the look" at once, on real connections (the app's own pool, committed rows): the last
units are never oversold into a bag, and a bag gets every piece of a look or none, whatever the
interleaving. The bag's rule decides what may go in (bag/rules.py); these tests hold whatever it
allows: a line never beyond the stock, one of each piece per success, a reason naming the piece
for every refusal, never a 5xx, and all of it within a bounded time."""

from __future__ import annotations

import asyncio
import time

import pytest

from mooncart import create_app
from mooncart.db import execute, fetch_all, in_list
from tests.conftest import HTMX, csrf, post, soup
from tests.factories import make_look, make_product

TABS, SHOPPERS = 8, 6


@pytest.fixture
async def racing(database, committed):
    """A look of three pieces whose juttis have their last units, an app on its own pool, and
    the cleaning up of whatever bags the test made."""
    conn, made = committed
    kurti = await make_product(conn, name="Race Kurti", variants=[("M", "Ivory", 20)])
    dupatta = await make_product(conn, name="Race Dupatta", variants=[("Free size", "Rust", 20)])
    juttis = await make_product(conn, name="Race Juttis", variants=[("UK 6", "Gold", 1)])
    other = await make_product(conn, name="Something else in the bag", variants=[("M", "Teal", 50)])
    pieces = [kurti, dupatta, juttis]
    for product in [*pieces, other]:
        made["products"].append(product["id"])
        made["categories"].append(product["category"]["id"])
    look = await make_look(conn, pieces, name="Race look")
    app = create_app({"SECRET_KEY": "race", "DATABASE_URL": database.url})
    variant_ids = [p["variants"][0]["id"] for p in pieces]
    try:
        async with app.test_app() as test_app:
            yield {
                "app": test_app,
                "conn": conn,
                "look": look,
                "pieces": pieces,
                "other": other,
                "variants": variant_ids,
            }
    finally:
        placeholders, ids = in_list([*variant_ids, other["variants"][0]["id"]])
        carts = await fetch_all(
            conn, f"SELECT DISTINCT cart_id FROM cart_items WHERE variant_id IN ({placeholders})", ids
        )
        for row in carts:
            await execute(conn, "DELETE FROM carts WHERE id = %s", (row["cart_id"],))
        await execute(conn, "DELETE FROM looks WHERE id = %s", (look["id"],))


def form_for(race: dict) -> dict:
    return {f"piece-{p['id']}": str(p["variants"][0]["id"]) for p in race["pieces"]}


async def shopper_with_a_bag(race: dict):
    """A guest whose bag already exists (something else is in it), so her tabs share that bag."""
    client = race["app"].test_client()
    await csrf(client)
    response = await post(
        client, "/bag/add", form={"variant_id": str(race["other"]["variants"][0]["id"]), "quantity": "1"}
    )
    assert response.status_code == 303
    return client


async def lines_by_bag(race: dict) -> dict[int, dict[int, int]]:
    """{cart id: {variant id: quantity}} of the look's sizes, in every bag."""
    placeholders, ids = in_list(race["variants"])
    rows = await fetch_all(
        race["conn"], f"SELECT cart_id, variant_id, quantity FROM cart_items WHERE variant_id IN ({placeholders})", ids
    )
    bags: dict[int, dict[int, int]] = {}
    for row in rows:
        bags.setdefault(row["cart_id"], {})[row["variant_id"]] = row["quantity"]
    return bags


async def add_the_look(client, race: dict):
    response = await post(client, f"/look/{race['look']['slug']}/add", form=form_for(race), headers=HTMX)
    return response.status_code, soup(await response.get_data()).get_text(" ", strip=True)


async def test_several_tabs_of_one_bag_adding_the_look_on_the_last_pair_add_it_once(racing):
    race = racing
    client = await shopper_with_a_bag(race)
    started = time.monotonic()
    results = await asyncio.wait_for(asyncio.gather(*(add_the_look(client, race) for _ in range(TABS))), timeout=60)
    elapsed = time.monotonic() - started
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [422] * (TABS - 1), statuses
    for status, text in results:
        if status == 422:
            assert "Nothing was added to your bag." in text
            assert "Race Juttis in size UK 6: only 1 left and 1 already in your bag" in text
    bags = await lines_by_bag(race)
    assert list(bags.values()) == [{variant_id: 1 for variant_id in race["variants"]}], "one of each, once"
    assert elapsed < 30, f"{TABS} adds took {elapsed:.1f} s"
    print(f"\n{TABS} tabs adding the look at once: {elapsed:.2f} s")


async def test_shoppers_racing_for_the_last_units_never_get_more_than_the_stock_nor_half_a_look(racing):
    race = racing
    await execute(race["conn"], "UPDATE variants SET stock = 2 WHERE id = %s", (race["variants"][2],))  # two pairs left
    shoppers = [await shopper_with_a_bag(race) for _ in range(SHOPPERS)]
    started = time.monotonic()
    results = await asyncio.wait_for(
        asyncio.gather(*(add_the_look(client, race) for client in shoppers for _ in range(2))),  # two tabs each
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert {status for status, _ in results} <= {200, 422}, [status for status, _ in results]
    added = sum(1 for status, _ in results if status == 200)
    assert added >= 1
    for status, text in results:
        if status == 422:
            assert "Nothing was added to your bag." in text and "Race Juttis in size UK 6:" in text, text
    bags = await lines_by_bag(race)
    stock = {race["variants"][0]: 20, race["variants"][1]: 20, race["variants"][2]: 2}
    for lines in bags.values():
        assert set(lines) == set(race["variants"]), f"half a look in a bag: {lines}"
        assert len(set(lines.values())) == 1, f"a bag holds the pieces in different numbers: {lines}"
        assert all(quantity <= stock[variant_id] for variant_id, quantity in lines.items()), "oversold into a bag"
    assert sum(lines[race["variants"][2]] for lines in bags.values()) == added, "each success added one of each piece"
    assert elapsed < 30, f"{2 * SHOPPERS} adds took {elapsed:.1f} s"
    print(f"\n{SHOPPERS} shoppers x 2 tabs adding the look at once: {elapsed:.2f} s, {added} added")
