"""The Redis cache of product pages, listings and the product page's reviews and recommendation
rows: it must never show stock or a price older than the event that changed it (cache.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
from decimal import Decimal

import aiomysql
import pytest
import redis.asyncio as redis

from mooncart import cache, create_app
from mooncart.catalog import queries
from mooncart.catalog.product_page import product_data
from mooncart.db import execute
from mooncart.formatting import discount_percent
from mooncart.inventory import events
from tests.conftest import soup
from tests.factories import make_product

REDIS_URL = f"redis://127.0.0.1:{os.environ.get('MOONCART_TEST_REDIS_PORT', '6379')}/6"


@pytest.fixture
async def cached_app(database):
    """The app with its real pool and the shared cache on, on committed data."""
    conn = await aiomysql.connect(**database.connect_kwargs())
    app = create_app({"SECRET_KEY": "live", "DATABASE_URL": database.url, "REDIS_URL": REDIS_URL})
    made: list[int] = []
    async with app.test_app() as test_app:
        yield test_app, conn, made
    for product_id in made:
        await execute(conn, "DELETE FROM products WHERE id = %s", (product_id,))
    conn.close()


async def committed_product(conn, made, **kwargs) -> dict:
    product = await make_product(conn, **kwargs)
    made.append(product["id"])
    return product


async def set_stock_and_announce(app, conn, variant_id: int, stock: int) -> None:
    """What every stock change in the shop does: commit, then publish (which tells the cache)."""
    await execute(conn, "UPDATE variants SET stock = %s WHERE id = %s", (stock, variant_id))
    async with app.app.app_context():
        await events.publish({variant_id: stock})


def test_values_come_back_equal():
    value = {
        "histogram": {5: 3, 4: 0},
        "pair": (1, "a"),
        "average": Decimal("4.25"),
        "when": dt.datetime(2026, 11, 28, 14, 32, 5),
        "day": dt.date(2026, 12, 3),
        "$odd": [None, True, 1.5],
    }
    assert cache.loads(cache.dumps(value)) == value


def test_a_value_that_is_not_data_is_refused():
    with pytest.raises(TypeError):
        cache.dumps({"x": object()})


async def test_the_product_page_is_read_once_then_served_from_the_cache(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=4)
    shared = app.app.extensions["cache"]
    client = app.test_client()
    for _ in range(3):
        response = await client.get(product["url"])
        assert response.status_code == 200
    # the first read learns which variants the page shows, the second stores it, the third hits
    assert shared.hits >= 1
    async with app.app.app_context():
        direct = await queries.select_product_page(conn, product["slug"])
    entry = await shared.entry(cache.key("product", product["slug"]))
    assert entry is not None and entry["value"] == direct


async def test_a_sale_shows_at_once_on_the_product_page_and_the_listing(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=2)
    variant_id = product["variants"][0]["id"]
    client = app.test_client()
    listing = f"/c/{product['category']['slug']}?in_stock=1"
    for _ in range(3):  # warm both entries
        page = soup(await (await client.get(product["url"])).get_data())
        cards = soup(await (await client.get(listing)).get_data())
    assert "Sold out" not in page.get_text()
    assert product["name"] in cards.get_text()

    await set_stock_and_announce(app, conn, variant_id, 0)

    page = soup(await (await client.get(product["url"])).get_data())
    assert "Sold out" in page.get_text() or "Out of stock" in page.get_text()
    cards = soup(await (await client.get(listing)).get_data())
    assert product["name"] not in cards.get_text()


async def test_a_staff_price_edit_shows_at_once(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=5, price_paise=149900)
    client = app.test_client()
    for _ in range(3):
        assert "1,499" in soup(await (await client.get(product["url"])).get_data()).get_text()
    await execute(conn, "UPDATE variants SET price_paise = 129900 WHERE product_id = %s", (product["id"],))
    await execute(
        conn,
        "UPDATE products SET from_price_paise = 129900, discount_percent = %s WHERE id = %s",
        (discount_percent(129900, 149900), product["id"]),
    )
    # what the back office's after_request does for every staff POST that went through
    await app.app.extensions["cache"].bump([cache.CATALOG])
    text = soup(await (await client.get(product["url"])).get_data()).get_text()
    assert "1,299" in text and "13% OFF" in text  # the new price, below the MRP of ₹1,499


async def test_a_reader_never_sees_stock_older_than_an_announced_change(cached_app, database):
    """Writers set ever higher stock and announce it; readers, on their own connections, note the
    highest announced value when they start, and must read at least that. 8 readers, 60 changes."""
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=1000)
    variant_id = product["variants"][0]["id"]
    announced = 1000
    done = False
    checked = 0

    async def writer():
        nonlocal announced, done
        for stock in range(1001, 1061):
            await set_stock_and_announce(app, conn, variant_id, stock)
            announced = stock
            await asyncio.sleep(random.uniform(0, 0.01))
        done = True

    async def reader():
        nonlocal checked
        own = await aiomysql.connect(**database.connect_kwargs())
        try:
            while not done:
                floor = announced
                async with app.app.app_context():
                    page = await product_data(own, product["slug"])
                seen = page["variants"][0]["stock"]
                assert seen >= floor, f"read stock {seen} after {floor} had been announced"
                checked += 1
        finally:
            own.close()

    await asyncio.wait_for(asyncio.gather(writer(), *(reader() for _ in range(8))), timeout=60)
    assert checked > 60
    assert app.app.extensions["cache"].hits > 0  # the cache was really in the way, and still right


async def test_without_redis_nothing_is_cached(app):
    assert app.app.extensions["cache"].enabled is False


async def test_a_redis_that_goes_away_costs_speed_not_correctness(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=3)
    app.app.extensions["cache"] = cache.Cache(redis.from_url("redis://127.0.0.1:1/0"), namespace="gone")
    for _ in range(2):
        response = await app.test_client().get(product["url"])
        assert response.status_code == 200
        assert product["name"] in (await response.get_data(as_text=True))
    await app.app.extensions["cache"].bump([cache.STOCK])  # logged, never raised to the seller


async def test_two_shops_on_one_redis_do_not_share_entries(cached_app):
    app, conn, made = cached_app
    shared = app.app.extensions["cache"]
    other = cache.Cache(redis.from_url(REDIS_URL), namespace="another_shop")
    try:
        assert other.prefix != shared.prefix
        await other.get_or_load("x", lambda: _value("theirs"))
        await shared.get_or_load("x", lambda: _value("ours"))
        assert await other.get_or_load("x", lambda: _value("reloaded")) == "theirs"
        assert await shared.get_or_load("x", lambda: _value("reloaded")) == "ours"
    finally:
        await other.redis.aclose()


async def _value(v):
    return v
