"""Test fixtures: a real MariaDB database of the tests' own, created once per session from
schema.sql and dropped at the end. Each test shares one connection with the app inside
BEGIN ... ROLLBACK, so tests never see each other's rows."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from urllib.parse import urlencode

import aiomysql
import pymysql
import pytest
from bs4 import BeautifulSoup

from mooncart import create_app
from mooncart.config import DatabaseSettings
from mooncart.db import apply_schema, execute, in_list

# The server the tests make their own databases on (scripts/test points it at a private one
# when no server is running on 127.0.0.1:3306).
SERVER = DatabaseSettings.from_url(
    os.environ.get("MOONCART_TEST_SERVER_URL", "mysql://root@127.0.0.1:3306/"), allow_no_database=True
)


def server_settings(database: str) -> DatabaseSettings:
    return SERVER.with_database(database)


def create_test_database(prefix: str = "mooncart_test") -> DatabaseSettings:
    settings = server_settings(f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}")
    conn = pymysql.connect(**settings.connect_kwargs(with_database=False))
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{settings.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()
    return settings


def drop_test_database(settings: DatabaseSettings) -> None:
    """Drop it even if a failed test left a connection with an open transaction (which would
    make DROP DATABASE wait for its metadata locks forever)."""
    conn = pymysql.connect(**settings.connect_kwargs(with_database=False))
    with conn.cursor() as cur:
        cur.execute(
            "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID()",
            (settings.database,),
        )
        for (thread_id,) in cur.fetchall():
            try:
                cur.execute("KILL %s", (thread_id,))
            except pymysql.err.OperationalError:
                pass  # it ended by itself meanwhile
        cur.execute("SET SESSION lock_wait_timeout = 30")
        cur.execute(f"DROP DATABASE IF EXISTS `{settings.database}`")
    conn.close()


def database_url(settings: DatabaseSettings) -> str:
    return settings.url


@pytest.fixture(scope="session")
async def database():
    """The session's database, with the schema applied (twice: init-db must be repeatable)."""
    settings = create_test_database()
    conn = await aiomysql.connect(**settings.connect_kwargs())
    try:
        await apply_schema(conn)
        await apply_schema(conn)
    finally:
        conn.close()
    yield settings
    drop_test_database(settings)


@pytest.fixture
async def conn(database):
    """One connection in an open transaction, rolled back after the test."""
    connection = await aiomysql.connect(**database.connect_kwargs())
    await connection.begin()
    yield connection
    await connection.rollback()
    connection.close()


@pytest.fixture
async def committed(database):
    """For data other connections must see (races, locks, a command that opens its own pool): a
    connection outside any test transaction, so every write commits, and `made`, the ids of what
    the test made ({"users": [...], "products": [...], "categories": [...]}), deleted afterwards
    with everything that hangs off them. The one place tests clean up after themselves."""
    connection = await aiomysql.connect(**database.connect_kwargs())
    made: dict[str, list[int]] = {"users": [], "products": [], "categories": []}
    try:
        yield connection, made
    finally:
        await connection.rollback()  # a test that failed inside a transaction left it open
        if made["users"]:
            placeholders, ids = in_list(made["users"])
            await execute(connection, f"DELETE FROM orders WHERE user_id IN ({placeholders})", ids)
            await execute(connection, f"DELETE FROM users WHERE id IN ({placeholders})", ids)
        for table in ("products", "categories"):
            if made[table]:
                placeholders, ids = in_list(made[table])
                await execute(connection, f"DELETE FROM {table} WHERE id IN ({placeholders})", ids)
        connection.close()


@pytest.fixture
async def app(database, conn):
    # no reference cache: tests add categories between requests
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url(database),
            "DB_CONNECTION": conn,
            "REFERENCE_CACHE_SECONDS": 0,
        }
    )
    async with app.test_app() as test_app:
        yield test_app


@pytest.fixture
def client(app):
    return app.test_client()


HTMX = {"HX-Request": "true"}


def soup(body: bytes | str) -> BeautifulSoup:
    return BeautifulSoup(body, "html.parser")


async def csrf(client) -> str:
    """The CSRF token a page gives this client (fetched once per client)."""
    if not getattr(client, "_csrf", None):
        page = soup(await (await client.get("/bag")).get_data())
        client._csrf = page.find("meta", attrs={"name": "csrf-token"})["content"]
    return client._csrf


async def post(client, path: str, *, form: dict | None = None, headers: dict | None = None):
    """POST as the shop's own pages do: with this client's CSRF token in the form."""
    form = dict(form or {})
    form.setdefault("csrf_token", await csrf(client))
    return await client.post(path, form=form, headers=headers)


async def statements_run(conn) -> int:
    """MariaDB's count of statements this connection has sent (the SHOW itself included)."""
    async with conn.cursor() as cur:
        await cur.execute("SHOW SESSION STATUS LIKE 'Questions'")
        return int((await cur.fetchone())[1])


async def log_in(client, user: dict, password: str | None = None):
    """Log in through the real form (argon2 and all), with the code step for two-step users.
    The CSRF token changes at log-in."""
    from tests.factories import next_code

    response = await post(
        client, "/account/login", form={"email": user["email"], "password": password or user["password"]}
    )
    if response.headers.get("Location", "").startswith("/account/login/code"):
        response = await post(client, "/account/login/code", form={"code": next_code(user)})
    client._csrf = None
    return response


@pytest.fixture
async def pooled_app(database):
    """The app with its real pool, on committed data (no shared test transaction)."""
    conn = await aiomysql.connect(**database.connect_kwargs())
    app = create_app({"SECRET_KEY": "live", "DATABASE_URL": database.url})
    made = {}
    async with app.test_app() as test_app:
        yield test_app, conn, made
    if "user" in made:
        await execute(conn, "DELETE FROM orders WHERE user_id = %s", (made["user"],))
        await execute(conn, "DELETE FROM users WHERE id = %s", (made["user"],))
    if "product" in made:
        await execute(conn, "DELETE FROM products WHERE id = %s", (made["product"]["id"],))
        await execute(conn, "DELETE FROM categories WHERE id = %s", (made["product"]["category"]["id"],))
    conn.close()


async def read_until(connection, needle: bytes, timeout: float = 5.0) -> bytes:
    """What a streaming test connection sends until `needle` appears (or TimeoutError)."""
    received = b""
    deadline = time.monotonic() + timeout
    while needle not in received:
        received += await asyncio.wait_for(connection.receive(), max(0.01, deadline - time.monotonic()))
    return received


class Visitor:
    """One browser: its own cookie jar, reaching the shop from `peer` (the proxy, or directly)
    with whatever headers it sends (or the proxy adds)."""

    def __init__(self, app, peer: str, headers: dict):
        self.client = app.test_client()
        self.client.cookie_jar = None  # cookies by hand, below
        self.peer, self.headers, self.cookies, self.set_cookies = peer, headers, {}, []

    async def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        sent = dict(self.headers, **(headers or {}))
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = await self.client.open(
            path, method=method, form=form, headers=sent, scope_base={"client": (self.peer, 40000)}
        )
        self.set_cookies = response.headers.getlist("Set-Cookie")
        for cookie in self.set_cookies:
            name, _, value = cookie.partition(";")[0].partition("=")
            self.cookies[name] = value
        return response

    async def token(self) -> str:
        page = soup(await (await self.request("GET", "/bag")).get_data())
        return page.find("meta", attrs={"name": "csrf-token"})["content"]


class MailCatcher:
    """What a real SMTP server on loopback (aiosmtpd) received: `messages` (parsed e-mails).
    `refuse` answers that many messages with 451 (a server that is busy) before accepting;
    `on_message(message)` runs as each accepted message arrives, before the server says 250;
    `delay` seconds of thought per message make senders overlap."""

    def __init__(self):
        import email
        import email.policy

        self._parse = lambda data: email.message_from_bytes(data, policy=email.policy.default)
        self.messages: list = []
        self.refused = 0
        self.refuse = 0
        self.delay = 0.0
        self.on_message = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            self.refused += 1
            return "451 4.3.0 Try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        message = self._parse(envelope.original_content or envelope.content)
        self.messages.append(message)
        if self.on_message is not None:
            self.on_message(message)
        return "250 2.0.0 OK"

    def to(self, address: str) -> list:
        """The messages received for one address."""
        return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, count: int, address: str | None = None, timeout: float = 10.0) -> list:
        """Wait until `count` messages (for `address`) have arrived; the messages, or AssertionError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages if address is None else self.to(address)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"{count} messages did not arrive in {timeout}s (got {len(found)})")


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free loopback port for the test (aiosmtpd, in its own thread)."""
    import socket

    from aiosmtpd.controller import Controller

    catcher = MailCatcher()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        catcher.port = probe.getsockname()[1]
    controller = Controller(catcher, hostname="127.0.0.1", port=catcher.port)
    controller.start()
    try:
        yield catcher
    finally:
        controller.stop()


async def choose_sizes(client, *sizes: str, only_mine: str = "1", next_url: str | None = None):
    """Post the "My sizes" form (catalog/my_sizes.py) as a browser does: one `size` field per ticked box."""
    fields = [("csrf_token", await csrf(client)), ("only_mine", only_mine)] + [("size", size) for size in sizes]
    if next_url is not None:
        fields.append(("next", next_url))
    return await client.post(
        "/my-sizes", data=urlencode(fields), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
