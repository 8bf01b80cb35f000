"""The benchmark's reference apps must keep measuring what they claim: the bare app serves the
shop's own product page and listing (same HTML, same statements) and add to bag's two
statements; the seed design adds to the bag and answers JSON. One request each."""

from __future__ import annotations

import re
import secrets
import sys
from pathlib import Path

import aiomysql
import pytest

from mooncart.db import apply_schema, execute, fetch_val
from tests.conftest import create_test_database, drop_test_database, post, statements_run
from tests.factories import make_category, make_product

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bare_app  # noqa: E402
import seed_app  # noqa: E402

TOKENS = re.compile(r'(nonce="|content="|value="|"X-CSRF-Token": ")[A-Za-z0-9_=-]{20,}')


class OneConnection:
    """The bare app's pool, handing out the test's connection (its open transaction holds the rows)."""

    def __init__(self, conn):
        self.conn = conn

    def acquire(self):
        return self

    async def __aenter__(self):
        return self.conn

    async def __aexit__(self, *exc):
        return False


@pytest.fixture
def bare(conn):
    bare_app.app.pool = OneConnection(conn)
    bare_app.app.config["REFERENCE_CACHE_SECONDS"] = 0  # as the shop's test app: categories are read each time
    bare_app.app.extensions.pop("reference_cache", None)
    for name in ("facet_index", "catalog_feed"):  # built afresh on this test's rows, as the shop's test app's
        bare_app.app.extensions.pop(name, None)
    yield bare_app.app.test_client()
    del bare_app.app.pool


async def page_and_statements(client, conn, path: str) -> tuple[str, int]:
    before = await statements_run(conn)
    response = await client.get(path)
    assert response.status_code == 200
    return TOKENS.sub(r"\1TOKEN", await response.get_data(as_text=True)), await statements_run(conn) - before - 1


@pytest.mark.parametrize("page", ["product", "listing"])
async def test_the_bare_reads_serve_the_shops_own_page_with_the_same_statements(client, bare, conn, page):
    category = await make_category(conn)
    product = await make_product(conn, category=category, variants=[("S", "Rani Pink", 3), ("M", "Indigo", 0)])
    await make_product(conn, category=category)
    path = product["url"] if page == "product" else f"/c/{category['slug']}"

    shop_html, shop_statements = await page_and_statements(client, conn, path)
    bare_html, bare_statements = await page_and_statements(bare, conn, path)

    assert product["name"] in bare_html and "Only 3 left" in bare_html if page == "product" else True
    assert bare_html == shop_html
    assert bare_statements == shop_statements


async def test_the_bare_add_to_bag_runs_the_shops_two_statements(client, bare, conn):
    product = await make_product(conn, variants=[("S", "Rani Pink", 9), ("M", "Rani Pink", 9)])
    first, second = (v["id"] for v in product["variants"])
    await post(client, "/bag/add", form={"variant_id": str(first), "quantity": "1"})  # the shop makes the bag
    before = await statements_run(conn)
    response = await post(client, "/bag/add", form={"variant_id": str(first), "quantity": "1"})
    assert response.status_code == 303
    shop_statements = await statements_run(conn) - before - 1

    token = secrets.token_hex(16)
    _, cart_id = await execute(conn, "INSERT INTO carts (token) VALUES (%s)", (token,))
    before = await statements_run(conn)
    response = await bare.post(
        "/bag/add", form={"variant_id": str(second), "quantity": "1"}, headers={"Cookie": f"bare_bag={token}"}
    )
    assert await response.get_data(as_text=True) == "<span>ok</span>"
    assert await statements_run(conn) - before - 1 == shop_statements == 2
    assert (
        await fetch_val(
            conn, "SELECT quantity FROM cart_items WHERE cart_id = %s AND variant_id = %s", (cart_id, second)
        )
        == 1
    )


@pytest.fixture
async def seed_database(monkeypatch):
    """The seed design opens a connection per request, so its rows are committed, in a database
    of its own."""
    settings = create_test_database("mooncart_seed")
    conn = await aiomysql.connect(**settings.connect_kwargs())
    try:
        await apply_schema(conn)
        category = await make_category(conn)
        product = await make_product(conn, category=category, variants=[("M", "Rani Pink", 2)])
        token = secrets.token_hex(16)
        _, cart_id = await execute(conn, "INSERT INTO carts (token) VALUES (%s)", (token,))
    finally:
        conn.close()
    monkeypatch.setattr(seed_app, "settings", settings)
    yield settings, product["variants"][0]["id"], token, cart_id
    drop_test_database(settings)


async def test_the_seed_design_adds_to_the_bag_and_answers_json(seed_database, monkeypatch):
    settings, variant_id, token, cart_id = seed_database
    statements = []
    connect = seed_app.connect

    def questions(conn) -> int:
        with conn.cursor() as cur:
            cur.execute("SHOW SESSION STATUS LIKE 'Questions'")
            return int(cur.fetchone()["Value"])

    def counting_connect():
        """A real connection that reports how many statements the request sent on it (PyMySQL's
        own set-up of a new connection, SET NAMES, left out) before it closes."""
        conn = connect()
        close, opened = conn.close, questions(conn)

        def close_and_count():
            statements.append(questions(conn) - opened - 1)
            close()

        conn.close = close_and_count
        return conn

    monkeypatch.setattr(seed_app, "connect", counting_connect)
    client = seed_app.app.test_client()
    client.set_cookie("bare_bag", token)

    response = client.post("/bag/add", data={"variant_id": str(variant_id), "quantity": "2"})
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "cart_count": 2}
    assert statements == [2]

    refused = client.post("/bag/add", data={"variant_id": str(variant_id), "quantity": "1"})
    assert refused.status_code == 422 and refused.get_json()["ok"] is False  # only 2 in stock
    assert client.post("/bag/add", data={"variant_id": "x"}).status_code == 422
