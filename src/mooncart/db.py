"""The database layer: an aiomysql pool, a connection per request, and small query helpers.

SQL is always parameterised (%s placeholders); nothing here formats a value into SQL text.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import warnings
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomysql
from pymysql.err import MySQLError, OperationalError
from pymysql.err import Warning as MySQLNote
from quart import Quart, current_app, g

from .config import DatabaseSettings
from .ops import metrics

log = logging.getLogger(__name__)

# "table already exists" and "duplicate entry" notes from idempotent DDL and INSERT IGNORE are expected
warnings.filterwarnings("ignore", category=MySQLNote)

# src/mooncart/schema.sql links to the top-level schema.sql, so a wheel carries a copy of it
SCHEMA_PATH = Path(__file__).with_name("schema.sql")


class Database:
    """Hands out connections: from the pool, or always the same one when a test shares its own."""

    def __init__(self, settings: DatabaseSettings, shared_connection=None, minsize=1, maxsize=20):
        self.settings = settings
        self.shared_connection = shared_connection
        self.minsize, self.maxsize = minsize, maxsize
        self.pool: aiomysql.Pool | None = None
        self.opening: asyncio.Lock | None = None

    async def open(self) -> None:
        """Make the pool when serving starts, inside the event loop that will use it (an
        aiomysql pool belongs to one loop). A test's shared connection needs none."""
        if self.shared_connection is None and self.pool is None:
            self.pool = await aiomysql.create_pool(
                minsize=self.minsize,
                maxsize=self.maxsize,
                pool_recycle=3600,
                cursorclass=aiomysql.DictCursor,
                **self.settings.connect_kwargs(),
            )
            metrics.POOL_MAX.inc(self.maxsize)

    async def start(self) -> None:
        """Open the pool at start-up if the database answers; if it does not, say so and serve
        anyway: a worker that failed its start-up would be restarted forever by `mooncart serve`
        while /healthz refused connections. Until the database answers, /readyz is 503, pages
        that need it get the 503 page, and each request tries to open the pool again."""
        try:
            await self.open()
        except (MySQLError, OSError) as error:
            log.error(
                "the database does not answer at start-up; serving anyway and retrying on each request",
                extra={
                    "database": f"{self.settings.host}:{self.settings.port}/{self.settings.database}",
                    "error": str(error)[:200],
                },
            )

    async def _open_lazily(self) -> aiomysql.Pool:
        """The pool, opened by the first request after the database came back (one at a time)."""
        if self.opening is None:
            self.opening = asyncio.Lock()
        async with self.opening:
            if self.pool is None:
                await self.open()
        if self.pool is None:  # open() makes it or raises; only a test's shared connection has none
            raise RuntimeError("the connection pool did not open")
        return self.pool

    async def close(self) -> None:
        """Close every pooled connection once serving stops, so hypercorn exits cleanly."""
        if self.pool is not None:
            self.pool.close()
            await self.pool.wait_closed()
            self.pool = None
            metrics.POOL_MAX.dec(self.maxsize)

    async def acquire(self):
        """A connection for one request: the test's own, so app and test see one transaction,
        or one from the pool."""
        if self.shared_connection is not None:
            return self.shared_connection
        pool = self.pool
        if pool is None:
            pool = await self._open_lazily()  # raises a MySQLError while the database is down: the 503 page
        if pool.freesize or pool.size < pool.maxsize:
            conn = await pool.acquire()  # one is free or may be opened: no queue to count
        else:
            metrics.POOL_WAITING.inc()  # every connection is lent: this request queues for one
            try:
                conn = await pool.acquire()
            finally:
                metrics.POOL_WAITING.dec()
        metrics.POOL_IN_USE.inc()
        return conn

    def release(self, conn) -> None:
        """Give a pooled connection back; a test's shared one stays with the test."""
        if conn is not self.shared_connection:
            metrics.POOL_IN_USE.dec()
            if self.pool is not None:
                self.pool.release(conn)
            else:  # cannot happen while close() waits for lent connections; never leak one if it does
                conn.close()


def init_app(app: Quart) -> None:
    """Open the pool before serving, close it after, and hand each request one connection."""
    settings = DatabaseSettings.from_url(app.config["DATABASE_URL"])
    app.extensions["db"] = Database(
        settings, app.config.get("DB_CONNECTION"), app.config["DB_POOL_MIN"], app.config["DB_POOL_MAX"]
    )

    @app.before_serving
    async def open_pool() -> None:
        """Open the pool when serving starts, inside the loop that will use it."""
        await app.extensions["db"].start()

    @app.after_serving
    async def close_pool() -> None:
        """Close the pool when serving ends, so the server sees connections end cleanly."""
        await app.extensions["db"].close()

    @app.teardown_appcontext
    async def release_connection(_exc) -> None:
        """Give this request's connection back to the pool, whatever happened."""
        conn = g.pop("db_conn", None)
        if conn is not None:
            current_app.extensions["db"].release(conn)


async def get_conn():
    """This request's connection, taken from the pool on first use."""
    if "db_conn" not in g:
        g.db_conn = await current_app.extensions["db"].acquire()
    return g.db_conn


async def fetch_all(conn, sql: str, params: Sequence[Any] | dict = ()) -> list[dict]:
    """Every row as a dict: the column names are the keys templates and dataclasses use."""
    async with conn.cursor(aiomysql.DictCursor) as cur:
        await cur.execute(sql, params)
        return list(await cur.fetchall())


async def fetch_one(conn, sql: str, params: Sequence[Any] | dict = ()) -> dict | None:
    """The first row as a dict, or None: loaders turn None into a 404."""
    async with conn.cursor(aiomysql.DictCursor) as cur:
        await cur.execute(sql, params)
        return await cur.fetchone()


async def fetch_val(conn, sql: str, params: Sequence[Any] | dict = ()) -> Any:
    """The first column of the first row (a count, an id), or None when there is no row."""
    async with conn.cursor() as cur:
        await cur.execute(sql, params)
        row = await cur.fetchone()
        if row is None:
            return None
        return row[0] if isinstance(row, (tuple, list)) else next(iter(row.values()))


def in_list(values: Iterable[Any], name: str | None = None) -> tuple[str, Any]:
    """The placeholders and parameters of an `IN (...)` list: in_list([4, 7]) is ("%s, %s", [4, 7]),
    and for a statement with named parameters in_list([4, 7], "size") is
    ("%(size0)s, %(size1)s", {"size0": 4, "size1": 7}). SQL has no parameter for a list, so this is
    the one place that writes as many placeholders as there are values; the values themselves
    still travel as parameters. An empty list is refused, because `IN ()` is a syntax error and
    "nothing to do" is the caller's decision, not the database's."""
    values = list(values)
    if not values:
        raise ValueError("in_list() needs at least one value: `IN ()` is not valid SQL")
    if name is None:
        return ", ".join(["%s"] * len(values)), values
    if not name.isidentifier():
        raise ValueError(f"in_list() parameter name {name!r} must be a plain identifier")
    named = {f"{name}{i}": value for i, value in enumerate(values)}
    return ", ".join(f"%({key})s" for key in named), named


# deadlock; lock wait timeout; "record has changed since last read" (1020): MariaDB 11.6.2 and later
# default to innodb_snapshot_isolation=ON, where a locking read of a row that another transaction
# changed after this one's snapshot fails instead of waiting. Like a deadlock it rolls the whole
# transaction back (seen on 10.11 with the variable set: @@in_transaction is 0 after it), and
# like a deadlock the cure is to run the transaction again on a fresh snapshot.
RETRYABLE_ERRORS = {1213, 1205, 1020}


async def execute(conn, sql: str, params: Sequence[Any] | dict = ()) -> tuple[int, int]:
    """Run one statement; return (rows affected, last insert id). Outside a transaction a
    statement that loses a deadlock was rolled back whole, so it is simply run again: a shopper
    adding to the bag never sees InnoDB's deadlock detector (inside a transaction the caller
    retries the whole transaction)."""
    for attempt in range(1, 5):
        try:
            async with conn.cursor() as cur:
                await cur.execute(sql, params)
                return cur.rowcount, cur.lastrowid
        except OperationalError as error:
            # Inside a transaction the deadlock has already rolled the whole transaction back (and
            # the server no longer reports one open), so only the caller may retry: running the
            # statement again here would quietly commit it on its own.
            if (
                error.args[0] not in RETRYABLE_ERRORS
                or attempt == 4
                or conn.get_transaction_status()
                or getattr(conn, "mooncart_transaction_depth", 0)
            ):
                raise
            await asyncio.sleep(random.uniform(0.001, 0.01) * attempt)  # nosec B311 # jitter, demo data: not security
    raise AssertionError("unreachable")


async def execute_many(conn, sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """Run one INSERT for many rows (pymysql folds them into multi-row VALUES)."""
    async with conn.cursor() as cur:
        await cur.executemany(sql, rows)
        return cur.rowcount


async def retrying(work, attempts: int = 8):
    """Run work() (which opens its own transaction) again when InnoDB picks it as a deadlock
    victim, a lock wait times out, or (snapshot isolation) a row it locks changed after its
    snapshot: the shopper never sees any of them."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except OperationalError as error:
            if error.args[0] not in RETRYABLE_ERRORS or attempt == attempts:
                raise
            await asyncio.sleep(random.uniform(0.005, 0.02) * attempt)  # nosec B311 # jitter, not security
    raise AssertionError("unreachable")


_savepoint_counter = 0


@asynccontextmanager
async def transaction(conn) -> AsyncIterator[Any]:
    """All or nothing. Inside an open transaction (a test's, or an outer one) it uses a
    SAVEPOINT, because MariaDB's START TRANSACTION would silently commit the outer work."""
    conn.mooncart_transaction_depth = getattr(conn, "mooncart_transaction_depth", 0) + 1
    try:
        async with _transaction(conn) as inner:
            yield inner
    finally:
        conn.mooncart_transaction_depth -= 1


@asynccontextmanager
async def _transaction(conn) -> AsyncIterator[Any]:
    global _savepoint_counter
    if conn.get_transaction_status():
        _savepoint_counter += 1
        name = f"sp_{_savepoint_counter}"  # an identifier we make, never user input
        await execute(conn, "SAVEPOINT " + name)
        try:
            yield conn
        except BaseException:
            await execute(conn, "ROLLBACK TO SAVEPOINT " + name)
            raise
        else:
            await execute(conn, "RELEASE SAVEPOINT " + name)
    else:
        await conn.begin()
        try:
            yield conn
        except BaseException:
            await conn.rollback()
            raise
        else:
            await conn.commit()


def split_sql(text: str) -> list[str]:
    """schema.sql's statements: comments dropped, split at semicolons that end a line."""
    text = re.sub(r"^\s*--.*$", "", text, flags=re.M)
    return [s.strip() for s in re.split(r";\s*$", text, flags=re.M) if s.strip()]


async def apply_schema(conn, schema_path: Path = SCHEMA_PATH) -> int:
    """Run every statement of schema.sql (all IF NOT EXISTS, so init-db can be repeated);
    returns how many ran."""
    statements = split_sql(schema_path.read_text(encoding="utf-8"))
    for statement in statements:
        await execute(conn, statement)
    return len(statements)
