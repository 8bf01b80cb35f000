"""MariaDB 11.6.2 and later default to innodb_snapshot_isolation=ON: a transaction that locks a row
another transaction changed after its snapshot gets error 1020 ("Record has changed since last
read") instead of waiting. MariaDB 10.11 has the same variable (off by default), so these tests
turn it on for their own sessions and get the real error from the real server."""

from __future__ import annotations

import asyncio

import aiomysql
import pytest
from pymysql.err import OperationalError

from mooncart import db
from mooncart.checkout.placement import CheckoutProblem, place_order
from mooncart.db import execute, fetch_val
from mooncart.payments.providers import CashOnDelivery
from tests.factories import ADDRESS, make_product
from tests.shop_server import cleanup


async def snapshot_connection(database):
    conn = await aiomysql.connect(**database.connect_kwargs())
    await execute(conn, "SET SESSION innodb_snapshot_isolation = ON")
    return conn


@pytest.fixture
async def committed(database):
    """A connection that commits (for rows other connections must see), and cleanup after."""
    conn = await aiomysql.connect(**database.connect_kwargs())
    made = {"users": [], "products": [], "categories": []}
    yield conn, made
    await cleanup(conn, made["users"], made["products"], made["categories"])
    conn.close()


async def test_the_server_answers_1020_and_it_is_classed_as_retryable(database, committed):
    conn, made = committed
    product = await make_product(conn, stock=5)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    variant_id = product["variants"][0]["id"]
    reader, writer = await snapshot_connection(database), await aiomysql.connect(**database.connect_kwargs())
    try:
        await reader.begin()
        await fetch_val(reader, "SELECT stock FROM variants WHERE id = %s", (variant_id,))  # the snapshot
        await execute(writer, "UPDATE variants SET stock = stock - 1 WHERE id = %s", (variant_id,))
        with pytest.raises(OperationalError) as error:
            await fetch_val(reader, "SELECT stock FROM variants WHERE id = %s FOR UPDATE", (variant_id,))
        assert error.value.args[0] == 1020
        assert error.value.args[0] in db.RETRYABLE_ERRORS
        assert await fetch_val(reader, "SELECT @@in_transaction") == 0, (
            "like a deadlock, 1020 rolled the whole transaction back"
        )
    finally:
        reader.close()
        writer.close()


async def test_a_transaction_that_gets_1020_is_run_again_on_a_fresh_snapshot(database, committed):
    conn, made = committed
    product = await make_product(conn, stock=5)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    variant_id = product["variants"][0]["id"]
    reader, writer = await snapshot_connection(database), await aiomysql.connect(**database.connect_kwargs())
    attempts = []

    async def take_one():
        async with db.transaction(reader):
            attempts.append(await fetch_val(reader, "SELECT stock FROM variants WHERE id = %s", (variant_id,)))
            if len(attempts) == 1:  # another buyer commits after this snapshot was taken
                await execute(writer, "UPDATE variants SET stock = stock - 1 WHERE id = %s", (variant_id,))
            stock = await fetch_val(reader, "SELECT stock FROM variants WHERE id = %s FOR UPDATE", (variant_id,))
            await execute(reader, "UPDATE variants SET stock = stock - 1 WHERE id = %s", (variant_id,))
            return stock - 1

    try:
        assert await db.retrying(take_one) == 3
        assert attempts == [5, 4], "the second attempt read the other buyer's sale"
        assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 3
    finally:
        reader.close()
        writer.close()


async def test_concurrent_checkouts_under_snapshot_isolation_sell_the_stock_and_never_fail(database, committed):
    """Twenty buyers, each on her own connection with snapshot isolation on, for 5 units: the
    losers of each lock wait get 1020 from the server; each is retried, so 5 orders are placed and
    15 buyers are told it sold out. No database error reaches anyone."""
    conn, made = committed
    product = await make_product(conn, stock=5)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    variant_id = product["variants"][0]["id"]
    buyers = []
    for i in range(20):
        _, user_id = await execute(
            conn,
            "INSERT INTO users (email, name, mobile, password_hash) VALUES (%s, 'Snapshot Buyer', '9876543210', 'x')",
            (f"snap.{variant_id}.{i}@example.in",),
        )
        _, cart_id = await execute(
            conn, "INSERT INTO carts (token, user_id) VALUES (%s, %s)", (f"{variant_id:08d}{i:024d}", user_id)
        )
        await execute(
            conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)", (cart_id, variant_id)
        )
        made["users"].append(user_id)
        buyers.append((user_id, cart_id, await snapshot_connection(database)))

    async def buy(user_id, cart_id, buyer_conn):
        try:
            return await place_order(
                buyer_conn,
                user_id=user_id,
                cart_id=cart_id,
                address=ADDRESS,
                provider=CashOnDelivery(),
                payment_details={},
                idempotency_key=f"{user_id:032x}",
            )
        except CheckoutProblem as problem:
            return problem

    try:
        results = await asyncio.wait_for(asyncio.gather(*(buy(*buyer) for buyer in buyers)), timeout=120)
    finally:
        for _, _, buyer_conn in buyers:
            buyer_conn.close()
    placed = [r for r in results if not isinstance(r, CheckoutProblem)]
    assert len(placed) == 5
    assert all("sold out" in str(r) for r in results if isinstance(r, CheckoutProblem))
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 0


class ChangedOnce:
    """A cursor whose first execute() gets 1020 (only for the classification of a lone statement:
    the real server's 1020 is provoked above)."""

    def __init__(self, calls: list):
        self.calls = calls

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    async def execute(self, sql, params=()):
        self.calls.append(sql)
        if len(self.calls) == 1:
            raise OperationalError(1020, "Record has changed since last read in table 'vouchers'")
        self.rowcount, self.lastrowid = 1, 0


class OneConnection:
    def __init__(self, depth: int = 0):
        self.calls: list[str] = []
        self.mooncart_transaction_depth = depth

    def cursor(self):
        return ChangedOnce(self.calls)

    def get_transaction_status(self):
        return False  # as after the server rolled the transaction back


async def test_a_lone_statement_that_gets_1020_runs_again_but_inside_a_transaction_it_goes_to_the_caller():
    alone = OneConnection()
    assert await execute(alone, "UPDATE vouchers SET used = used + 1") == (1, 0) and len(alone.calls) == 2
    inside = OneConnection(depth=1)
    with pytest.raises(OperationalError):
        await execute(inside, "UPDATE vouchers SET used = used + 1")
    assert len(inside.calls) == 1, "running it again would commit it outside the rolled-back transaction"
