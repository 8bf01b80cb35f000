"""A real shop for the browser: hypercorn serving Mooncart on loopback against a database of
the tests' own with a small demo catalogue, driven by Playwright through Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import aiomysql
import pytest

from mooncart.db import apply_schema
from mooncart.demo import seed_demo
from tests.conftest import create_test_database, drop_test_database

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
async def shop(tmp_path_factory):
    """Base URL and database settings of a running shop."""
    media_root = tmp_path_factory.mktemp("media")
    settings = create_test_database("mooncart_browser")
    conn = await aiomysql.connect(**settings.connect_kwargs())
    await apply_schema(conn)
    await seed_demo(conn, products=40, seed=3, quiet=True)
    conn.close()
    port = free_port()
    env = dict(os.environ, MOONCART_DATABASE_URL=settings.url, MOONCART_SECRET_KEY="browser-tests",
               MOONCART_MEDIA_ROOT=str(media_root))
    log_path = media_root.parent / "shop.log"  # read it when a browser test fails
    log_file = open(log_path, "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "hypercorn", "mooncart.asgi:app", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "uvloop"], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base_url + "/", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("the shop did not start: " + log_path.read_text()[-2000:])
            time.sleep(0.2)
    yield {"url": base_url, "db": settings, "log": log_path}
    server.terminate()
    server.wait(10)
    log_file.close()
    drop_test_database(settings)


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed: scripts/test installs it (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def in_stock_product(shop, minimum: int = 3, maximum: int = 9) -> dict:
    """A demo product whose first, pre-selected variant has between `minimum` and `maximum` in stock."""
    conn = await aiomysql.connect(**shop["db"].connect_kwargs(), cursorclass=aiomysql.DictCursor)
    try:
        async with conn.cursor() as cur:
            await cur.execute(
                "SELECT p.slug, p.name, v.id AS variant_id, v.stock FROM products p "
                "JOIN variants v ON v.product_id = p.id JOIN colours c ON c.id = v.colour_id "
                "JOIN sizes s ON s.id = v.size_id "
                "WHERE v.id = (SELECT v2.id FROM variants v2 JOIN colours c2 ON c2.id = v2.colour_id "
                "JOIN sizes s2 ON s2.id = v2.size_id WHERE v2.product_id = p.id AND v2.stock > 0 "
                "ORDER BY c2.name, s2.position LIMIT 1) AND v.stock BETWEEN %s AND %s ORDER BY p.id LIMIT 1",
                (minimum, maximum))
            return await cur.fetchone()
    finally:
        conn.close()

# Note: page.wait_for_function() evaluates its predicate with eval(), which the shop's CSP
# (rightly) forbids; the tests wait with Playwright's expect() instead.
