"""Every check of a password or a code shares one throttle per account and per address, and the
attempt is counted before it is checked: one at a time, the sixth guess is a 429 without any
hashing; and a burst of 50 guesses sent at once to a real hypercorn shop gets at most the limit
of them checked (before, all 50 read "no failures yet" and were all checked)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets

import aiomysql
import httpx
import pytest

from mooncart.accounts import routes as account_routes
from mooncart.db import execute, fetch_val
from tests.conftest import log_in, post, soup
from tests.factories import enrol_two_step, make_user
from tests.shop_server import Signers, running_shop

LIMIT_PER_ACCOUNT, LIMIT_PER_ADDRESS = 5, 20  # the defaults


def text_of(body: bytes) -> str:
    return " ".join(soup(body).get_text().split())


def refuse_hashing(monkeypatch):
    async def must_not_hash(*args, **kwargs):
        raise AssertionError("hashed a throttled attempt")

    monkeypatch.setattr(account_routes, "verify_password", must_not_hash)


async def test_the_current_password_on_the_password_page_is_throttled_before_hashing(app, conn, monkeypatch):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    for _ in range(LIMIT_PER_ACCOUNT):
        wrong = await post(
            client, "/account/password", form={"current_password": "guess", "new_password": "a-new-long-password"}
        )
        assert wrong.status_code == 422
    refuse_hashing(monkeypatch)
    refused = await post(
        client, "/account/password", form={"current_password": user["password"], "new_password": "a-new-long-password"}
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many unsuccessful log-ins" in text_of(await refused.get_data())
    assert (
        await fetch_val(conn, "SELECT COUNT(*) FROM login_failures WHERE email = %s", (user["email"],))
        == LIMIT_PER_ACCOUNT
    ), "a refused attempt leaves no row behind"


@pytest.mark.parametrize("path", ["/account/two-step/recovery-codes", "/account/two-step/off"])
async def test_codes_on_the_two_step_page_are_throttled(app, conn, path):
    user = await make_user(conn, two_step=True)
    client = app.test_client()
    await log_in(client, user)
    for _ in range(LIMIT_PER_ACCOUNT):
        assert (await post(client, path, form={"code": "000000"})).status_code == 422
    good_code = user["recovery_codes"][0]
    refused = await post(client, path, form={"code": good_code})
    assert refused.status_code == 429 and "Too many unsuccessful" in text_of(await refused.get_data())
    assert await fetch_val(conn, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = %s", (user["id"],)) == 10, (
        "the refused code was not spent"
    )
    assert await fetch_val(conn, "SELECT COUNT(*) FROM two_step_secrets WHERE user_id = %s", (user["id"],)) == 1


async def test_one_counter_per_account_is_shared_by_every_check(app, conn, monkeypatch):
    """Wrong codes on the settings page count against the log-in too (and the other way round)."""
    user = await make_user(conn, two_step=True)
    client = app.test_client()
    await log_in(client, user)
    for _ in range(3):
        await post(client, "/account/two-step/off", form={"code": "000000"})
    stranger = app.test_client()
    for _ in range(2):
        assert (
            await post(stranger, "/account/login", form={"email": user["email"], "password": "guess"})
        ).status_code == 422
    refuse_hashing(monkeypatch)
    assert (
        await post(stranger, "/account/login", form={"email": user["email"], "password": user["password"]})
    ).status_code == 429
    assert (
        await post(client, "/account/two-step/recovery-codes", form={"code": user["recovery_codes"][0]})
    ).status_code == 429


async def test_a_right_answer_clears_the_account_and_a_right_password_before_the_code_is_no_failure(app, conn):
    user = await make_user(conn, two_step=True)
    client = app.test_client()
    for _ in range(2):
        await post(client, "/account/login", form={"email": user["email"], "password": "guess"})
    response = await post(client, "/account/login", form={"email": user["email"], "password": user["password"]})
    assert response.headers["Location"] == "/account/login/code"
    count = "SELECT COUNT(*) FROM login_failures WHERE email = %s"
    assert await fetch_val(conn, count, (user["email"],)) == 2, "the right password is not a failure"
    assert (await post(client, "/account/login/code", form={"code": "000000"})).status_code == 422
    assert await fetch_val(conn, count, (user["email"],)) == 3
    assert (await post(client, "/account/login/code", form={"code": user["recovery_codes"][0]})).status_code == 303
    assert await fetch_val(conn, count, (user["email"],)) == 0


# ---- bursts against a real shop ------------------------------------------------------------------


@pytest.fixture
async def burst_shop(database, tmp_path):
    conn = await aiomysql.connect(**database.connect_kwargs())
    users: list[int] = []
    emails: list[str] = []
    with running_shop(database.url, workers=2, log_path=tmp_path / "shop.log") as (url, _process):
        yield url, conn, users, emails, Signers(database.url)
    # committed rows: the session's other tests count failures per address, so take every one back
    for email in emails:
        await execute(conn, "DELETE FROM login_failures WHERE email = %s", (email,))
    for user_id in users:
        await execute(conn, "DELETE FROM users WHERE id = %s", (user_id,))
    conn.close()


def cookies_for(signers: Signers, csrf: str, auth_token: str | None = None) -> str:
    cookies = {"mooncart": signers.session.dumps({"csrf_token": csrf})}
    if auth_token:
        cookies["mooncart_session"] = signers.auth.dump_token(auth_token, app=signers.app)
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


async def signed_in_cookie(conn, signers: Signers, user: dict, csrf: str) -> str:
    token = secrets.token_urlsafe(32)
    await execute(
        conn,
        "INSERT INTO sessions (token_hash, user_id) VALUES (%s, %s)",
        (hashlib.sha256(token.encode()).hexdigest(), user["id"]),
    )
    return cookies_for(signers, csrf, token)


async def burst(url: str, path: str, forms: list[dict], cookie: str) -> list[int]:
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=len(forms))) as client:
        responses = await asyncio.wait_for(
            asyncio.gather(
                *(client.post(url + path, data=form, headers={"Cookie": cookie}, timeout=120) for form in forms)
            ),
            timeout=180,
        )
    return [r.status_code for r in responses]


async def test_fifty_wrong_passwords_at_once_get_at_most_the_limit_checked(burst_shop):
    url, conn, users, emails, signers = burst_shop
    user = await make_user(conn, email=f"burst.{secrets.token_hex(4)}@example.in")
    users.append(user["id"])
    emails.append(user["email"])
    csrf = secrets.token_urlsafe(32)
    statuses = await burst(
        url,
        "/account/login",
        [{"csrf_token": csrf, "email": user["email"], "password": f"guess-{i}"} for i in range(50)],
        cookies_for(signers, csrf),
    )
    assert set(statuses) <= {422, 429}, statuses
    assert 1 <= statuses.count(422) <= LIMIT_PER_ACCOUNT, statuses
    assert await fetch_val(
        conn, "SELECT COUNT(*) FROM login_failures WHERE email = %s", (user["email"],)
    ) == statuses.count(422)


async def test_fifty_wrong_current_passwords_at_once_get_at_most_the_limit_checked(burst_shop):
    url, conn, users, emails, signers = burst_shop
    user = await make_user(conn, email=f"burst.{secrets.token_hex(4)}@example.in")
    users.append(user["id"])
    emails.append(user["email"])
    csrf = secrets.token_urlsafe(32)
    cookie = await signed_in_cookie(conn, signers, user, csrf)
    statuses = await burst(
        url,
        "/account/password",
        [
            {"csrf_token": csrf, "current_password": f"guess-{i}", "new_password": "a-new-long-password"}
            for i in range(50)
        ],
        cookie,
    )
    assert set(statuses) <= {422, 429}, statuses
    assert 1 <= statuses.count(422) <= LIMIT_PER_ACCOUNT, statuses


@pytest.mark.parametrize("path", ["/account/two-step/off", "/account/two-step/recovery-codes"])
async def test_fifty_wrong_codes_at_once_get_at_most_the_limit_checked(burst_shop, path):
    url, conn, users, emails, signers = burst_shop
    user = await make_user(conn, email=f"burst.{secrets.token_hex(4)}@example.in")
    await enrol_two_step(conn, user)
    users.append(user["id"])
    emails.append(user["email"])
    csrf = secrets.token_urlsafe(32)
    cookie = await signed_in_cookie(conn, signers, user, csrf)
    statuses = await burst(url, path, [{"csrf_token": csrf, "code": f"{i:06d}"} for i in range(50)], cookie)
    assert set(statuses) <= {422, 429}, statuses
    assert 1 <= statuses.count(422) <= LIMIT_PER_ACCOUNT, statuses
    assert await fetch_val(conn, "SELECT COUNT(*) FROM two_step_secrets WHERE user_id = %s", (user["id"],)) == 1


async def test_fifty_accounts_guessed_at_once_from_one_address_get_at_most_its_limit_checked(burst_shop):
    url, conn, users, emails, signers = burst_shop
    csrf = secrets.token_urlsafe(32)
    tag = secrets.token_hex(4)
    forms = [{"csrf_token": csrf, "email": f"burst.{tag}.{i}@example.in", "password": "guess"} for i in range(50)]
    emails.extend(form["email"] for form in forms)
    statuses = await burst(url, "/account/login", forms, cookies_for(signers, csrf))
    assert set(statuses) <= {422, 429}, statuses
    assert 1 <= statuses.count(422) <= LIMIT_PER_ADDRESS, statuses
