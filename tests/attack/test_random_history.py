"""A random history: many clients at once doing checkouts (cash, or a card that the test gateway
approves or declines), cancels (sometimes two at once), restocks and adjustments, from recorded
seeds. Afterwards the books must balance: stock never negative, every order's total equals its
lines, the ledger explains every unit, initial stock plus adjustments equals stock now plus units
in live orders, no deadlock reached a client, every captured payment belongs to exactly one
paid order and every refund to a cancelled one. Reproduce a run with MOONCART_HISTORY_SEED=<seed>."""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import time

import aiomysql
import pytest
from pymysql.err import OperationalError

from mooncart.checkout.placement import CheckoutProblem, place_order
from mooncart.db import execute, fetch_all, fetch_one, fetch_val
from mooncart.inventory.stock import InsufficientStock, adjust_stock
from mooncart.orders.cancellation import cancel_order
from mooncart.payments.providers import APPROVE, DECLINE, CashOnDelivery, TestCardGateway
from tests.factories import ADDRESS, make_category, make_product, make_user
from tests.shop_server import cleanup

CLIENTS, OPERATIONS_EACH, INITIAL = 12, 250, 15


@pytest.mark.parametrize("run", range(2))
async def test_a_random_history_keeps_the_books_balanced(database, run):
    seed = int(os.environ.get("MOONCART_HISTORY_SEED", 0)) or random.SystemRandom().randrange(10**9)
    print(f"random history seed {seed} (run {run})")
    setup = await aiomysql.connect(**database.connect_kwargs())
    category = await make_category(setup)
    products = [
        await make_product(setup, category=category, variants=[("S", "Teal", 0), ("M", "Teal", 0)]) for _ in range(5)
    ]
    variant_ids = [v["id"] for p in products for v in p["variants"]]
    for variant_id in variant_ids:
        await adjust_stock(setup, variant_id, INITIAL, "received", note="opening")
    users = []
    for _ in range(CLIENTS * 2):
        user = await make_user(setup, password_hash="x")
        _, cart_id = await execute(
            setup, "INSERT INTO carts (token, user_id) VALUES (%s, %s)", (secrets.token_hex(16), user["id"])
        )
        users.append((user["id"], cart_id))

    errors: list[str] = []
    counts = {
        "orders": 0,
        "card_orders": 0,
        "declined": 0,
        "short": 0,
        "cancels": 0,
        "double_cancels": 0,
        "adjustments": 0,
    }
    card = TestCardGateway()
    providers = {"card": card}

    async def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        conn = await aiomysql.connect(**database.connect_kwargs())
        other = await aiomysql.connect(**database.connect_kwargs())
        mine = users[number * 2 : number * 2 + 2]
        try:
            for _ in range(OPERATIONS_EACH):
                roll = rng.random()
                user_id, cart_id = rng.choice(mine)
                try:
                    if roll < 0.55:
                        # empty the bag line by line, by unique key, as the shop does
                        for line in await fetch_all(
                            conn, "SELECT variant_id FROM cart_items WHERE cart_id = %s", (cart_id,)
                        ):
                            await execute(
                                conn,
                                "DELETE FROM cart_items WHERE cart_id = %s AND variant_id = %s",
                                (cart_id, line["variant_id"]),
                            )
                        for variant_id in rng.sample(variant_ids, rng.randint(1, 3)):
                            await execute(
                                conn,
                                "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, %s)",
                                (cart_id, variant_id, rng.randint(1, 3)),
                            )
                        how = rng.random()
                        provider = card if how < 0.5 else CashOnDelivery()
                        details = {"number": DECLINE if how < 0.05 else APPROVE} if how < 0.5 else {}
                        try:
                            await place_order(
                                conn,
                                user_id=user_id,
                                cart_id=cart_id,
                                address=ADDRESS,
                                provider=provider,
                                payment_details=details,
                                idempotency_key=secrets.token_hex(16),
                            )
                            counts["orders"] += 1
                            counts["card_orders"] += how < 0.5
                        except CheckoutProblem as problem:
                            counts["declined" if "declined" in str(problem) else "short"] += 1
                    elif roll < 0.8:
                        live = await fetch_all(
                            conn, "SELECT id FROM orders WHERE user_id = %s AND status = 'placed'", (user_id,)
                        )
                        if live:
                            order_id = rng.choice(live)["id"]
                            if rng.random() < 0.3:  # the same cancel from two tabs at once
                                both = await asyncio.gather(
                                    cancel_order(conn, order_id, user_id, providers),
                                    cancel_order(other, order_id, user_id, providers),
                                )
                                assert sum(r is not None for r in both) == 1, "two cancels restocked twice"
                                counts["double_cancels"] += 1
                            elif await cancel_order(conn, order_id, user_id, providers) is not None:
                                counts["cancels"] += 1
                    else:
                        variant_id = rng.choice(variant_ids)
                        change = rng.choice([rng.randint(1, 5), -rng.randint(1, 3)])
                        reason = "received" if change > 0 else rng.choice(["damaged", "correction"])
                        try:
                            await adjust_stock(conn, variant_id, change, reason, note="random history")
                            counts["adjustments"] += 1
                        except InsufficientStock:
                            pass
                except OperationalError as error:  # a deadlock or timeout reached the client
                    errors.append(f"client {number}: {error}")
        finally:
            conn.close()
            other.close()

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(client(n) for n in range(CLIENTS))), timeout=300)
    print(f"{sum(counts.values())} operations in {time.monotonic() - started:.1f} s: {counts}")
    try:
        assert errors == []
        assert counts["orders"] > 50 and counts["cancels"] + counts["double_cancels"] > 10
        marks = ", ".join(["%s"] * len(variant_ids))
        assert (
            await fetch_val(
                setup, "SELECT COUNT(*) FROM variants WHERE stock < 0 AND id IN (" + marks + ")", variant_ids
            )
            == 0
        )
        for variant_id in variant_ids:
            stock = await fetch_val(setup, "SELECT stock FROM variants WHERE id = %s", (variant_id,))
            ledger = await fetch_val(
                setup, "SELECT SUM(delta) FROM stock_movements WHERE variant_id = %s", (variant_id,)
            )
            adjustments = await fetch_val(
                setup,
                "SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE "
                "variant_id = %s AND reason IN ('damaged', 'correction') "
                "OR (variant_id = %s AND reason = 'received' AND note <> 'opening')",
                (variant_id, variant_id),
            )
            in_live_orders = await fetch_val(
                setup,
                "SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o "
                "ON o.id = i.order_id WHERE i.variant_id = %s AND o.status "
                "NOT IN ('cancelled', 'returned')",
                (variant_id,),
            )
            assert stock == ledger, f"variant {variant_id}: the ledger does not explain the stock"
            assert INITIAL + adjustments == stock + in_live_orders, f"variant {variant_id}: units went missing"
        user_marks = ", ".join(["%s"] * len(users))
        mismatched = await fetch_val(
            setup,
            "SELECT COUNT(*) FROM orders o WHERE o.user_id IN (" + user_marks + ") AND o.subtotal_paise <> "
            "(SELECT SUM(unit_price_paise * quantity) FROM order_items i WHERE i.order_id = o.id)",
            [u for u, _ in users],
        )
        assert mismatched == 0
        restocked_twice = await fetch_val(
            setup,
            "SELECT COUNT(*) FROM (SELECT order_id, variant_id FROM stock_movements WHERE reason = 'cancel' "
            "AND variant_id IN (" + marks + ") GROUP BY order_id, variant_id HAVING COUNT(*) > 1) twice",
            variant_ids,
        )
        assert restocked_twice == 0
        # the money: every capture belongs to exactly one paid order (refunded in full if it was
        # cancelled), every refund to a cancelled order, and no order is paid that was not captured
        captured = {gid.removeprefix("test_"): p["id"] for gid, p in card.payments.items() if p["state"] == "captured"}
        assert counts["card_orders"] > 10 and len(captured) == counts["card_orders"]
        for number in captured:
            order = await fetch_one(setup, "SELECT id, status, payment_status FROM orders WHERE number = %s", (number,))
            assert order is not None and order["payment_status"] in ("paid", "refunded"), (number, order)
            assert (order["status"] == "cancelled") == (order["payment_status"] == "refunded"), (number, order)
        refunded = {key.removesuffix("-refund-cancel") for key in card.refunds}
        assert all(key.endswith("-refund-cancel") for key in card.refunds)
        assert refunded <= set(captured)
        cancelled_paid = await fetch_all(
            setup,
            "SELECT number FROM orders WHERE payment_method = 'card' AND status = 'cancelled' "
            "AND payment_status <> 'failed' AND user_id IN (" + user_marks + ")",
            [u for u, _ in users],
        )
        assert {row["number"] for row in cancelled_paid} == refunded
        marked_paid = await fetch_all(
            setup,
            "SELECT number FROM orders WHERE payment_method = 'card' AND payment_status IN ('paid', 'refunded') "
            "AND user_id IN (" + user_marks + ")",
            [u for u, _ in users],
        )
        assert {row["number"] for row in marked_paid} == set(captured)
    finally:
        await cleanup(setup, [u for u, _ in users], [p["id"] for p in products], [category["id"]])
        setup.close()
