"""The tested topology of docs/DEPLOY.md, for real: Caddy with deploy/Caddyfile.balancer ending
TLS and balancing round-robin over two Mooncart instances ("a" and "b": two `mooncart serve`
processes on their own ports, 2 hypercorn workers each), which share one MariaDB database and
one Redis, and trust Caddy's forwarded headers."""

from __future__ import annotations

import os
from pathlib import Path

import aiomysql
import pytest

from mooncart.db import apply_schema
from mooncart.demo import seed_demo
from tests.conftest import create_test_database, drop_test_database
from tests.proxy.caddy import local_authority, running_caddy
from tests.proxy.conftest import trusting_browser  # noqa: F401  # the browser of the https journeys
from tests.shop_server import ShopProcess

BALANCER_CADDYFILE = Path(__file__).resolve().parents[2] / "deploy" / "Caddyfile.balancer"
REDIS_URL = f"redis://127.0.0.1:{os.environ.get('MOONCART_TEST_REDIS_PORT', '6379')}/5"
READY_PATH = "/static/favicon.svg"  # served by a worker: the instance answers, not only its socket


@pytest.fixture(scope="session")
def authority(tmp_path_factory):
    return local_authority(tmp_path_factory.mktemp("scale_tls"))


@pytest.fixture(scope="session")
async def cluster(tmp_path_factory, authority):
    """{'url': the balancer's https address by name (for the browser), 'ip_url': the same by
    address (for httpx), 'instances': {'a': ShopProcess, 'b': ShopProcess}, 'db', 'caddy'}."""
    import redis

    redis.Redis.from_url(REDIS_URL).ping()  # a clear failure when Redis is down (scripts/test starts it)
    directory = tmp_path_factory.mktemp("cluster")
    settings = create_test_database("mooncart_scale")
    conn = await aiomysql.connect(**settings.connect_kwargs())
    await apply_schema(conn)
    await seed_demo(conn, products=30, seed=11, quiet=True)
    conn.close()
    instances = {}
    try:
        for name in ("a", "b"):
            env = {
                "MOONCART_INSTANCE_NAME": name,
                "MOONCART_REDIS_URL": REDIS_URL,
                "MOONCART_TRUSTED_PROXIES": "127.0.0.1,::1",
                "MOONCART_MEDIA_ROOT": str(directory / "media"),
            }
            instances[name] = ShopProcess(
                settings.url,
                workers=2,
                log_path=directory / f"{name}.log",
                env=env,
                supervised=True,
                serve_args=("--graceful-seconds", "30"),
            )
            instances[name].start(wait_for=READY_PATH)
        upstreams = [instance.url.removeprefix("http://") for instance in instances.values()]
        with running_caddy(upstreams, authority, directory / "caddy", config=BALANCER_CADDYFILE) as caddy:
            yield {
                "url": caddy.url(),
                "ip_url": caddy.url("127.0.0.1"),
                "instances": instances,
                "db": settings,
                "caddy": caddy,
                "ssl": authority.ssl_context(),
            }
    finally:
        for instance in instances.values():
            if instance.process is not None and instance.process.poll() is None:
                instance.stop()
        drop_test_database(settings)
