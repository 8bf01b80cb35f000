"""Payments racing each other on real connections, against hypercorn with 2 workers and the fake
gateway on loopback: UPI shoppers whose browsers come back at the very moment the gateway's
webhooks arrive (each order captured once, placed once), and a slow bank that does not keep the
stock rows locked while it thinks."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import aiomysql
import httpx
import pytest

from mooncart.db import execute, fetch_val
from tests.conftest import soup
from tests.factories import make_product
from tests.payments.fake_gateway import gateway_env, running_gateway
from tests.shop_server import Signers, cleanup, make_buyers, running_shop

SHOPPERS = 20


@pytest.fixture
async def card_shop(database, tmp_path):
    conn = await aiomysql.connect(**database.connect_kwargs())
    made = {"users": [], "products": [], "categories": []}
    async with running_gateway() as gateway:
        with running_shop(
            database.url, workers=2, log_path=tmp_path / "shop.log", env=gateway_env(gateway, timeout=10)
        ) as (url, process):
            gateway.webhook_url = f"{url}/payments/webhook"
            yield url, conn, made, Signers(database.url), gateway
            await gateway.settle_webhooks()
    await cleanup(conn, made["users"], made["products"], made["categories"])
    conn.close()


def cookie_header(buyer: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in buyer["cookies"].items())


async def test_webhooks_racing_the_shoppers_return_capture_and_place_each_order_once(card_shop):
    url, conn, made, signers, gateway = card_shop
    product = await make_product(conn, stock=SHOPPERS)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    buyers = await make_buyers(conn, signers, product["variants"][0]["id"], SHOPPERS)
    made["users"] += [b["user_id"] for b in buyers]

    async def shop_and_pay(client: httpx.AsyncClient, buyer: dict) -> tuple[str, httpx.Response]:
        headers = {"Cookie": cookie_header(buyer)}
        placed = await client.post(f"{url}/checkout", data=dict(buyer["form"], payment_method="upi"), headers=headers)
        assert placed.status_code == 303, placed.text[:300]
        page_url = placed.headers["Location"]
        page = soup((await client.get(page_url)).text)
        pay = next(f for f in page.find_all("form") if f.find("button").get_text() == "Pay")
        parts = urlsplit(page_url)
        paid = await client.post(
            f"{parts.scheme}://{parts.netloc}{pay['action']}",
            data={i["name"]: i["value"] for i in pay.find_all("input")},
        )
        # the gateway has just fired payment.authorized at the shop; the browser comes back now too
        back = await client.get(paid.headers["Location"], headers=headers)
        return back.headers.get("Location", ""), back

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=SHOPPERS * 2), timeout=60) as client:
        results = await asyncio.wait_for(asyncio.gather(*(shop_and_pay(client, b) for b in buyers)), timeout=120)
    await gateway.settle_webhooks()
    assert all(back.status_code == 303 and target.startswith("/orders/MC") for target, back in results), [
        (back.status_code, target) for target, back in results
    ]
    numbers = {target.rsplit("/", 1)[1] for target, _ in results}
    assert len(numbers) == SHOPPERS
    captured = gateway.captured()
    assert set(captured) == numbers, "every order captured, and nothing else"
    for number in numbers:
        assert gateway.calls_for(number).count("capture") == 1, (number, gateway.calls_for(number))
    marks = ", ".join(["%s"] * SHOPPERS)
    assert (
        await fetch_val(
            conn,
            "SELECT COUNT(*) FROM orders WHERE number IN (" + marks + ") AND status = 'placed' "
            "AND payment_status = 'paid'",
            list(numbers),
        )
        == SHOPPERS
    )
    assert all(status == 200 for _, status in gateway.webhook_answers)
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (product["variants"][0]["id"],)) == 0


async def test_a_slow_bank_does_not_hold_the_stock_rows(card_shop, database):
    """While the gateway takes 2 s per call, another connection changes the same variant's stock
    with a 1 s lock wait: it never waits for the bank."""
    url, conn, made, signers, gateway = card_shop
    product = await make_product(conn, stock=5)
    variant_id = product["variants"][0]["id"]
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    (buyer,) = await make_buyers(conn, signers, variant_id, 1)
    made["users"].append(buyer["user_id"])
    buyer["form"].update(payment_method="card", card_number="4111111111111111", card_expiry="12/39", card_cvv="123")
    gateway.slow = 2.0
    async with httpx.AsyncClient(timeout=60) as client:
        checkout = asyncio.create_task(
            client.post(f"{url}/checkout", data=buyer["form"], headers={"Cookie": cookie_header(buyer)})
        )
        while not gateway.orders and not checkout.done():  # the gateway has been asked: the order is reserved
            await asyncio.sleep(0.05)
        other = await aiomysql.connect(**database.connect_kwargs())
        try:
            await execute(other, "SET SESSION innodb_lock_wait_timeout = 1")
            started = time.monotonic()
            await other.begin()
            await execute(other, "SELECT stock FROM variants WHERE id = %s FOR UPDATE", (variant_id,))
            waited = time.monotonic() - started
            await other.rollback()
        finally:
            other.close()
        response = await checkout
    assert response.status_code == 303
    print(f"the variant row was locked for {waited * 1000:.0f} ms while the bank took {gateway.slow:.0f} s per call")
    assert await fetch_val(conn, "SELECT payment_status FROM orders WHERE user_id = %s", (buyer["user_id"],)) == "paid"
