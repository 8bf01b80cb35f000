"""Holds under real concurrency, on separate connections (issue 14): 200 shoppers opening checkout
at once on 10 units hold exactly 10 and never more at any instant, and every later one is told;
holds lapsing while orders are placed never oversell."""

from __future__ import annotations

import asyncio
import secrets
import time

import aiomysql

from mooncart.checkout.placement import CheckoutProblem, place_order
from mooncart.db import execute, fetch_val
from mooncart.holds import holding
from mooncart.payments.providers import CashOnDelivery
from tests.factories import ADDRESS, make_product, make_user

SHOPPERS, UNITS = 200, 10


async def live_held(conn, variant_id: int) -> int:
    return int(
        await fetch_val(
            conn,
            "SELECT COALESCE(SUM(quantity), 0) FROM stock_holds WHERE variant_id = %s "
            "AND expires_at > UTC_TIMESTAMP(6)",
            (variant_id,),
        )
    )


async def shoppers(conn, made, count: int, variant_id: int | None = None) -> list[tuple[int, int]]:
    """(user id, cart id) of `count` shoppers, each with one unit of the variant in the bag."""
    out = []
    for _ in range(count):
        user = await make_user(conn, password_hash="x")
        made["users"].append(user["id"])
        _, cart_id = await execute(
            conn, "INSERT INTO carts (token, user_id) VALUES (%s, %s)", (secrets.token_hex(16), user["id"])
        )
        if variant_id is not None:
            await execute(
                conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)", (cart_id, variant_id)
            )
        out.append((user["id"], cart_id))
    return out


async def test_two_hundred_shoppers_opening_checkout_on_ten_units_hold_exactly_ten(database, committed):
    conn, made = committed
    product = await make_product(conn, stock=UNITS)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    variant_id = product["variants"][0]["id"]
    people = await shoppers(conn, made, SHOPPERS)
    connections = [await aiomysql.connect(**database.connect_kwargs()) for _ in people]
    watcher = await aiomysql.connect(**database.connect_kwargs())
    samples: list[int] = []
    running = True

    async def watch():
        while running:  # the sum at many instants while they run
            samples.append(await live_held(watcher, variant_id))
            await asyncio.sleep(0.005)

    async def open_checkout(connection, user_id):
        return await holding.hold_bag(connection, user_id, {variant_id: 1}, 10)

    started = time.monotonic()
    watching = asyncio.create_task(watch())
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(open_checkout(c, user_id) for c, (user_id, _) in zip(connections, people))), 20
        )
    finally:
        running = False
        await watching
        for connection in [*connections, watcher]:
            connection.close()
    took = time.monotonic() - started

    held = [r for r in results if r.held]
    told = [r for r in results if r.short]
    assert len(held) == UNITS and all(r.held == {variant_id: 1} and not r.short for r in held)
    assert len(told) == SHOPPERS - UNITS and all(r.short == {variant_id: 0} and not r.held for r in told)
    assert await live_held(conn, variant_id) == UNITS
    assert len(samples) >= 5 and max(samples) <= UNITS, samples
    assert took < 20
    print(f"200 shoppers opened checkout on 10 units in {took:.2f} s; {len(samples)} samples, max {max(samples)}")


async def test_holds_lapsing_while_orders_are_placed_never_oversell(database, committed):
    conn, made = committed
    product = await make_product(conn, stock=2)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    variant_id = product["variants"][0]["id"]
    holders = await shoppers(conn, made, 2, variant_id)
    buyers = await shoppers(conn, made, 6, variant_id)
    for user_id, _ in holders:  # a hold of about a second each
        assert (await holding.hold_bag(conn, user_id, {variant_id: 1}, 1 / 60)).held == {variant_id: 1}

    async def buy(user_id, cart_id):
        connection = await aiomysql.connect(**database.connect_kwargs())
        try:
            return await place_order(
                connection,
                user_id=user_id,
                cart_id=cart_id,
                address=ADDRESS,
                provider=CashOnDelivery(),
                payment_details={},
                idempotency_key=secrets.token_hex(16),
            )
        except CheckoutProblem as problem:
            return problem
        finally:
            connection.close()

    # while the holds stand, nobody else can buy
    early = await asyncio.gather(*(buy(*b) for b in buyers[:3]))
    assert all(isinstance(r, CheckoutProblem) and "sold out" in str(r) for r in early)
    # the buyers keep trying while the holds run out, and the holders place their orders too
    results: list = []

    async def keep_buying(user_id, cart_id):
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            result = await buy(user_id, cart_id)
            results.append(result)
            if not isinstance(result, CheckoutProblem):
                return
            await asyncio.sleep(0.05)

    async def holder_buys_late(user_id, cart_id):
        await asyncio.sleep(1.2)  # after the hold has lapsed
        results.append(await buy(user_id, cart_id))

    await asyncio.wait_for(
        asyncio.gather(*(keep_buying(*b) for b in buyers[3:]), *(holder_buys_late(*h) for h in holders)), 15
    )
    placed = [r for r in results if not isinstance(r, CheckoutProblem)]
    assert len(placed) == 2
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 0
    assert (
        await fetch_val(conn, "SELECT COALESCE(SUM(quantity), 0) FROM order_items WHERE variant_id = %s", (variant_id,))
        == 2
    )


async def test_a_shopper_holding_units_buys_them_even_while_others_rush_in(database, committed):
    conn, made = committed
    product = await make_product(conn, stock=3)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    variant_id = product["variants"][0]["id"]
    (holder,) = await shoppers(conn, made, 1, variant_id)
    others = await shoppers(conn, made, 20, variant_id)
    assert (await holding.hold_bag(conn, holder[0], {variant_id: 1}, 10)).held == {variant_id: 1}

    async def buy(user_id, cart_id):
        connection = await aiomysql.connect(**database.connect_kwargs())
        try:
            return await place_order(
                connection,
                user_id=user_id,
                cart_id=cart_id,
                address=ADDRESS,
                provider=CashOnDelivery(),
                payment_details={},
                idempotency_key=secrets.token_hex(16),
            )
        except CheckoutProblem as problem:
            return problem
        finally:
            connection.close()

    results = await asyncio.wait_for(asyncio.gather(*(buy(*s) for s in [*others, holder])), 20)
    assert not isinstance(results[-1], CheckoutProblem)  # her held unit was hers whoever came first
    assert sum(not isinstance(r, CheckoutProblem) for r in results) == 3
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 0
    assert await fetch_val(conn, "SELECT COUNT(*) FROM stock_holds WHERE user_id = %s", (holder[0],)) == 0
