"""Fixtures and helpers of the shared cache's tests (test_cache.py, test_listing_cache.py): an
app with Redis on committed data, and pages compared with what differs on every response made alike."""

from __future__ import annotations

import os
import re

import aiomysql
import pytest

from mooncart import create_app
from mooncart.db import execute
from mooncart.inventory import events
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
