"""Every state-changing route refuses a missing or wrong CSRF token and cross-site requests."""

from __future__ import annotations

import pytest

from mooncart import create_app
from mooncart.db import fetch_val
from tests.conftest import HTMX, csrf, database_url, soup
from tests.factories import make_product, make_user


def state_changing_urls(app) -> list[str]:
    """Every POST route of the app, with its URL parameters filled in."""
    urls = []
    for rule in app.app.url_map.iter_rules():
        if "POST" in rule.methods:
            urls.append(rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1])
    assert urls, "the app has state-changing routes"
    return urls


async def test_every_post_route_refuses_a_missing_or_wrong_token(app, client, conn):
    product = await make_product(conn, stock=5)
    token = await csrf(client)
    for url in state_changing_urls(app):
        for form, headers in [({}, None), ({"csrf_token": "forged"}, None), ({}, {"X-CSRF-Token": "forged"}),
                              ({"csrf_token": token[:-1]}, HTMX), ({"csrf_token": token + "¿'\"("}, None),
                              ({"csrf_token": "टोकन"}, HTMX)]:
            form = dict(form, variant_id=str(product["variants"][0]["id"]), quantity="1")
            response = await client.post(url, form=form, headers=headers)
            assert response.status_code == 403, url
            assert "nothing was changed" in soup(await response.get_data()).get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_items") == 0


async def test_every_post_route_refuses_cross_site_requests_even_with_a_token(app, client, conn):
    product = await make_product(conn, stock=5)
    token = await csrf(client)
    for url in state_changing_urls(app):
        for headers in [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                        {"Sec-Fetch-Site": "same-site"}, {"Origin": "http://localhost:1"}]:
            response = await client.post(url, headers=headers, form={
                "csrf_token": token, "variant_id": str(product["variants"][0]["id"]), "quantity": "1"})
            assert response.status_code == 403, (url, headers)
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_items") == 0


async def test_the_token_works_as_an_htmx_header_and_same_origin_passes(client, conn):
    product = await make_product(conn, stock=5)
    token = await csrf(client)
    response = await client.post("/bag/add", form={"variant_id": str(product["variants"][0]["id"]), "quantity": "1"},
                                 headers=dict(HTMX, **{"X-CSRF-Token": token, "Origin": "http://localhost",
                                                       "Sec-Fetch-Site": "same-origin"}))
    assert response.status_code == 200


# Behind a TLS-terminating proxy (README, "Production"): the proxy at 10.0.0.2 is trusted, so its
# X-Forwarded-* headers say who the shopper is and that she came over https. Cookies are handled
# by hand here: Quart's test client would judge Secure cookies by its own (http) scheme.

PROXY = "10.0.0.2"
PUBLIC = "shop.example.com"


@pytest.fixture
async def proxied_app(database, conn):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url(database),
                      "DB_CONNECTION": conn, "REFERENCE_CACHE_SECONDS": 0, "TRUSTED_PROXIES": f"{PROXY}, 2001:db8::/64",
                      "REGISTRATIONS_PER_HOUR": 1})
    async with app.test_app() as test_app:
        yield test_app


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
        response = await self.client.open(path, method=method, form=form, headers=sent,
                                          scope_base={"client": (self.peer, 40000)})
        self.set_cookies = response.headers.getlist("Set-Cookie")
        for cookie in self.set_cookies:
            name, _, value = cookie.partition(";")[0].partition("=")
            self.cookies[name] = value
        return response

    async def token(self) -> str:
        page = soup(await (await self.request("GET", "/bag")).get_data())
        return page.find("meta", attrs={"name": "csrf-token"})["content"]


def shopper_via_proxy(app, address: str) -> Visitor:
    return Visitor(app, PROXY, {"Host": PUBLIC, "X-Forwarded-For": address, "X-Forwarded-Proto": "https",
                                "X-Forwarded-Host": PUBLIC})


async def test_behind_a_trusted_proxy_a_browser_post_from_the_public_https_origin_passes(proxied_app, conn):
    product = await make_product(conn, stock=5)
    shopper = shopper_via_proxy(proxied_app, "198.51.100.4")
    token = await shopper.token()
    response = await shopper.request("POST", "/bag/add", form={
        "variant_id": str(product["variants"][0]["id"]), "quantity": "1", "csrf_token": token},
        headers={"Origin": f"https://{PUBLIC}", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    bag_cookie = next(c for c in shopper.set_cookies if c.startswith("__Host-mooncart_bag="))
    assert "Secure" in bag_cookie and "Path=/" in bag_cookie and "Domain" not in bag_cookie
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_items") == 1
    # and the next page finds the bag by its __Host- cookie
    assert "1" == soup(await (await shopper.request("GET", "/bag")).get_data()).find(id="bag-count").get_text().strip()


async def test_behind_a_trusted_proxy_the_session_and_flash_cookies_are_secure_and_host_prefixed(proxied_app, conn):
    user = await make_user(conn)
    shopper = shopper_via_proxy(proxied_app, "198.51.100.4")
    token = await shopper.token()
    assert any(c.startswith("__Host-mooncart=") and "Secure" in c for c in shopper.set_cookies)
    response = await shopper.request("POST", "/account/login", form={
        "email": user["email"], "password": user["password"], "csrf_token": token},
        headers={"Origin": f"https://{PUBLIC}"})
    assert response.status_code == 303
    session_cookie = next(c for c in shopper.set_cookies if c.startswith("__Host-mooncart_session="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "Path=/" in session_cookie
    assert await fetch_val(conn, "SELECT ip FROM sessions WHERE user_id = %s", (user["id"],)) == "198.51.100.4"
    assert "Asha" in soup(await (await shopper.request("GET", "/account")).get_data()).get_text()


async def test_behind_a_trusted_proxy_failed_log_ins_count_against_the_shopper_not_the_proxy(proxied_app, conn):
    attacker = shopper_via_proxy(proxied_app, "2001:db8:1::66")
    token = await attacker.token()
    response = await attacker.request("POST", "/account/login", form={
        "email": "nobody@example.in", "password": "wrong", "csrf_token": token})
    assert response.status_code == 422
    assert await fetch_val(conn, "SELECT ip FROM login_failures WHERE email = 'nobody@example.in'") == "2001:db8:1::66"


async def test_behind_a_trusted_proxy_sign_ups_are_limited_per_shopper_not_per_proxy(proxied_app, conn):
    first, second = shopper_via_proxy(proxied_app, "198.51.100.4"), shopper_via_proxy(proxied_app, "198.51.100.5")
    for shopper, status in [(first, 422), (first, 429), (second, 422)]:
        response = await shopper.request("POST", "/account/register", form={"csrf_token": await shopper.token()})
        assert response.status_code == status


async def test_forwarded_headers_from_anyone_else_change_nothing(proxied_app, conn):
    """A visitor who reaches the shop directly (not through the proxy) and forges the headers is
    still herself, on plain http: no https cookies, no HSTS, and an https Origin is another site."""
    product = await make_product(conn, stock=5)
    forger = Visitor(proxied_app, "192.0.2.9", {"X-Forwarded-For": "10.0.0.2, 198.51.100.4", "X-Forwarded-Proto": "https",
                                                 "X-Forwarded-Host": PUBLIC})
    token = await forger.token()
    assert any(c.startswith("mooncart=") and "Secure" not in c for c in forger.set_cookies)
    response = await forger.request("POST", "/account/login", form={
        "email": "nobody@example.in", "password": "wrong", "csrf_token": token})
    assert response.status_code == 422 and "Strict-Transport-Security" not in response.headers
    assert await fetch_val(conn, "SELECT ip FROM login_failures WHERE email = 'nobody@example.in'") == "192.0.2.9"
    form = {"variant_id": str(product["variants"][0]["id"]), "quantity": "1", "csrf_token": token}
    refused = await forger.request("POST", "/bag/add", form=form, headers={"Origin": f"https://{PUBLIC}"})
    assert refused.status_code == 403
    allowed = await forger.request("POST", "/bag/add", form=form)
    assert allowed.status_code == 303
    assert any(c.startswith("mooncart_bag=") and "Secure" not in c for c in forger.set_cookies)
