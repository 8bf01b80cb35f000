"""Stock's SQL on the real database: locks in id order, an UPDATE that refuses to go below
zero and says so in its row count, and a ledger written in one statement."""

from __future__ import annotations

import aiomysql
import pytest
from pymysql.err import OperationalError

from mooncart.db import fetch_all, fetch_val
from mooncart.inventory import queries
from mooncart.inventory.queries import Movement
from tests.conftest import statements_run
from tests.factories import make_product


async def stock_of(conn, variant_id: int) -> int:
    return await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,))


async def test_locking_returns_the_stock_of_the_variants_that_exist(conn):
    product = await make_product(conn, variants=[("S", "Mustard", 3), ("M", "Mustard", 0)])
    small, medium = (v["id"] for v in product["variants"])
    assert await queries.select_stock_for_update(conn, [medium, small, small, 4_000_000_000]) == {small: 3, medium: 0}


async def test_locking_nothing_is_refused_rather_than_sent_as_broken_sql(conn):
    with pytest.raises(ValueError, match="at least one value"):
        await queries.select_stock_for_update(conn, [])


async def test_a_locked_variant_cannot_be_locked_by_another_connection(database, committed):
    """With committed rows, so that only the FOR UPDATE lock (not an open insert) holds them."""
    owner, made = committed
    other = await aiomysql.connect(**database.connect_kwargs())
    product = await make_product(owner, stock=5)
    made["products"].append(product["id"])
    made["categories"].append(product["category"]["id"])
    variant_id = product["variants"][0]["id"]
    try:
        await owner.begin()
        assert await queries.select_stock_for_update(owner, [variant_id]) == {variant_id: 5}
        await other.begin()
        with pytest.raises(OperationalError) as refused:
            await fetch_all(other, "SELECT stock FROM variants WHERE id = %s FOR UPDATE NOWAIT", (variant_id,))
        assert refused.value.args[0] in (1205, 3572)  # lock wait (MariaDB), NOWAIT refused (MySQL)
        await other.rollback()
        await owner.rollback()
    finally:
        other.close()


async def test_the_stock_update_changes_every_variant_in_one_statement(conn):
    product = await make_product(conn, variants=[("S", "Mustard", 3), ("M", "Mustard", 4), ("L", "Mustard", 0)])
    small, medium, large = (v["id"] for v in product["variants"])
    before = await statements_run(conn)
    assert await queries.update_stock_by(conn, {small: -3, medium: 2, large: 5}) == 3
    assert await statements_run(conn) - before - 1 == 1
    assert [await stock_of(conn, v) for v in (small, medium, large)] == [0, 6, 5]


async def test_the_stock_update_refuses_to_go_below_zero_and_its_row_count_says_so(conn):
    product = await make_product(conn, variants=[("S", "Mustard", 2), ("M", "Mustard", 4)])
    small, medium = (v["id"] for v in product["variants"])
    assert await queries.update_stock_by(conn, {small: -3}) == 0
    assert await stock_of(conn, small) == 2
    # of two variants, only the one with enough stock changes: the count tells the caller
    assert await queries.update_stock_by(conn, {small: -3, medium: -1}) == 1
    assert (await stock_of(conn, small), await stock_of(conn, medium)) == (2, 3)


async def test_taking_the_last_unit_leaves_zero(conn):
    product = await make_product(conn, stock=1)
    variant_id = product["variants"][0]["id"]
    assert await queries.update_stock_by(conn, {variant_id: -1}) == 1
    assert await stock_of(conn, variant_id) == 0


async def test_an_update_of_nothing_is_refused(conn):
    with pytest.raises(ValueError):
        await queries.update_stock_by(conn, {})


async def test_the_ledger_rows_of_a_change_are_one_insert(conn):
    product = await make_product(conn, variants=[("S", "Mustard", 3), ("M", "Mustard", 4)])
    small, medium = (v["id"] for v in product["variants"])
    before = await statements_run(conn)
    await queries.insert_movements(
        conn, [Movement(small, -1, 2, "damaged", note="torn " * 60), Movement(medium, 2, 6, "received")]
    )
    assert await statements_run(conn) - before - 1 == 1
    rows = await fetch_all(
        conn,
        "SELECT variant_id, delta, stock_after, reason, order_id, staff_id, note "
        "FROM stock_movements WHERE variant_id IN (%s, %s) ORDER BY variant_id",
        (small, medium),
    )
    assert [(r["variant_id"], r["delta"], r["stock_after"], r["reason"]) for r in rows] == [
        (small, -1, 2, "damaged"),
        (medium, 2, 6, "received"),
    ]
    assert len(rows[0]["note"]) == 200 and rows[1]["order_id"] is None and rows[1]["staff_id"] is None
