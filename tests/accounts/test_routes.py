"""Accounts: registration, log-in with argon2id, revocable sessions, throttling, addresses."""

from __future__ import annotations

import pytest

from mooncart.accounts import routes as account_routes
from mooncart.accounts.passwords import hash_password
from mooncart.db import execute, fetch_all, fetch_one, fetch_val
from tests.conftest import log_in, post, soup
from tests.factories import ADDRESS, make_address, make_product, make_user

GOOD = {"name": "Meera Iyer", "email": "meera@example.in", "mobile": "+91 98450 12345", "password": "monsoon in mumbai"}


async def test_registering_creates_an_account_and_signs_in(client, conn):
    response = await post(client, "/account/register", form=GOOD)
    assert response.status_code == 303
    user = await fetch_one(conn, "SELECT id, mobile, password_hash FROM users WHERE email = %s", (GOOD["email"],))
    assert user["mobile"] == "9845012345"
    assert user["password_hash"].startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    page = soup(await (await client.get("/")).get_data())
    assert "Hi, Meera" in page.get_text()
    cookie = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("mooncart_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie and "Secure" not in session_cookie


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("password", "short", "at least 8 characters"),
        ("password", "password123", "most common"),
        ("password", "Qwerty123", "most common"),
        ("password", "meera@example.in", "email address or name"),
        ("email", "meera@", "email address like"),
        ("email", "<script>@x.in", "email address like"),
        ("mobile", "12345", "10-digit Indian mobile"),
        ("mobile", "5876543210", "10-digit Indian mobile"),
        ("name", " ", "your name"),
    ],
)
async def test_bad_registrations_are_refused_field_by_field(client, conn, field, value, message):
    response = await post(client, "/account/register", form=dict(GOOD, **{field: value}))
    assert response.status_code == 422
    html = soup(await response.get_data())
    assert message in html.find(id=f"f-{field}-error").get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM users WHERE email = %s", (GOOD["email"],)) == 0
    assert "<script>" not in (await response.get_data(as_text=True)).replace("&lt;script&gt;", "")


async def test_an_email_can_register_only_once(client, conn):
    await make_user(conn, email=GOOD["email"])
    response = await post(client, "/account/register", form=GOOD)
    assert response.status_code == 422
    assert "already an account" in soup(await response.get_data()).get_text()


async def test_log_in_starts_a_new_session_each_time(app, conn):
    user = await make_user(conn)
    tokens = set()
    for _ in range(2):
        client = app.test_client()
        response = await log_in(client, user)
        assert response.status_code == 303
        tokens.add(next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("mooncart_session=")))
    assert len(tokens) == 2
    assert await fetch_val(conn, "SELECT COUNT(*) FROM sessions WHERE user_id = %s", (user["id"],)) == 2


async def test_unknown_email_and_wrong_password_get_the_same_message(client, conn):
    user = await make_user(conn)
    wrong = await log_in(client, user, password="not my password")
    unknown = await log_in(client, dict(user, email="nobody@example.in"))
    assert wrong.status_code == unknown.status_code == 422
    messages = [soup(await r.get_data()).find(class_="error").get_text() for r in (wrong, unknown)]
    assert messages[0] == messages[1] and "don't match" in messages[0]


async def test_a_copied_cookie_is_refused_after_log_out(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    stolen = next(c for c in client.cookie_jar if c.name == "mooncart_session").value
    assert (await client.get("/account")).status_code == 200
    await post(client, "/account/logout")
    thief = app.test_client()
    thief.set_cookie("localhost", "mooncart_session", stolen)
    response = await thief.get("/account")
    assert response.status_code == 303 and "/account/login" in response.headers["Location"]


async def test_idle_and_absolute_timeouts_end_a_session(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    await execute(
        conn, "UPDATE sessions SET last_seen_at = NOW(6) - INTERVAL 31 MINUTE WHERE user_id = %s", (user["id"],)
    )
    assert (await client.get("/account")).status_code == 303
    client = app.test_client()
    await log_in(client, user)
    await execute(
        conn,
        "UPDATE sessions SET created_at = NOW(6) - INTERVAL 13 HOUR WHERE user_id = %s AND revoked_at IS NULL",
        (user["id"],),
    )
    assert (await client.get("/account")).status_code == 303


async def test_the_hash_is_upgraded_when_the_parameters_change(client, conn):
    weak = await hash_password("kurti-season-2026", (1, 8 * 1024, 1))
    user = await make_user(conn, password_hash=weak)
    assert (await log_in(client, user)).status_code == 303
    stored = await fetch_val(conn, "SELECT password_hash FROM users WHERE id = %s", (user["id"],))
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_failed_log_ins_are_throttled_per_account_before_any_hashing(client, conn, monkeypatch):
    user = await make_user(conn)
    for _ in range(5):
        assert (await log_in(client, user, password="guess")).status_code == 422

    async def must_not_hash(*args, **kwargs):
        raise AssertionError("hashed a throttled attempt")

    monkeypatch.setattr(account_routes, "verify_password", must_not_hash)
    response = await log_in(client, user)  # even the right password waits
    assert response.status_code == 429
    assert "Too many unsuccessful log-ins" in soup(await response.get_data()).get_text()
    assert int(response.headers["Retry-After"]) > 0


async def test_failed_log_ins_are_throttled_per_address(client, conn):
    user = await make_user(conn)
    await log_in(client, dict(user, email="victim@example.in"), password="guess")
    ip = await fetch_val(conn, "SELECT ip FROM login_failures WHERE email = 'victim@example.in'")
    await execute(
        conn,
        "INSERT INTO login_failures (email, ip) VALUES " + ", ".join(["(%s, %s)"] * 19),
        [x for i in range(19) for x in (f"victim{i}@example.in", ip)],
    )
    assert (await log_in(client, user)).status_code == 429


async def test_a_guest_bag_merges_into_the_account_bag_capped_at_stock(app, conn):
    product = await make_product(conn, variants=[("M", "Teal", 3), ("L", "Teal", 5)])
    medium, large = product["variants"]
    user = await make_user(conn)
    # the account already holds 2 mediums from an earlier visit
    earlier = app.test_client()
    await log_in(earlier, user)
    await post(earlier, "/bag/add", form={"variant_id": str(medium["id"]), "quantity": "2"})
    # as a guest on another device: 2 more mediums (only 3 exist) and 1 large
    guest = app.test_client()
    await post(guest, "/bag/add", form={"variant_id": str(medium["id"]), "quantity": "2"})
    await post(guest, "/bag/add", form={"variant_id": str(large["id"]), "quantity": "1"})
    assert (await log_in(guest, user)).status_code == 303
    page = soup(await (await guest.get("/bag")).get_data())
    text = page.get_text()
    assert "only 3 can be in your bag" in text and "We added 2 items" in text
    lines = {
        r["variant_id"]: r["quantity"]
        for r in await fetch_all(
            conn,
            "SELECT ci.variant_id, ci.quantity FROM cart_items ci JOIN carts c ON c.id = ci.cart_id "
            "WHERE c.user_id = %s",
            (user["id"],),
        )
    }
    assert lines == {medium["id"]: 3, large["id"]: 1}
    assert (
        await fetch_val(
            conn,
            "SELECT COUNT(*) FROM carts WHERE user_id IS NULL AND id IN "
            "(SELECT cart_id FROM cart_items WHERE variant_id = %s)",
            (large["id"],),
        )
        == 0
    )


async def test_log_out_keeps_the_bag_with_the_account(app, conn):
    product = await make_product(conn, stock=5)
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    await post(client, "/bag/add", form={"variant_id": str(product["variants"][0]["id"]), "quantity": "1"})
    await post(client, "/account/logout")
    client._csrf = None
    assert soup(await (await client.get("/bag")).get_data()).find(id="bag-count").get_text() == "0"
    await log_in(client, user)
    assert soup(await (await client.get("/bag")).get_data()).find(id="bag-count").get_text() == "1"


async def test_account_pages_need_a_log_in(client):
    for path in ("/account", "/account/addresses", "/orders", "/checkout"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["Location"].startswith("/account/login?next=")


async def test_log_in_returns_only_to_paths_on_this_site(client, conn):
    user = await make_user(conn)
    for target, expected in [("/orders", "/orders"), ("//evil.example/x", "/"), ("https://evil.example", "/")]:
        client._csrf = None
        response = await post(
            client, f"/account/login?next={target}", form={"email": user["email"], "password": user["password"]}
        )
        assert response.headers["Location"] == expected


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("pin_code", "56003", "6 digits"),
        ("pin_code", "060038", "6 digits"),
        ("mobile", "98765", "10-digit"),
        ("state", "Atlantis", "state or union territory"),
        ("line1", "", "house number"),
    ],
)
async def test_addresses_are_checked_in_indian_formats(app, conn, field, value, message):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    response = await post(client, "/account/addresses", form=dict(ADDRESS, **{field: value}))
    assert response.status_code == 422
    assert message in soup(await response.get_data()).find(id=f"f-{field}-error").get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM addresses WHERE user_id = %s", (user["id"],)) == 0


async def test_saving_and_removing_an_address(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    response = await post(client, "/account/addresses", form=dict(ADDRESS, pin_code="560 038", mobile="098765 43210"))
    assert response.status_code == 303
    row = await fetch_one(conn, "SELECT id, pin_code, mobile FROM addresses WHERE user_id = %s", (user["id"],))
    assert (row["pin_code"], row["mobile"]) == ("560038", "9876543210")
    await post(client, f"/account/addresses/{row['id']}/delete")
    assert await fetch_val(conn, "SELECT COUNT(*) FROM addresses WHERE user_id = %s", (user["id"],)) == 0


async def test_another_shoppers_address_cannot_be_removed(app, conn):
    owner, other = await make_user(conn), await make_user(conn)
    address_id = await make_address(conn, owner["id"])
    client = app.test_client()
    await log_in(client, other)
    await post(client, f"/account/addresses/{address_id}/delete")
    assert await fetch_val(conn, "SELECT COUNT(*) FROM addresses WHERE id = %s", (address_id,)) == 1


async def test_over_https_the_session_cookie_is_secure_and_host_prefixed(client, conn):
    user = await make_user(conn)
    page = soup(await (await client.get("/account/login", scheme="https")).get_data())
    token = page.find("meta", attrs={"name": "csrf-token"})["content"]
    response = await client.post(
        "/account/login",
        scheme="https",
        form={"email": user["email"], "password": user["password"], "csrf_token": token},
    )
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-mooncart_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    flash_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-mooncart="))
    assert "Secure" in flash_cookie and "HttpOnly" in flash_cookie and "Path=/" in flash_cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_over_https_the_bag_cookie_is_secure_too(client, conn):
    # Wapiti, scanning over plain http, reported mooncart_bag without Secure: over https it has it
    product = await make_product(conn, stock=3)
    page = soup(await (await client.get("/bag", scheme="https")).get_data())
    token = page.find("meta", attrs={"name": "csrf-token"})["content"]
    response = await client.post(
        "/bag/add",
        scheme="https",
        form={"variant_id": str(product["variants"][0]["id"]), "quantity": "1", "csrf_token": token},
    )
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-mooncart_bag="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


async def test_private_pages_are_not_cached(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    assert (await client.get("/bag")).headers["Cache-Control"] == "no-store"
    await log_in(client, user)
    assert (await client.get("/account")).headers["Cache-Control"] == "no-store"
    assert (await client.get("/")).headers["Cache-Control"] == "no-store"  # it greets her by name
    assert "Cache-Control" not in (await app.test_client().get("/")).headers
