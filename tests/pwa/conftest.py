"""A real shop of these tests' own (hypercorn on loopback, a small demo catalogue) and Debian's
Chromium: a service worker, once installed, lives with the browser profile, so each test here
opens a fresh context."""

from __future__ import annotations

import aiomysql
import pytest

from mooncart.db import apply_schema
from mooncart.demo import seed_demo
from tests.browser.conftest import browser  # noqa: F401  (the same launcher, for these tests too)
from tests.conftest import create_test_database, drop_test_database
from tests.shop_server import running_shop


@pytest.fixture(scope="session")
async def pwa_shop(tmp_path_factory):
    media_root = tmp_path_factory.mktemp("pwa-media")
    settings = create_test_database("mooncart_pwa")
    conn = await aiomysql.connect(**settings.connect_kwargs())
    await apply_schema(conn)
    await seed_demo(conn, products=12, seed=5, quiet=True)
    conn.close()
    log_path = media_root.parent / "pwa-shop.log"
    with running_shop(settings.url, workers=1, log_path=log_path, env={"MOONCART_MEDIA_ROOT": str(media_root)}) as (
        url,
        _process,
    ):
        yield {"url": url, "db": settings, "log": log_path}
    drop_test_database(settings)
