"""Fixtures and helpers of the shared cache's tests (test_cache.py, test_listing_cache.py): an
app with Redis on committed data, and pages compared with what differs on every response made alike."""

from __future__ import annotations

import os
import re

import aiomysql
import pytest

from mooncart import cache, create_app
from mooncart.db import execute
from mooncart.formatting import discount_percent
from mooncart.inventory import events
from tests.conftest import statements_run
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


async def set_price_and_announce(app, conn, product_id: int, price_paise: int, mrp_paise: int) -> None:
    """What a staff price edit does: every variant's price and the product's, then (as the back
    office's after_request does for every staff POST that went through) the catalogue bump."""
    await execute(conn, "UPDATE variants SET price_paise = %s WHERE product_id = %s", (price_paise, product_id))
    await execute(
        conn,
        "UPDATE products SET from_price_paise = %s, discount_percent = %s WHERE id = %s",
        (price_paise, discount_percent(price_paise, mrp_paise), product_id),
    )
    await app.app.extensions["cache"].bump([cache.CATALOG])


async def set_stock_and_announce(app, conn, variant_id: int, stock: int) -> None:
    """What every stock change in the shop does: commit, then publish (which tells the cache)."""
    await execute(conn, "UPDATE variants SET stock = %s WHERE id = %s", (stock, variant_id))
    async with app.app.app_context():
        await events.publish({variant_id: stock})


def same_page(html: str) -> str:
    """A page with what differs on every response made alike: masked CSRF tokens, the nonce."""
    html = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value="T"', html)
    html = re.sub(r'<meta name="csrf-token" content="[^"]+">', '<meta name="csrf-token" content="T">', html)
    html = re.sub(r'"X-CSRF-Token": "[^"]+"', '"X-CSRF-Token": "T"', html)
    return re.sub(r'nonce="[^"]+"', 'nonce="N"', html)


async def page_html(client, url: str) -> str:
    response = await client.get(url)
    assert response.status_code == 200
    return await response.get_data(as_text=True)


async def statements_on_a_warm_visit(app, conn, url: str) -> tuple[int, str]:
    """What a new visitor's request for url costs in statements once the cache is warm, and the
    page she got (for an app that shares the test's connection, so that its statements count)."""
    for _ in range(2):
        await page_html(app.test_client(), url)
    app.app.config["REFERENCE_CACHE_SECONDS"] = 60  # as in the shop (the test app reads them each time)
    await page_html(app.test_client(), url)
    before = await statements_run(conn)
    html = await page_html(app.test_client(), url)
    return await statements_run(conn) - before - 1, html


async def without_the_cache(app, client, url: str, headers: dict | None = None):
    """The same request rendered whole: the app's cache off for it alone."""
    shared = app.app.extensions["cache"]
    app.app.extensions["cache"] = cache.Cache(None)
    try:
        return await client.get(url, headers=headers or {})
    finally:
        app.app.extensions["cache"] = shared
