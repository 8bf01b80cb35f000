"""`mooncart reconcile-payments`, the command a cron job runs: it settles, in its own process,
a UPI order whose shopper paid on the gateway's page but whose return and webhooks were lost,
and releases one that was never paid."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys

import aiomysql

from mooncart.checkout.placement import place_order
from mooncart.db import execute, fetch_one
from mooncart.payments.providers import build_providers
from tests.factories import ADDRESS, make_product, make_user, press
from tests.payments.fake_gateway import gateway_config, gateway_env, running_gateway
from tests.shop_server import cleanup


async def test_the_reconcile_command_settles_paid_orders_and_releases_unpaid_ones(database):
    conn = await aiomysql.connect(**database.connect_kwargs())
    product = await make_product(conn, stock=5)
    variant_id = product["variants"][0]["id"]
    users = []
    try:
        async with running_gateway() as gateway:
            gateway.hold_webhooks = True  # and never delivered
            upi = build_providers(gateway_config(gateway))["upi"]
            orders = []
            for _ in range(2):
                user = await make_user(conn, password_hash="x")
                users.append(user["id"])
                _, cart_id = await execute(
                    conn, "INSERT INTO carts (token, user_id) VALUES (%s, %s)", (secrets.token_hex(16), user["id"])
                )
                await execute(
                    conn,
                    "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)",
                    (cart_id, variant_id),
                )
                placed = await place_order(
                    conn,
                    user_id=user["id"],
                    cart_id=cart_id,
                    address=ADDRESS,
                    provider=upi,
                    payment_details={},
                    idempotency_key=secrets.token_hex(16),
                    return_url=lambda number: f"http://shop.invalid/checkout/return/{number}",
                )
                orders.append(placed)
            await press(orders[0].payment.redirect_url, "Pay")
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "mooncart",
                "reconcile-payments",
                "--hold-minutes",
                "0",
                env=dict(os.environ, MOONCART_DATABASE_URL=database.url, **gateway_env(gateway)),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await process.communicate()
            assert process.returncode == 0, err.decode()
            assert "1 paid, 1 released" in out.decode()
            paid = await fetch_one(conn, "SELECT status, payment_status FROM orders WHERE id = %s", (orders[0].id,))
            gone = await fetch_one(conn, "SELECT status, payment_status FROM orders WHERE id = %s", (orders[1].id,))
            assert paid == {"status": "placed", "payment_status": "paid"}
            assert gone == {"status": "cancelled", "payment_status": "failed"}
            assert gateway.captured() == {orders[0].number: 149900}  # ships free above ₹999
            assert (await fetch_one(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)))["stock"] == 4
    finally:
        await cleanup(conn, users, [product["id"]], [product["category"]["id"]])
        conn.close()
