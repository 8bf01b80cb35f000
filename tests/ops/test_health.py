"""Health checks: /healthz needs nothing but the process; /readyz needs the database, Redis when
it is configured, and a server that is not shutting down."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess

import pytest

from mooncart import create_app
from mooncart.ops import health
from tests.conftest import statements_run


async def test_healthz_answers_without_touching_the_database(client, conn):
    before = await statements_run(conn)
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "ok\n"
    assert await statements_run(conn) - before == 1  # only the SHOW that counts
    assert response.headers["Cache-Control"] == "no-store"


async def test_readyz_is_ready_when_the_database_answers(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_readyz_turns_503_once_the_server_begins_shutting_down(app, client):
    health.begin_draining(app.app)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert (await response.get_json())["status"] == "draining"
    assert (await client.get("/healthz")).status_code == 200  # alive, just not taking new work


async def test_shutting_down_marks_the_app_as_draining(database):
    app = create_app({"SECRET_KEY": "t", "DATABASE_URL": database.url})
    async with app.test_app():
        assert app.extensions["draining"] is False
    assert app.extensions["draining"] is True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_readyz_is_503_and_healthz_200_when_the_database_is_down():
    # no connection at start-up (pool minimum 0), so the app can start against a closed port
    app = create_app(
        {
            "SECRET_KEY": "t",
            "DATABASE_URL": f"mysql://root@127.0.0.1:{free_port()}/mooncart",
            "DB_POOL_MIN": 0,
            "REDIS_URL": None,
        }
    )
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/readyz")
        assert response.status_code == 503
        body = await response.get_json()
        assert body == {"status": "unavailable", "checks": {"database": "unavailable"}}
        assert "Can't connect" not in await response.get_data(as_text=True)  # the reason is logged, not shown


@pytest.fixture
async def own_redis():
    """A Redis server of the test's own, so that the test may stop it."""
    port = free_port()
    server = subprocess.Popen(
        [
            shutil.which("redis-server") or "/usr/bin/redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            await asyncio.sleep(0.1)
    yield port, server
    if server.poll() is None:
        server.terminate()
    server.wait(timeout=30)


async def test_readyz_checks_redis_when_it_is_configured(database, own_redis):
    port, server = own_redis
    app = create_app({"SECRET_KEY": "t", "DATABASE_URL": database.url, "REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert (await response.get_json())["checks"] == {"database": "ok", "redis": "ok"}
        server.terminate()
        server.wait(timeout=30)
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert (await response.get_json())["checks"] == {"database": "ok", "redis": "unavailable"}
