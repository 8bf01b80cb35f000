"""Every state-changing route refuses a missing or wrong CSRF token and cross-site requests."""

from __future__ import annotations

import pytest

from mooncart import create_app
from mooncart.db import fetch_val
from tests.conftest import HTMX, Visitor, csrf, database_url, soup
from tests.factories import make_product, make_user


def state_changing_urls(app, signed_by_sender: bool = False) -> list[str]:
    """Every POST route of the app, with its URL parameters filled in: those a browser sends
    (CSRF-protected), or those another server sends with its own signature (the gateway's webhooks)."""
    urls = []
    for rule in app.app.url_map.iter_rules():
        view = app.app.view_functions[rule.endpoint]
        if "POST" in rule.methods and getattr(view, "signed_by_sender", False) == signed_by_sender:
            urls.append(rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1])
    assert urls, "the app has state-changing routes"
    return urls


async def test_every_post_route_refuses_a_missing_or_wrong_token(app, client, conn):
    product = await make_product(conn, stock=5)
    token = await csrf(client)
    for url in state_changing_urls(app):
        for form, headers in [
            ({}, None),
            ({"csrf_token": "forged"}, None),
            ({}, {"X-CSRF-Token": "forged"}),
            ({"csrf_token": token[:-1]}, HTMX),
            ({"csrf_token": token + "¿'\"("}, None),
            ({"csrf_token": "टोकन"}, HTMX),
        ]:
            form = dict(form, variant_id=str(product["variants"][0]["id"]), quantity="1")
            response = await client.post(url, form=form, headers=headers)
            assert response.status_code == 403, url
            assert "nothing was changed" in soup(await response.get_data()).get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_items") == 0


async def test_routes_for_other_servers_refuse_anything_without_their_signature(app, client, conn):
    urls = state_changing_urls(app, signed_by_sender=True)
    assert urls == ["/payments/webhook"]
    events = await fetch_val(conn, "SELECT COUNT(*) FROM payment_events")
    for url in urls:
        for headers in [None, {"X-Razorpay-Signature": "forged"}, {"X-Razorpay-Signature": "टोकन"}]:
            response = await client.post(url, data=b'{"event": "payment.captured"}', headers=headers)
            assert response.status_code == 400, (url, headers)
    assert await fetch_val(conn, "SELECT COUNT(*) FROM payment_events") == events


async def test_every_post_route_refuses_cross_site_requests_even_with_a_token(app, client, conn):
    product = await make_product(conn, stock=5)
    token = await csrf(client)
    for url in state_changing_urls(app):
        for headers in [
            {"Origin": "https://evil.example"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
            {"Origin": "http://localhost:1"},
        ]:
            response = await client.post(
                url,
                headers=headers,
                form={"csrf_token": token, "variant_id": str(product["variants"][0]["id"]), "quantity": "1"},
            )
            assert response.status_code == 403, (url, headers)
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_items") == 0


async def test_the_token_works_as_an_htmx_header_and_same_origin_passes(client, conn):
    product = await make_product(conn, stock=5)
    token = await csrf(client)
    response = await client.post(
        "/bag/add",
        form={"variant_id": str(product["variants"][0]["id"]), "quantity": "1"},
        headers=dict(HTMX, **{"X-CSRF-Token": token, "Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}),
    )
    assert response.status_code == 200


# Behind a TLS-terminating proxy (README, "Production"): the proxy at 10.0.0.2 is trusted, so its
# X-Forwarded-* headers say who the shopper is and that she came over https. Cookies are handled
# by hand here: Quart's test client would judge Secure cookies by its own (http) scheme.

PROXY = "10.0.0.2"
PUBLIC = "shop.example.com"


@pytest.fixture
async def proxied_app(database, conn):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url(database),
            "DB_CONNECTION": conn,
            "REFERENCE_CACHE_SECONDS": 0,
            "TRUSTED_PROXIES": f"{PROXY}, 2001:db8::/64",
            "REGISTRATIONS_PER_HOUR": 1,
        }
    )
    async with app.test_app() as test_app:
        yield test_app


def shopper_via_proxy(app, address: str) -> Visitor:
    return Visitor(
        app,
        PROXY,
        {"Host": PUBLIC, "X-Forwarded-For": address, "X-Forwarded-Proto": "https", "X-Forwarded-Host": PUBLIC},
    )


async def test_behind_a_trusted_proxy_a_browser_post_from_the_public_https_origin_passes(proxied_app, conn):
    product = await make_product(conn, stock=5)
    shopper = shopper_via_proxy(proxied_app, "198.51.100.4")
    token = await shopper.token()
    response = await shopper.request(
        "POST",
        "/bag/add",
        form={"variant_id": str(product["variants"][0]["id"]), "quantity": "1", "csrf_token": token},
        headers={"Origin": f"https://{PUBLIC}", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 303
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    bag_cookie = next(c for c in shopper.set_cookies if c.startswith("__Host-mooncart_bag="))
    assert "Secure" in bag_cookie and "Path=/" in bag_cookie and "Domain" not in bag_cookie
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_items") == 1
    # and the next page finds the bag by its __Host- cookie
    assert soup(await (await shopper.request("GET", "/bag")).get_data()).find(id="bag-count").get_text().strip() == "1"


async def test_behind_a_trusted_proxy_the_session_and_flash_cookies_are_secure_and_host_prefixed(proxied_app, conn):
    user = await make_user(conn)
    shopper = shopper_via_proxy(proxied_app, "198.51.100.4")
    token = await shopper.token()
    assert any(c.startswith("__Host-mooncart=") and "Secure" in c for c in shopper.set_cookies)
    response = await shopper.request(
        "POST",
        "/account/login",
        form={"email": user["email"], "password": user["password"], "csrf_token": token},
        headers={"Origin": f"https://{PUBLIC}"},
    )
    assert response.status_code == 303
    session_cookie = next(c for c in shopper.set_cookies if c.startswith("__Host-mooncart_session="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "Path=/" in session_cookie
    assert await fetch_val(conn, "SELECT ip FROM sessions WHERE user_id = %s", (user["id"],)) == "198.51.100.4"
    assert "Asha" in soup(await (await shopper.request("GET", "/account")).get_data()).get_text()


async def test_behind_a_trusted_proxy_failed_log_ins_count_against_the_shopper_not_the_proxy(proxied_app, conn):
    attacker = shopper_via_proxy(proxied_app, "2001:db8:1::66")
    token = await attacker.token()
    response = await attacker.request(
        "POST", "/account/login", form={"email": "nobody@example.in", "password": "wrong", "csrf_token": token}
    )
    assert response.status_code == 422
    # counted against her connection's /64 (she could rotate through 2^64 addresses)
    assert await fetch_val(conn, "SELECT ip FROM login_failures WHERE email = 'nobody@example.in'") == "2001:db8:1::/64"


async def test_failed_log_ins_rotating_through_one_ipv6_64_are_throttled_together(proxied_app, conn):
    """23 guesses at 23 different accounts, each from a new address of one /64: the address limit
    (20) is reached all the same."""
    statuses = []
    for n in range(1, 24):
        attacker = shopper_via_proxy(proxied_app, f"2001:db8:9:9::{n:x}")
        response = await attacker.request(
            "POST",
            "/account/login",
            form={"email": f"guess{n}@example.in", "password": "wrong", "csrf_token": await attacker.token()},
        )
        statuses.append(response.status_code)
    assert statuses[:20] == [422] * 20 and statuses[20:] == [429] * 3
    # a neighbour on another /64 is not punished for it
    neighbour = shopper_via_proxy(proxied_app, "2001:db8:9:a::1")
    response = await neighbour.request(
        "POST",
        "/account/login",
        form={"email": "guess1@example.in", "password": "wrong", "csrf_token": await neighbour.token()},
    )
    assert response.status_code == 422


async def test_an_ipv4_mapped_address_counts_as_its_ipv4_address(proxied_app, conn):
    await shopper_via_proxy(proxied_app, "::ffff:198.51.100.7").request("GET", "/bag")
    attacker = shopper_via_proxy(proxied_app, "::ffff:198.51.100.7")
    await attacker.request(
        "POST",
        "/account/login",
        form={"email": "nobody@example.in", "password": "wrong", "csrf_token": await attacker.token()},
    )
    assert await fetch_val(conn, "SELECT ip FROM login_failures WHERE email = 'nobody@example.in'") == "198.51.100.7"


async def test_behind_a_trusted_proxy_sign_ups_are_limited_per_shopper_not_per_proxy(proxied_app, conn):
    first, second = shopper_via_proxy(proxied_app, "198.51.100.4"), shopper_via_proxy(proxied_app, "198.51.100.5")
    for shopper, status in [(first, 422), (first, 429), (second, 422)]:
        response = await shopper.request("POST", "/account/register", form={"csrf_token": await shopper.token()})
        assert response.status_code == status


async def test_sign_ups_rotating_through_one_ipv6_64_share_one_limit(proxied_app, conn):
    first, second = shopper_via_proxy(proxied_app, "2001:db8:7:7::1"), shopper_via_proxy(proxied_app, "2001:db8:7:7::2")
    other_network = shopper_via_proxy(proxied_app, "2001:db8:7:8::1")
    for shopper, status in [(first, 422), (second, 429), (other_network, 422)]:
        response = await shopper.request("POST", "/account/register", form={"csrf_token": await shopper.token()})
        assert response.status_code == status


async def test_the_session_keeps_the_full_ipv6_address(proxied_app, conn):
    user = await make_user(conn)
    shopper = shopper_via_proxy(proxied_app, "2001:db8:5:5::abcd")
    response = await shopper.request(
        "POST",
        "/account/login",
        form={"email": user["email"], "password": user["password"], "csrf_token": await shopper.token()},
    )
    assert response.status_code == 303
    assert await fetch_val(conn, "SELECT ip FROM sessions WHERE user_id = %s", (user["id"],)) == "2001:db8:5:5::abcd"


async def test_forwarded_headers_from_anyone_else_change_nothing(proxied_app, conn):
    """A visitor who reaches the shop directly (not through the proxy) and forges the headers is
    still herself, on plain http: no https cookies, no HSTS, and an https Origin is another site."""
    product = await make_product(conn, stock=5)
    forger = Visitor(
        proxied_app,
        "192.0.2.9",
        {"X-Forwarded-For": "10.0.0.2, 198.51.100.4", "X-Forwarded-Proto": "https", "X-Forwarded-Host": PUBLIC},
    )
    token = await forger.token()
    assert any(c.startswith("mooncart=") and "Secure" not in c for c in forger.set_cookies)
    response = await forger.request(
        "POST", "/account/login", form={"email": "nobody@example.in", "password": "wrong", "csrf_token": token}
    )
    assert response.status_code == 422 and "Strict-Transport-Security" not in response.headers
    assert await fetch_val(conn, "SELECT ip FROM login_failures WHERE email = 'nobody@example.in'") == "192.0.2.9"
    form = {"variant_id": str(product["variants"][0]["id"]), "quantity": "1", "csrf_token": token}
    refused = await forger.request("POST", "/bag/add", form=form, headers={"Origin": f"https://{PUBLIC}"})
    assert refused.status_code == 403
    allowed = await forger.request("POST", "/bag/add", form=form)
    assert allowed.status_code == 303
    assert any(c.startswith("mooncart_bag=") and "Secure" not in c for c in forger.set_cookies)
