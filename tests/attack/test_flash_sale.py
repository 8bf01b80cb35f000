"""A flash sale over HTTP against hypercorn with 2 workers: 200 buyers at once for 10 units,
three times (cash on delivery), and twice paying by card through the fake gateway (its webhooks
arriving at the shop meanwhile). Exactly 10 orders each time, everyone else told it sold out,
stock 0, ledger balanced, and by card exactly 10 captures, each for one paid order. And one
shopper's double-submits: 20 at once with one key make one order."""

from __future__ import annotations

import asyncio

import aiomysql
import httpx
import pytest

from mooncart.db import fetch_val
from tests.factories import make_product
from tests.payments.fake_gateway import gateway_env, running_gateway
from tests.shop_server import Signers, cleanup, make_buyers, running_shop

BUYERS, UNITS, ROUNDS = 200, 10, 3


@pytest.fixture
async def shop_db(database, tmp_path):
    conn = await aiomysql.connect(**database.connect_kwargs())
    made = {"users": [], "products": [], "categories": []}
    with running_shop(database.url, workers=2, log_path=tmp_path / "shop.log") as (url, process):
        yield url, conn, made, Signers(database.url)
    await cleanup(conn, made["users"], made["products"], made["categories"])
    conn.close()


async def checkout(client: httpx.AsyncClient, url: str, buyer: dict) -> httpx.Response:
    cookie = "; ".join(f"{name}={value}" for name, value in buyer["cookies"].items())
    return await client.post(
        f"{url}/checkout", data=buyer["form"], headers={"HX-Request": "true", "Cookie": cookie}, timeout=60
    )


async def test_flash_sale_sells_exactly_the_stock(shop_db):
    url, conn, made, signers = shop_db
    for round_ in range(ROUNDS):
        product = await make_product(conn, stock=UNITS)
        made["products"].append(product["id"])
        made["categories"].append(product["category"]["id"])
        variant_id = product["variants"][0]["id"]
        buyers = await make_buyers(conn, signers, variant_id, BUYERS)
        made["users"] += [b["user_id"] for b in buyers]
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=BUYERS)) as client:
            responses = await asyncio.wait_for(
                asyncio.gather(*(checkout(client, url, buyer) for buyer in buyers)), timeout=120
            )
        sold = [
            r for r in responses if r.status_code == 200 and r.headers.get("HX-Redirect", "").startswith("/orders/")
        ]
        refused = [r for r in responses if r.status_code == 422]
        assert len(sold) == UNITS, f"round {round_}: {len(sold)} orders"
        assert len(refused) == BUYERS - UNITS, [r.status_code for r in responses if r.status_code not in (200, 422)]
        assert all("Sold out" in r.text and "sold out or run low" in r.text for r in refused)
        assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 0
        assert await fetch_val(conn, "SELECT COUNT(*) FROM order_items WHERE variant_id = %s", (variant_id,)) == UNITS
        assert (
            await fetch_val(conn, "SELECT SUM(delta) FROM stock_movements WHERE variant_id = %s", (variant_id,))
            == -UNITS
        )
        numbers = {r.headers["HX-Redirect"] for r in sold}
        assert len(numbers) == UNITS


async def test_twenty_identical_submissions_make_one_order(shop_db):
    url, conn, made, signers = shop_db
    product = await make_product(conn, stock=5)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    (buyer,) = await make_buyers(conn, signers, product["variants"][0]["id"], 1, quantity=2)
    made["users"].append(buyer["user_id"])
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=20)) as client:
        responses = await asyncio.gather(*(checkout(client, url, buyer) for _ in range(20)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.headers["HX-Redirect"] for r in responses}) == 1, "the same order number in every reply"
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (buyer["user_id"],)) == 1
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (product["variants"][0]["id"],)) == 3
    # the same key with a different bag is refused
    await conn.ping()
    from mooncart.db import execute

    await execute(
        conn,
        "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)",
        (buyer["cart_id"], product["variants"][0]["id"]),
    )
    async with httpx.AsyncClient() as client:
        again = await checkout(client, url, buyer)
    assert again.status_code == 422 and "already used for order" in again.text
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (buyer["user_id"],)) == 1


@pytest.fixture
async def card_shop(database, tmp_path):
    conn = await aiomysql.connect(**database.connect_kwargs())
    made = {"users": [], "products": [], "categories": []}
    async with running_gateway() as gateway:
        with running_shop(
            database.url, workers=2, log_path=tmp_path / "shop.log", env=gateway_env(gateway, timeout=20)
        ) as (url, process):
            gateway.webhook_url = f"{url}/payments/webhook"
            yield url, conn, made, Signers(database.url), gateway
            await gateway.settle_webhooks()
    await cleanup(conn, made["users"], made["products"], made["categories"])
    conn.close()


async def test_a_flash_sale_paid_by_card_charges_exactly_the_winners(card_shop):
    url, conn, made, signers, gateway = card_shop
    for round_ in range(2):
        product = await make_product(conn, stock=UNITS)
        made["products"].append(product["id"])
        made["categories"].append(product["category"]["id"])
        variant_id = product["variants"][0]["id"]
        buyers = await make_buyers(conn, signers, variant_id, BUYERS)
        for buyer in buyers:
            buyer["form"].update(
                payment_method="card", card_number="4111111111111111", card_expiry="12/39", card_cvv="123"
            )
        made["users"] += [b["user_id"] for b in buyers]
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=BUYERS)) as client:
            responses = await asyncio.wait_for(
                asyncio.gather(*(checkout(client, url, buyer) for buyer in buyers)), timeout=180
            )
        sold = [
            r for r in responses if r.status_code == 200 and r.headers.get("HX-Redirect", "").startswith("/orders/")
        ]
        refused = [r for r in responses if r.status_code == 422]
        assert len(sold) == UNITS, f"round {round_}: {len(sold)} orders"
        assert len(refused) == BUYERS - UNITS
        assert all("sold out or run low" in r.text for r in refused)
        await gateway.settle_webhooks()
        numbers = {r.headers["HX-Redirect"].rsplit("/", 1)[1] for r in sold}
        captured = {number: amount for number, amount in gateway.captured().items() if number in numbers}
        assert set(captured) == numbers and len(gateway.captured()) == UNITS * (round_ + 1), "charges = orders paid"
        marks = ", ".join(["%s"] * UNITS)
        paid = await fetch_val(
            conn,
            "SELECT COUNT(*) FROM orders WHERE number IN (" + marks + ") AND status = 'placed' "
            "AND payment_status = 'paid'",
            list(numbers),
        )
        assert paid == UNITS
        assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 0
        assert (
            await fetch_val(conn, "SELECT SUM(delta) FROM stock_movements WHERE variant_id = %s", (variant_id,))
            == -UNITS
        )
    assert all(status == 200 for _, status in gateway.webhook_answers), gateway.webhook_answers[:5]
    print(f"card flash sale: {len(gateway.webhook_answers)} webhooks answered while selling")
