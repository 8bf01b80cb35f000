"""Every state-changing route refuses a missing or wrong CSRF token and cross-site requests."""

from __future__ import annotations


from mooncart.db import fetch_val
from tests.conftest import HTMX, csrf, soup
from tests.factories import make_product


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
