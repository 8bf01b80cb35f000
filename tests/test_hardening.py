"""Hardening: revocable sessions (password change, staff), rate limits, structured logs that
cannot be forged, CSP nonces, request ids, and reviews."""

from __future__ import annotations

import io
import json
import logging

import pytest

from mooncart import create_app
from mooncart.logs import JsonLines, RequestContext
from mooncart.db import fetch_val
from tests.conftest import database_url, log_in, post, soup
from tests.factories import make_delivered_order, make_product, make_user


async def test_changing_the_password_ends_every_other_session(app, conn):
    user = await make_user(conn)
    phone, laptop = app.test_client(), app.test_client()
    await log_in(phone, user)
    await log_in(laptop, user)
    wrong = await post(laptop, "/account/password", form={"current_password": "nope", "new_password": "a new monsoon"})
    assert wrong.status_code == 422 and "not your current password" in soup(await wrong.get_data()).get_text()
    weak = await post(laptop, "/account/password", form={"current_password": user["password"], "new_password": "123456"})
    assert weak.status_code == 422
    done = await post(laptop, "/account/password", form={"current_password": user["password"],
                                                          "new_password": "a new monsoon"})
    assert done.status_code == 303
    assert (await laptop.get("/account")).status_code == 200, "this session stays"
    assert (await phone.get("/account")).status_code == 303, "the other one is over"
    assert (await log_in(app.test_client(), user, password="a new monsoon")).status_code == 303


async def test_staff_can_sign_a_customer_out_everywhere(app, conn):
    customer, staff_user = await make_user(conn), await make_user(conn, is_staff=True)
    shopper, staff = app.test_client(), app.test_client()
    await log_in(shopper, customer)
    await log_in(staff, staff_user)
    response = await post(staff, f"/admin/customers/{customer['id']}/sign-out")
    assert response.status_code == 303
    assert (await shopper.get("/account")).status_code == 303


async def test_reviews_are_posted_checked_and_escaped(app, conn):
    product = await make_product(conn)
    user = await make_user(conn, name="Nisha Verma")
    client = app.test_client()
    anonymous = await post(app.test_client(), f"/products/{product['slug']}/reviews", form={"rating": "5", "body": "x"})
    assert anonymous.status_code == 303 and "/account/login" in anonymous.headers["Location"]
    await make_delivered_order(conn, user, product)  # only a shopper who received it may review it
    await log_in(client, user)
    bad = await post(client, f"/products/{product['slug']}/reviews", form={"rating": "6", "body": "short"})
    assert bad.status_code == 422
    text = soup(await bad.get_data()).get_text()
    assert "1 to 5 stars" in text and "at least 10 characters" in text
    good = await post(client, f"/products/{product['slug']}/reviews",
                      form={"rating": "4", "title": "<b>Lovely</b>", "body": "Fits true to size <script>alert(1)</script>"})
    assert good.status_code == 303
    page = await (await client.get(product["url"])).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Nisha," in soup(page).select_one(".review .reviewer").get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM reviews WHERE product_id = %s", (product["id"],)) == 1


async def test_review_posting_is_rate_limited_per_account(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    statuses = []
    for _ in range(6):
        product = await make_product(conn)
        await make_delivered_order(conn, user, product)
        response = await post(client, f"/products/{product['slug']}/reviews",
                              form={"rating": "5", "body": "Beautiful colour, soft fabric."})
        statuses.append(response.status_code)
    assert statuses == [303] * 5 + [429]
    assert "try again later" in soup(await response.get_data()).get_text()
    assert int(response.headers["Retry-After"]) > 0


async def test_registration_is_rate_limited_per_address(database, conn):
    app = create_app({"SECRET_KEY": "t", "DATABASE_URL": database_url(database), "DB_CONNECTION": conn,
                      "REGISTRATIONS_PER_HOUR": 2, "REFERENCE_CACHE_SECONDS": 0})
    async with app.test_app() as test_app:
        statuses = []
        for i in range(3):
            client = test_app.test_client()
            response = await post(client, "/account/register", form={
                "name": "Rate Test", "email": f"rate{i}@example.in", "mobile": "9876543210",
                "password": "pick a long phrase"})
            statuses.append(response.status_code)
        assert statuses == [303, 303, 429]
        assert (await test_app.test_client().get("/account/register")).status_code == 200, "viewing is free"


async def test_log_lines_are_json_in_utc_and_cannot_be_forged(app, conn):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(RequestContext())
    logger = logging.getLogger("mooncart")
    logger.addHandler(handler)
    try:
        user = await make_user(conn)
        forged = 'x@example.in\n{"level": "INFO", "event": "login ok", "user": 1}'
        client = app.test_client()
        await post(client, "/account/login", form={"email": forged, "password": "wrong"},
                   headers={"X-Request-ID": "req-12345678"})
        await log_in(client, user)
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failed = next(l for l in lines if l["event"] == "login failed")
    assert failed["email"].startswith("x@example.in\n") and failed["request_id"] == "req-12345678"
    assert failed["time"].endswith("+00:00") and failed["ip"] and failed["path"] == "/account/login"
    ok = [l for l in lines if l["event"] == "login ok"]
    assert len(ok) == 1 and ok[0]["user"] == user["id"], "the forged line is inside a value, not a line"


async def test_csp_nonce_is_fresh_per_response_and_on_our_scripts(client):
    first, second = await client.get("/"), await client.get("/")
    nonces = []
    for response in (first, second):
        csp = response.headers["Content-Security-Policy"]
        nonce = csp.split("'nonce-")[1].split("'")[0]
        assert all(tag["nonce"] == nonce for tag in soup(await response.get_data()).find_all("script"))
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "unsafe" not in csp
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/bag"])
async def test_headers_on_pages_errors_and_fragments(client, path):
    for headers in (None, {"HX-Request": "true"}):
        response = await client.get(path, headers=headers)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
