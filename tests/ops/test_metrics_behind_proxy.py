"""/metrics behind a trusted reverse proxy: the proxy (often on the same host, at 127.0.0.1)
forwards a public visitor's address, and that visitor must get the 404, however loopback the
proxy's own address is. The operator scraping from loopback directly gets the numbers."""

from __future__ import annotations

import pytest

from mooncart import create_app
from tests.conftest import Visitor, database_url

PUBLIC = "shop.example.com"


@pytest.fixture
async def app_behind_local_proxy(database, conn):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url(database),
            "DB_CONNECTION": conn,
            "REFERENCE_CACHE_SECONDS": 0,
            "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.2",
        }
    )
    async with app.test_app() as test_app:
        yield test_app


@pytest.mark.parametrize("proxy", ["127.0.0.1", "10.0.0.2"])
async def test_metrics_through_the_trusted_proxy_for_a_public_address_is_404(app_behind_local_proxy, proxy):
    visitor = Visitor(
        app_behind_local_proxy,
        proxy,
        {"Host": PUBLIC, "X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https", "X-Forwarded-Host": PUBLIC},
    )
    response = await visitor.request("GET", "/metrics")
    assert response.status_code == 404
    assert b"mooncart_" not in await response.get_data()


async def test_metrics_from_a_loopback_client_is_200(app_behind_local_proxy):
    operator = Visitor(app_behind_local_proxy, "127.0.0.1", {})
    response = await operator.request("GET", "/metrics")
    assert response.status_code == 200
    assert b"mooncart_" in await response.get_data()
