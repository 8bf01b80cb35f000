"""A fake gateway on loopback, and the shop configured to use it (sharing the test's connection)."""

from __future__ import annotations

import pytest

from mooncart import create_app
from tests.conftest import database_url
from tests.payments.fake_gateway import gateway_config, running_gateway


@pytest.fixture
async def gateway():
    async with running_gateway() as gateway:
        gateway.hold_webhooks = True  # the tests deliver them, in the order they choose
        yield gateway


@pytest.fixture
async def app(database, conn, gateway):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url(database),
            "DB_CONNECTION": conn,
            "REFERENCE_CACHE_SECONDS": 0,
            **gateway_config(gateway, timeout=2.0),
        }
    )
    async with app.test_app() as test_app:
        yield test_app
