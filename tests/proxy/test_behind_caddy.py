"""The shop behind a real TLS-terminating reverse proxy (deploy/Caddyfile in Caddy), as README's
"Production" section runs it. Before MOONCART_TRUSTED_PROXIES, every browser POST here was
refused (the shop saw http, the browser's Origin said https), cookies were never Secure, and
the log-in throttle counted everyone as the proxy's 127.0.0.1, so one attacker locked out all."""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

import aiomysql
import httpx
import pytest
from bs4 import BeautifulSoup
from playwright.async_api import expect

from tests.browser.conftest import in_stock_product
from tests.browser.pages import fill_address
from tests.factories import make_user
from tests.proxy.conftest import LOGIN_FAILURES_PER_IP


async def database(shop):
    return await aiomysql.connect(**shop["db"].connect_kwargs())


async def fetch_one(shop, sql: str, args: tuple) -> tuple | None:
    conn = await database(shop)
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, args)
            return await cur.fetchone()
    finally:
        conn.close()


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_a_shopper_adds_to_bag_logs_in_and_orders_over_https(proxied_shop, trusting_browser, javascript):
    base = proxied_shop["url"]
    product = await in_stock_product(proxied_shop)
    conn = await database(proxied_shop)
    user = await make_user(conn, email=f"meera.{secrets.token_hex(3)}@example.in", name="Meera Iyer")
    conn.close()
    context = await trusting_browser.new_context(java_script_enabled=javascript)  # no ignore_https_errors
    page = await context.new_page()

    response = await page.goto(f"{base}/products/{product['slug']}")
    assert response.ok and urlsplit(page.url).scheme == "https"
    await page.get_by_role("button", name="Add to bag").click()  # the POST that was answered 403
    await expect(page.locator("#add-to-bag-status" if javascript else "main")).to_contain_text("Added 1 to your bag")
    await expect(page.locator("#bag-count")).to_have_text("1")
    assert (await response.all_headers())["strict-transport-security"].startswith("max-age=")

    await page.goto(f"{base}/account/login?next=/checkout")
    await page.fill("#f-email", user["email"])
    await page.fill("#f-password", user["password"])
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(f"{base}/checkout")
    await expect(page.locator("#bag-count")).to_have_text("1")
    await fill_address(
        page,
        name="Meera Iyer",
        line1="12 Residency Road",
        city="Bengaluru",
        state="Karnataka",
        pin_code="560025",
        mobile="9845012345",
    )
    await page.get_by_role("button", name="Place order").click()
    await expect(page.locator("h1")).to_contain_text("Order MC")
    await expect(page.locator("#bag-count")).to_have_text("0")

    cookies = {cookie["name"]: cookie for cookie in await context.cookies()}
    assert {"__Host-mooncart", "__Host-mooncart_bag", "__Host-mooncart_session"} <= set(cookies)
    assert not {"mooncart", "mooncart_bag", "mooncart_session"} & set(cookies)
    for name in ("__Host-mooncart", "__Host-mooncart_bag", "__Host-mooncart_session"):
        assert cookies[name]["secure"] and cookies[name]["httpOnly"] and cookies[name]["path"] == "/", name
    assert await fetch_one(proxied_shop, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == (1,)
    assert "csrf refused" not in proxied_shop["log"].read_text()
    await context.close()


def client_from(address: str, shop) -> httpx.AsyncClient:
    """An https client that connects to Caddy from `address` (any 127.x.y.z is this machine) and
    trusts the tests' authority."""
    transport = httpx.AsyncHTTPTransport(local_address=address, verify=shop["caddy_ssl"])
    return httpx.AsyncClient(transport=transport, base_url=shop["ip_url"])


@pytest.fixture(scope="module")
def shop(proxied_shop, authority):
    return dict(proxied_shop, caddy_ssl=authority.ssl_context())


def csrf_token(page: httpx.Response) -> str:
    return BeautifulSoup(page.text, "html.parser").find("meta", attrs={"name": "csrf-token"})["content"]


async def failed_log_in(client: httpx.AsyncClient, email: str, headers: dict | None = None) -> httpx.Response:
    token = csrf_token(await client.get("/account/login", headers=headers))
    origin = f"{client.base_url.scheme}://{client.base_url.netloc.decode()}"
    return await client.post(
        "/account/login",
        data={"email": email, "password": "not her password", "csrf_token": token},
        headers=dict(headers or {}, Origin=origin),
    )


def log_entries(shop, event: str) -> list[dict]:
    entries = []
    for line in shop["log"].read_text().splitlines():
        if line.startswith("{") and f'"event": "{event}"' in line:
            entries.append(json.loads(line))
    return entries


async def test_the_shop_sees_the_shoppers_own_address_even_when_she_forges_one(shop):
    email = f"forged.{secrets.token_hex(3)}@example.in"
    async with client_from("127.0.0.5", shop) as client:
        response = await failed_log_in(
            client, email, headers={"X-Forwarded-For": "203.0.113.99", "X-Forwarded-Proto": "http"}
        )
    assert response.status_code == 422  # wrong password; not 403: the https Origin passed
    assert await fetch_one(shop, "SELECT ip FROM login_failures WHERE email = %s", (email,)) == ("127.0.0.5",)
    assert [entry["ip"] for entry in log_entries(shop, "login failed") if entry.get("email") == email] == ["127.0.0.5"]


async def test_one_attackers_wrong_passwords_do_not_lock_other_shoppers_out(shop):
    """All shoppers reach the shop from the proxy's address; the throttle must count each one."""
    conn = await database(shop)
    user = await make_user(conn, email=f"kiran.{secrets.token_hex(3)}@example.in", name="Kiran Das")
    conn.close()
    async with client_from("127.0.0.7", shop) as attacker:
        for attempt in range(LOGIN_FAILURES_PER_IP):
            response = await failed_log_in(attacker, f"victim{attempt}.{secrets.token_hex(3)}@example.in")
            assert response.status_code == 422
        assert (await failed_log_in(attacker, f"one.more.{secrets.token_hex(3)}@example.in")).status_code == 429
    async with client_from("127.0.0.8", shop) as shopper:
        token = csrf_token(await shopper.get("/account/login"))
        response = await shopper.post(
            "/account/login",
            data={"email": user["email"], "password": user["password"], "csrf_token": token},
            headers={"Origin": shop["ip_url"]},
        )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_forwarded_headers_sent_straight_to_hypercorn_change_nothing(shop):
    """Someone who reaches hypercorn without the proxy (127.0.0.2 is not a trusted proxy) and
    forges every forwarded header: still their own address, still plain http."""
    email = f"direct.{secrets.token_hex(3)}@example.in"
    forged = {
        "X-Forwarded-For": "127.0.0.1, 198.51.100.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "shop.mooncart.test",
    }
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(transport=transport, base_url=shop["direct"]) as client:
        page = await client.get("/bag", headers=forged)
        assert "strict-transport-security" not in page.headers
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("mooncart=") and "Secure" not in cookie
        token = csrf_token(page)
        refused = await client.post(
            "/account/login",
            data={"email": email, "password": "x", "csrf_token": token},
            headers=dict(forged, Origin="https://shop.mooncart.test"),
        )
        assert refused.status_code == 403  # an https Origin is another site to an http shop
        response = await client.post(
            "/account/login", data={"email": email, "password": "x", "csrf_token": token}, headers=forged
        )
    assert response.status_code == 422
    assert await fetch_one(shop, "SELECT ip FROM login_failures WHERE email = %s", (email,)) == ("127.0.0.2",)


async def test_signed_in_buyers_with_https_cookies_order_through_the_proxy(shop):
    """tests/shop_server's buyers, made for an https shop (their cookies `__Host-` named): the
    kind a load test through the proxy uses."""
    from tests.factories import make_product
    from tests.shop_server import Signers, make_buyers

    conn = await database(shop)
    product = await make_product(conn, stock=5)
    (buyer,) = await make_buyers(conn, Signers(shop["db"].url), product["variants"][0]["id"], 1, https=True)
    conn.close()
    cookie = "; ".join(f"{name}={value}" for name, value in buyer["cookies"].items())
    async with client_from("127.0.0.9", shop) as client:
        response = await client.post(
            "/checkout", data=buyer["form"], headers={"HX-Request": "true", "Cookie": cookie, "Origin": shop["ip_url"]}
        )
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/orders/")
    assert await fetch_one(shop, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (buyer["user_id"],)) == (1,)


async def test_plain_http_to_the_proxy_is_sent_to_https(shop):
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{shop['caddy'].http_port}/bag")
    assert response.status_code == 308 and response.headers["location"].startswith("https://127.0.0.1")
