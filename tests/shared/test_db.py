"""The database helpers: a statement that loses a deadlock is run again only when it stands
alone; inside a transaction the whole transaction must be retried, never one statement."""

from __future__ import annotations

import pytest
from pymysql.err import OperationalError

from mooncart import db


class DeadlockOnce:
    """A cursor whose first execute() loses a deadlock."""

    def __init__(self, calls: list):
        self.calls = calls

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    async def execute(self, sql, params=()):
        self.calls.append(sql)
        if len(self.calls) == 1:
            raise OperationalError(1213, "Deadlock found when trying to get lock")
        self.rowcount, self.lastrowid = 1, 0


class FakeConnection:
    def __init__(self):
        self.calls: list[str] = []

    def cursor(self):
        return DeadlockOnce(self.calls)

    def get_transaction_status(self):
        return False  # as after InnoDB rolled a deadlocked transaction back


async def test_a_lone_statement_that_loses_a_deadlock_runs_again():
    conn = FakeConnection()
    assert await db.execute(conn, "INSERT INTO cart_items VALUES (1)") == (1, 0)
    assert len(conn.calls) == 2


async def test_inside_a_transaction_the_deadlock_goes_to_the_caller():
    conn = FakeConnection()
    conn.mooncart_transaction_depth = 1
    with pytest.raises(OperationalError):
        await db.execute(conn, "UPDATE variants SET stock = stock - 1")
    assert len(conn.calls) == 1, "running it again would commit it outside the transaction"


async def test_retrying_runs_the_whole_unit_again():
    attempts = []

    async def unit():
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError(1213, "Deadlock")
        return "placed"

    assert await db.retrying(unit) == "placed" and len(attempts) == 3


def test_in_list_of_one_value_is_one_placeholder():
    assert db.in_list([7]) == ("%s", [7])


def test_in_list_of_many_values_keeps_them_as_parameters_in_order():
    placeholders, params = db.in_list(x for x in (3, "1); DROP TABLE orders; --", 9))
    assert placeholders == "%s, %s, %s" and params == [3, "1); DROP TABLE orders; --", 9]


def test_in_list_refuses_an_empty_list_clearly():
    with pytest.raises(ValueError, match="at least one value"):
        db.in_list([])


async def test_in_list_selects_exactly_the_rows_asked_for(conn):
    from tests.factories import make_product

    product = await make_product(conn, variants=[("S", "Mustard", 1), ("M", "Mustard", 2), ("L", "Mustard", 3)])
    small, _, large = (v["id"] for v in product["variants"])
    placeholders, params = db.in_list([large, small])
    rows = await db.fetch_all(conn, "SELECT stock FROM variants WHERE id IN (" + placeholders + ") ORDER BY id", params)
    assert [row["stock"] for row in rows] == [1, 3]


def test_in_list_with_a_name_gives_named_placeholders_for_pyformat_statements():
    assert db.in_list([4, 7], "size") == ("%(size0)s, %(size1)s", {"size0": 4, "size1": 7})
    with pytest.raises(ValueError):
        db.in_list([1], "size) OR (1")
    with pytest.raises(ValueError, match="at least one value"):
        db.in_list([], "size")


async def test_named_in_list_selects_exactly_the_rows_asked_for(conn):
    from tests.factories import make_product

    product = await make_product(conn, variants=[("S", "Mustard", 1), ("M", "Mustard", 2), ("L", "Mustard", 3)])
    _, medium, large = (v["id"] for v in product["variants"])
    placeholders, params = db.in_list([medium, large], "variant")
    rows = await db.fetch_all(
        conn,
        "SELECT stock FROM variants WHERE id IN (" + placeholders + ") AND stock >= %(least)s ORDER BY id",
        {**params, "least": 3},
    )
    assert [row["stock"] for row in rows] == [3]
