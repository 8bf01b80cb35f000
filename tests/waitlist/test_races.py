"""A restock racing new holds and waitlist promotions, on real connections (issue 14): at every
instant sampled the live holds stay within the stock, every unit ends up held, and the waiters
served are the first in line, in join order."""

from __future__ import annotations

import asyncio
import random

import aiomysql

from mooncart import create_app
from mooncart.db import execute, fetch_all, fetch_one
from mooncart.holds import holding, waitlist
from tests.factories import make_product, make_user

WAITERS, SHOPPERS = 8, 30


async def test_a_restock_racing_new_holds_and_promotions_never_holds_more_than_the_stock(database, committed):
    conn, made = committed
    product = await make_product(conn, stock=0)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    variant_id = product["variants"][0]["id"]
    waiters, shoppers = [], []
    for group, count in ((waiters, WAITERS), (shoppers, SHOPPERS)):
        for _ in range(count):
            user = await make_user(conn, password_hash="x")
            made["users"].append(user["id"])
            group.append(user)
    for user in waiters:
        assert (await waitlist.join(conn, variant_id, user["id"]))[0] == "joined"
    app = create_app({"SECRET_KEY": "race", "DATABASE_URL": database.url})
    samples: list[tuple[int, int]] = []
    running = True

    async def watch(connection):
        while running:  # stock and live holds read in one statement: one consistent instant
            row = await fetch_one(
                connection,
                "SELECT v.stock, (SELECT COALESCE(SUM(quantity), 0) FROM stock_holds h WHERE h.variant_id = v.id "
                "AND h.expires_at > UTC_TIMESTAMP(6)) AS held FROM variants v WHERE v.id = %s",
                (variant_id,),
            )
            samples.append((row["stock"], int(row["held"])))
            await asyncio.sleep(0.003)

    async def restock(connection, units, delay):
        await asyncio.sleep(delay)
        async with app.app_context():
            return await waitlist.restock(connection, variant_id, units, "received", hours=12)

    async def promote(connection):
        async with app.app_context():
            for _ in range(10):
                await waitlist.promote_waiting(connection, hours=12)
                await asyncio.sleep(random.random() / 20)

    async def open_checkout(connection, user):
        for _ in range(5):  # she keeps reopening checkout while the stock arrives
            await holding.hold_bag(connection, user["id"], {variant_id: 1}, 10)
            await asyncio.sleep(random.random() / 10)

    connections = [await aiomysql.connect(**database.connect_kwargs()) for _ in range(SHOPPERS + 4)]
    watching = asyncio.create_task(watch(connections[-1]))
    try:
        await asyncio.wait_for(
            asyncio.gather(
                restock(connections[-2], 3, 0.05),
                restock(connections[-3], 2, 0.25),
                promote(connections[-4]),
                *(open_checkout(c, user) for c, user in zip(connections, shoppers)),
            ),
            20,
        )
    finally:
        running = False
        await watching
        for connection in connections:
            connection.close()

    assert samples and all(held <= stock for stock, held in samples), [s for s in samples if s[1] > s[0]]
    holds = await fetch_all(
        conn,
        "SELECT user_id, quantity, kind FROM stock_holds WHERE variant_id = %s AND expires_at > UTC_TIMESTAMP(6)",
        (variant_id,),
    )
    assert sum(h["quantity"] for h in holds) == 5  # every unit held, none twice
    served = [
        row["user_id"]
        for row in await fetch_all(
            conn,
            "SELECT user_id FROM waitlist_entries WHERE variant_id = %s AND served_at IS NOT NULL ORDER BY id",
            (variant_id,),
        )
    ]
    assert served == [w["id"] for w in waiters[: len(served)]]  # the first in line, in join order
    waitlist_holders = sorted(h["user_id"] for h in holds if h["kind"] == "waitlist")
    assert waitlist_holders == sorted(served)
    emails = [w["email"] for w in waiters]
    await execute(
        conn, "DELETE FROM outbox_messages WHERE to_address IN (" + ", ".join(["%s"] * len(emails)) + ")", emails
    )
