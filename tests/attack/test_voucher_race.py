"""A voucher limited to 100 uses, and 300 shoppers placing orders with it at once: exactly 100
orders use it, the other 200 are told it has been used up and nothing of theirs is placed. Once
over HTTP against hypercorn with 2 workers (like the flash sale), and once with 300 checkouts on
real connections of their own with MariaDB 11.6's snapshot isolation turned on, where losers
of the voucher row's lock get error 1020 and must be retried, not shown a 503."""

from __future__ import annotations

import asyncio
import secrets

import aiomysql
import httpx
import pytest

from mooncart.checkout.placement import CheckoutProblem, place_order
from mooncart.db import execute, fetch_val
from mooncart.payments.providers import CashOnDelivery
from tests.factories import ADDRESS, make_product
from tests.shop_server import Signers, cleanup, make_buyers, running_shop, signed_confirmation

SHOPPERS, LIMIT, PRICE, DISCOUNT = 300, 100, 149_900, 20_000


@pytest.fixture
async def race(database, tmp_path):
    conn = await aiomysql.connect(**database.connect_kwargs())
    made = {"users": [], "products": [], "categories": [], "vouchers": []}
    yield conn, made
    await cleanup(conn, made["users"], made["products"], made["categories"])
    for voucher_id in made["vouchers"]:
        await execute(conn, "DELETE FROM vouchers WHERE id = %s", (voucher_id,))
    conn.close()


async def voucher_and_stock(conn, made) -> tuple[int, int, str]:
    product = await make_product(conn, price_paise=PRICE, stock=SHOPPERS)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    code = "RACE" + secrets.token_hex(4).upper()
    _, voucher_id = await execute(
        conn,
        "INSERT INTO vouchers (code, kind, amount, usage_limit, per_shopper_limit) VALUES (%s, 'flat', %s, %s, 1)",
        (code, DISCOUNT, LIMIT),
    )
    made["vouchers"].append(voucher_id)
    return product["variants"][0]["id"], voucher_id, code


async def with_voucher(conn, buyers, variant_id: int, voucher_id: int, code: str) -> None:
    """Each buyer's bag carries the voucher, and her checkout page showed the discount."""
    for buyer in buyers:
        await execute(
            conn, "INSERT INTO cart_vouchers (cart_id, voucher_id) VALUES (%s, %s)", (buyer["cart_id"], voucher_id)
        )
        buyer["form"]["confirmation"] = signed_confirmation([(variant_id, 1, PRICE)], code, [DISCOUNT])


async def assert_exactly_the_limit(conn, voucher_id: int, variant_id: int, placed: int) -> None:
    assert placed == LIMIT
    assert await fetch_val(conn, "SELECT used FROM vouchers WHERE id = %s", (voucher_id,)) == LIMIT
    assert (
        await fetch_val(conn, "SELECT COUNT(*) FROM voucher_redemptions WHERE voucher_id = %s", (voucher_id,)) == LIMIT
    )
    assert (
        await fetch_val(
            conn,
            "SELECT COUNT(*) FROM orders o JOIN order_items i ON i.order_id = o.id "
            "WHERE i.variant_id = %s AND o.discount_paise = %s",
            (variant_id, DISCOUNT),
        )
        == LIMIT
    )
    assert await fetch_val(conn, "SELECT COUNT(*) FROM order_items WHERE variant_id = %s", (variant_id,)) == LIMIT
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == SHOPPERS - LIMIT


async def test_a_voucher_for_100_sells_exactly_100_to_300_shoppers_over_http(race, database, tmp_path):
    conn, made = race
    variant_id, voucher_id, code = await voucher_and_stock(conn, made)
    signers = Signers(database.url)
    buyers = await make_buyers(conn, signers, variant_id, SHOPPERS)
    made["users"] += [b["user_id"] for b in buyers]
    await with_voucher(conn, buyers, variant_id, voucher_id, code)

    async def checkout(client, url, buyer):
        cookie = "; ".join(f"{name}={value}" for name, value in buyer["cookies"].items())
        return await client.post(
            f"{url}/checkout", data=buyer["form"], timeout=120, headers={"HX-Request": "true", "Cookie": cookie}
        )

    with running_shop(database.url, workers=2, log_path=tmp_path / "shop.log") as (url, _process):
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=SHOPPERS)) as client:
            responses = await asyncio.wait_for(
                asyncio.gather(*(checkout(client, url, buyer) for buyer in buyers)), timeout=300
            )
    placed = [r for r in responses if r.status_code == 200 and r.headers.get("HX-Redirect", "").startswith("/orders/")]
    refused = [r for r in responses if r.status_code == 422]
    assert len(placed) + len(refused) == SHOPPERS, sorted({r.status_code for r in responses})
    # refused when the use was claimed, or (once 100 were counted) when the bag was priced: the
    # voucher no longer takes anything off, so the total she confirmed is not the total now
    assert all("fully used" in r.text for r in refused)
    await assert_exactly_the_limit(conn, voucher_id, variant_id, len(placed))


async def test_under_snapshot_isolation_300_checkouts_on_their_own_connections_use_it_exactly_100_times(race, database):
    conn, made = race
    variant_id, voucher_id, code = await voucher_and_stock(conn, made)
    buyers = await make_buyers(conn, Signers(database.url), variant_id, SHOPPERS)
    made["users"] += [b["user_id"] for b in buyers]
    await with_voucher(conn, buyers, variant_id, voucher_id, code)
    # what each checkout page showed: the voucher's discount, delivery free (₹1,299 of goods)
    shown = {"l": [[variant_id, 1, PRICE]], "v": code, "d": DISCOUNT, "s": 0, "t": PRICE - DISCOUNT}
    gate = asyncio.Semaphore(60)  # 60 connections at a time: MariaDB's default max_connections is 151

    async def buy(buyer):
        async with gate:
            own = await aiomysql.connect(**database.connect_kwargs())
            try:
                await execute(own, "SET SESSION innodb_snapshot_isolation = ON")
                return await place_order(
                    own,
                    user_id=buyer["user_id"],
                    cart_id=buyer["cart_id"],
                    address=ADDRESS,
                    provider=CashOnDelivery(),
                    payment_details={},
                    idempotency_key=buyer["form"]["idempotency_key"],
                    confirmed=shown,
                )
            except CheckoutProblem as problem:
                return problem
            finally:
                own.close()

    results = await asyncio.wait_for(asyncio.gather(*(buy(b) for b in buyers)), timeout=300)
    refused = [r for r in results if isinstance(r, CheckoutProblem)]
    assert all("fully used" in str(r) or r.changes for r in refused)
    await assert_exactly_the_limit(conn, voucher_id, variant_id, SHOPPERS - len(refused))
