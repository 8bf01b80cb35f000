"""Races on real, separate connections: the last units of a variant can never be oversold (paid
by cash or by card, whose gateway answers at random moments), and an order is restocked once
however many cancels arrive together."""

from __future__ import annotations

import asyncio
import random
import secrets

import aiomysql
import pytest

from mooncart.checkout.placement import CheckoutProblem, place_order
from mooncart.db import execute, fetch_all, fetch_val
from mooncart.orders.cancellation import cancel_order
from mooncart.payments.providers import APPROVE, CashOnDelivery, TestCardGateway
from tests.factories import ADDRESS, make_product, make_user

BUYERS, UNITS = 50, 5


class JitteryTestCard(TestCardGateway):
    """The test card gateway, answering each call after a random moment, to shuffle the interleavings."""

    async def authorise(self, *args):
        await asyncio.sleep(random.random() / 50)
        return await super().authorise(*args)

    async def capture(self, *args):
        await asyncio.sleep(random.random() / 50)
        return await super().capture(*args)


CARD = {"number": APPROVE, "expiry_month": 12, "expiry_year": 2039, "cvv": "123"}


async def buyers_with_one_in_the_bag(conn, made, variant_id: int, count: int) -> list[tuple[int, int]]:
    buyers = []
    for _ in range(count):
        user = await make_user(conn, password_hash="x")
        made["users"].append(user["id"])
        _, cart_id = await execute(
            conn, "INSERT INTO carts (token, user_id) VALUES (%s, %s)", (secrets.token_hex(16), user["id"])
        )
        await execute(
            conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)", (cart_id, variant_id)
        )
        buyers.append((user["id"], cart_id))
    return buyers


@pytest.mark.parametrize("paid_by", ["cod", "card"])
async def test_fifty_buyers_racing_for_the_last_five_units(database, committed, paid_by):
    conn, made = committed
    product = await make_product(conn, stock=UNITS)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    variant_id = product["variants"][0]["id"]
    buyers = await buyers_with_one_in_the_bag(conn, made, variant_id, BUYERS)

    connections = [await aiomysql.connect(**database.connect_kwargs()) for _ in buyers]
    provider = JitteryTestCard() if paid_by == "card" else CashOnDelivery()

    async def buy(connection, user_id, cart_id):
        try:
            return await place_order(
                connection,
                user_id=user_id,
                cart_id=cart_id,
                address=ADDRESS,
                provider=provider,
                payment_details=CARD if paid_by == "card" else {},
                idempotency_key=secrets.token_hex(16),
            )
        except CheckoutProblem as problem:
            return problem

    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(buy(c, user_id, cart_id) for c, (user_id, cart_id) in zip(connections, buyers))),
            timeout=120,
        )
    finally:
        for connection in connections:
            connection.close()

    placed = [r for r in results if not isinstance(r, CheckoutProblem)]
    refused = [r for r in results if isinstance(r, CheckoutProblem)]
    assert len(placed) == UNITS and len(refused) == BUYERS - UNITS
    assert all(r.short_lines and r.short_lines[0][1] == 0 for r in refused), "the rest are told it sold out"
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 0
    assert (
        await fetch_val(
            conn,
            "SELECT COUNT(*) FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.variant_id = %s",
            (variant_id,),
        )
        == UNITS
    )
    assert (
        await fetch_val(conn, "SELECT SUM(delta) FROM stock_movements WHERE variant_id = %s", (variant_id,)) == -UNITS
    )
    # the losers keep their bags; the winners' bags are empty
    assert (
        await fetch_val(conn, "SELECT COUNT(*) FROM cart_items WHERE variant_id = %s", (variant_id,)) == BUYERS - UNITS
    )
    if paid_by == "card":  # one capture per order, and every order paid
        captured = [p for p in provider.payments.values() if p["state"] == "captured"]
        assert len(captured) == UNITS == len(provider.payments), "a losing buyer was never charged"
        statuses = await fetch_all(
            conn,
            "SELECT o.status, o.payment_status, p.status AS payment FROM orders o "
            "JOIN payments p ON p.order_id = o.id WHERE o.id IN (" + ", ".join(["%s"] * UNITS) + ")",
            [r.id for r in placed],
        )
        assert statuses == [{"status": "placed", "payment_status": "paid", "payment": "captured"}] * UNITS


async def test_two_cancels_at_once_restock_once(database, committed):
    conn, made = committed
    product = await make_product(conn, variants=[("S", "Teal", 4), ("M", "Teal", 4)])
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    user = await make_user(conn, password_hash="x")
    made["users"].append(user["id"])
    _, cart_id = await execute(
        conn, "INSERT INTO carts (token, user_id) VALUES (%s, %s)", (secrets.token_hex(16), user["id"])
    )
    for variant in product["variants"]:
        await execute(
            conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 2)", (cart_id, variant["id"])
        )
    order = await place_order(
        conn,
        user_id=user["id"],
        cart_id=cart_id,
        address=ADDRESS,
        provider=CashOnDelivery(),
        payment_details={},
        idempotency_key=secrets.token_hex(16),
    )
    connections = [await aiomysql.connect(**database.connect_kwargs()) for _ in range(4)]
    try:
        outcomes = await asyncio.gather(*(cancel_order(c, order.id, user["id"]) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    assert sorted(o is not None for o in outcomes) == [False, False, False, True]
    for variant in product["variants"]:
        assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant["id"],)) == 4
        assert (
            await fetch_val(
                conn,
                "SELECT COUNT(*) FROM stock_movements WHERE variant_id = %s AND reason = 'cancel'",
                (variant["id"],),
            )
            == 1
        )
