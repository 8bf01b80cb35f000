"""The production set-up of README's "Production" section, for real: deploy/Caddyfile in Caddy,
ending TLS with a certificate from a throwaway authority, in front of hypercorn on loopback that
trusts Caddy's forwarded headers (MOONCART_TRUSTED_PROXIES=127.0.0.1,::1), and a Chromium that
trusts that authority like any other (an NSS database of its own), not one told to ignore errors."""

from __future__ import annotations

import os
import shutil
import subprocess

import aiomysql
import pytest

from mooncart.db import apply_schema
from mooncart.demo import seed_demo
from tests.browser.conftest import CHROMIUM_ARGS
from tests.conftest import create_test_database, drop_test_database
from tests.proxy.caddy import SITE_NAME, local_authority, running_caddy
from tests.shop_server import running_shop

LOGIN_FAILURES_PER_IP = 3  # low, so the lock-out test needs few attempts


@pytest.fixture(scope="session")
def authority(tmp_path_factory):
    return local_authority(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
async def proxied_shop(tmp_path_factory, authority):
    """hypercorn behind Caddy. 'url': the public https address (the browser resolves SITE_NAME to
    127.0.0.1), 'ip_url': the same by address (for httpx), 'direct': hypercorn itself."""
    directory = tmp_path_factory.mktemp("proxied_shop")
    settings = create_test_database("mooncart_proxy")
    conn = await aiomysql.connect(**settings.connect_kwargs())
    await apply_schema(conn)
    await seed_demo(conn, products=40, seed=5, quiet=True)
    conn.close()
    log_path = directory / "shop.log"
    env = {
        "MOONCART_MEDIA_ROOT": str(directory / "media"),
        "MOONCART_TRUSTED_PROXIES": "127.0.0.1,::1",
        "MOONCART_LOGIN_FAILURES_PER_IP": str(LOGIN_FAILURES_PER_IP),
    }
    try:
        # `mooncart serve`, as README's "Production" runs it
        with running_shop(settings.url, workers=1, log_path=log_path, env=env, supervised=True) as (direct, _process):
            upstream = direct.removeprefix("http://")
            with running_caddy([upstream], authority, directory / "caddy") as caddy:
                yield {
                    "url": caddy.url(),
                    "ip_url": caddy.url("127.0.0.1"),
                    "direct": direct,
                    "db": settings,
                    "log": log_path,
                    "caddy": caddy,
                }
    finally:
        drop_test_database(settings)


def nss_home_trusting(authority, home) -> str:
    """A HOME whose NSS database (~/.pki/nssdb, where Chromium on Linux keeps the user's
    certificate authorities) trusts `authority` for web sites."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise RuntimeError("certutil is not installed: scripts/test installs it (apt-get install libnss3-tools)")
    database = home / ".pki" / "nssdb"
    database.mkdir(parents=True, exist_ok=True)
    subprocess.run([certutil, "-N", "-d", f"sql:{database}", "--empty-password"], check=True)
    subprocess.run(
        [certutil, "-A", "-d", f"sql:{database}", "-n", "Mooncart tests", "-t", "C,,", "-i", str(authority.ca_path)],
        check=True,
    )
    return str(home)


@pytest.fixture(scope="session")
async def trusting_browser(tmp_path_factory, authority):
    """Chromium that trusts the tests' authority and finds SITE_NAME on 127.0.0.1."""
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed: scripts/test installs it (apt-get install chromium)")
    home = nss_home_trusting(authority, tmp_path_factory.mktemp("chromium_home"))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable,
            env=dict(os.environ, HOME=home),
            args=CHROMIUM_ARGS + [f"--host-resolver-rules=MAP {SITE_NAME} 127.0.0.1"],
        )
        yield browser
        await browser.close()
