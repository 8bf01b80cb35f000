"""Two-step sign-in: setting it up, logging in with a code or a recovery code, codes that work
once, throttled guessing, and staff who must have it to open the back office."""

from __future__ import annotations

import time

import pyotp
import pytest

from mooncart import create_app
from mooncart.accounts import two_step
from mooncart.db import fetch_val
from tests.conftest import database_url, log_in, post, soup
from tests.factories import enrol_two_step, make_user, next_code


def text_of(body: bytes) -> str:
    return " ".join(soup(body).get_text().split())


async def test_setting_it_up_shows_a_qr_code_needs_a_right_code_and_ends_other_sessions(app, conn):
    user = await make_user(conn)
    client, other_phone = app.test_client(), app.test_client()
    await log_in(client, user)
    await log_in(other_phone, user)
    page = await client.get("/account/two-step")
    assert "Off." in text_of(await page.get_data())

    assert (await post(client, "/account/two-step/start")).status_code == 303
    page = soup(await (await client.get("/account/two-step")).get_data())
    assert page.select_one(".qr-code svg[role=img]") is not None
    secret = page.select_one("[data-secret]").get_text().replace(" ", "")
    assert secret == await fetch_val(conn, "SELECT secret FROM two_step_secrets WHERE user_id = %s", (user["id"],))

    wrong = await post(client, "/account/two-step/confirm", form={"code": "000000"})
    assert wrong.status_code == 422 and "doesn't match" in text_of(await wrong.get_data())
    assert not await fetch_val(conn, "SELECT confirmed_at FROM two_step_secrets WHERE user_id = %s", (user["id"],))

    right = await post(client, "/account/two-step/confirm", form={"code": pyotp.TOTP(secret).now()})
    assert right.status_code == 200
    codes = [c.get_text() for c in soup(await right.get_data()).select(".recovery-codes code")]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert await fetch_val(conn, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = %s", (user["id"],)) == 10
    assert (await client.get("/account")).status_code == 200
    assert (await other_phone.get("/account")).status_code == 303, "the password-only session ended"
    assert "Two-step sign-in (on)" in text_of(await (await client.get("/account")).get_data())


async def test_a_second_start_while_on_does_not_replace_the_secret(app, conn):
    user = await make_user(conn, two_step=True)
    client = app.test_client()
    await log_in(client, user)
    await post(client, "/account/two-step/start")
    assert (
        await fetch_val(conn, "SELECT secret FROM two_step_secrets WHERE user_id = %s", (user["id"],))
        == user["two_step_secret"]
    )


async def test_log_in_needs_the_code_after_the_password(app, conn):
    user = await make_user(conn, two_step=True)
    client = app.test_client()
    response = await post(client, "/account/login", form={"email": user["email"], "password": user["password"]})
    assert response.status_code == 303 and response.headers["Location"] == "/account/login/code"
    assert (await client.get("/account")).status_code == 303, "not signed in by the password alone"
    assert await fetch_val(conn, "SELECT COUNT(*) FROM sessions WHERE user_id = %s", (user["id"],)) == 0

    wrong = await post(client, "/account/login/code", form={"code": "123 456"})
    assert wrong.status_code == 422 and "didn't work" in text_of(await wrong.get_data())
    right = await post(client, "/account/login/code", form={"code": next_code(user)})
    assert right.status_code == 303
    assert (await client.get("/account")).status_code == 200
    # the right code clears the failures the wrong one left
    assert await fetch_val(conn, "SELECT COUNT(*) FROM login_failures WHERE email = %s", (user["email"],)) == 0


async def test_a_code_works_once(app, conn):
    user = await make_user(conn, two_step=True)
    code = next_code(user)
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        await post(client, "/account/login", form={"email": user["email"], "password": user["password"]})
    assert (await post(first, "/account/login/code", form={"code": code})).status_code == 303
    replay = await post(second, "/account/login/code", form={"code": code})
    assert replay.status_code == 422


async def test_an_older_code_is_refused_once_a_newer_one_was_used(app, conn):
    user = await make_user(conn, two_step=True)
    totp = pyotp.TOTP(user["two_step_secret"])
    now = totp.timecode(time.time())
    client = app.test_client()
    await post(client, "/account/login", form={"email": user["email"], "password": user["password"]})
    assert (await post(client, "/account/login/code", form={"code": totp.generate_otp(now)})).status_code == 303
    late = app.test_client()
    await post(late, "/account/login", form={"email": user["email"], "password": user["password"]})
    assert (await post(late, "/account/login/code", form={"code": totp.generate_otp(now - 1)})).status_code == 422


async def test_a_recovery_code_works_once_and_says_how_many_are_left(app, conn):
    user = await make_user(conn, two_step=True)
    code = user["recovery_codes"][0]
    client = app.test_client()
    await post(client, "/account/login", form={"email": user["email"], "password": user["password"]})
    response = await post(client, "/account/login/code", form={"code": code.upper().replace("-", " ")})
    assert response.status_code == 303
    assert "9 are left" in text_of(await (await client.get(response.headers["Location"])).get_data())
    again = app.test_client()
    await post(again, "/account/login", form={"email": user["email"], "password": user["password"]})
    assert (await post(again, "/account/login/code", form={"code": code})).status_code == 422


async def test_guessing_codes_is_throttled_like_passwords(app, conn):
    user = await make_user(conn, two_step=True)
    client = app.test_client()
    await post(client, "/account/login", form={"email": user["email"], "password": user["password"]})
    for guess in range(5):
        assert (await post(client, "/account/login/code", form={"code": f"{guess:06d}"})).status_code == 422
    response = await post(client, "/account/login/code", form={"code": next_code(user)})
    assert response.status_code == 429 and "Too many unsuccessful" in text_of(await response.get_data())
    # and a fresh log-in with the password does not reset the count
    fresh = app.test_client()
    assert (
        await post(fresh, "/account/login", form={"email": user["email"], "password": user["password"]})
    ).status_code == 429


async def test_the_code_must_follow_the_password_within_five_minutes(app, conn):
    user = await make_user(conn, two_step=True)
    client = app.test_client()
    await post(client, "/account/login", form={"email": user["email"], "password": user["password"]})
    async with client.session_transaction() as session:
        session["two_step_login"] = dict(session["two_step_login"], at=int(time.time()) - 301)
    response = await post(client, "/account/login/code", form={"code": next_code(user)})
    assert response.status_code == 303 and response.headers["Location"] == "/account/login"
    assert (await client.get("/account")).status_code == 303


async def test_new_recovery_codes_replace_the_old_ones(app, conn):
    user = await make_user(conn, two_step=True)
    client = app.test_client()
    await log_in(client, user)
    response = await post(client, "/account/two-step/recovery-codes", form={"code": next_code(user)})
    new_codes = [c.get_text() for c in soup(await response.get_data()).select(".recovery-codes code")]
    assert response.status_code == 200 and len(new_codes) == 10
    old, new = user["recovery_codes"][0], new_codes[0]
    assert not await fetch_val(
        conn, "SELECT COUNT(*) FROM recovery_codes WHERE code_hash = %s", (two_step.recovery_code_hash(old),)
    )
    assert (
        await fetch_val(
            conn, "SELECT COUNT(*) FROM recovery_codes WHERE code_hash = %s", (two_step.recovery_code_hash(new),)
        )
        == 1
    )


async def test_turning_it_off_needs_a_code(app, conn):
    user = await make_user(conn, two_step=True)
    client = app.test_client()
    await log_in(client, user)
    assert (await post(client, "/account/two-step/off", form={"code": "000000"})).status_code == 422
    assert await fetch_val(conn, "SELECT COUNT(*) FROM two_step_secrets WHERE user_id = %s", (user["id"],)) == 1
    assert (await post(client, "/account/two-step/off", form={"code": next_code(user)})).status_code == 303
    assert await fetch_val(conn, "SELECT COUNT(*) FROM two_step_secrets WHERE user_id = %s", (user["id"],)) == 0
    assert await fetch_val(conn, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = %s", (user["id"],)) == 0
    response = await post(
        app.test_client(), "/account/login", form={"email": user["email"], "password": user["password"]}
    )
    assert response.headers["Location"] != "/account/login/code"


async def test_staff_must_have_it_to_open_the_back_office(app, conn):
    staff = await make_user(conn, is_staff=True, two_step=False)
    client = app.test_client()
    await log_in(client, staff)
    response = await client.get("/admin")
    assert response.status_code == 303 and response.headers["Location"] == "/account/two-step"
    assert "needs two-step sign-in" in text_of(await (await client.get("/account/two-step")).get_data())

    await enrol_two_step(conn, staff)
    assert (await client.get("/admin")).status_code == 200
    # lost phone: off with a recovery code, and the back office is closed again until it is set up anew
    assert (await post(client, "/account/two-step/off", form={"code": staff["recovery_codes"][0]})).status_code == 303
    assert "before you open the back office" in text_of(await (await client.get("/account/two-step")).get_data())
    response = await client.get("/admin/orders")
    assert response.status_code == 303 and response.headers["Location"] == "/account/two-step"


async def test_a_shop_can_make_it_optional_for_staff(database, conn):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url(database),
            "DB_CONNECTION": conn,
            "STAFF_TWO_STEP": "optional",
        }
    )
    async with app.test_app() as test_app:
        staff = await make_user(conn, is_staff=True, two_step=False)
        client = test_app.test_client()
        await log_in(client, staff)
        assert (await client.get("/admin")).status_code == 200


def test_an_unknown_staff_two_step_setting_is_refused():
    with pytest.raises(ValueError, match="MOONCART_STAFF_TWO_STEP"):
        create_app({"SECRET_KEY": "x", "STAFF_TWO_STEP": "sometimes"})


@pytest.mark.parametrize("offset, accepted", [(-60, False), (-30, True), (0, True), (30, True), (60, False)])
def test_codes_from_the_neighbouring_steps_are_accepted_for_clock_drift(offset, accepted):
    secret = two_step.new_secret()
    now = time.time()
    code = pyotp.TOTP(secret).at(now + offset)
    assert (two_step.matching_step(secret, code, now) is not None) is accepted


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5", "١٢٣٤٥٦"])
def test_malformed_codes_never_match(typed):
    assert two_step.matching_step(two_step.new_secret(), two_step.clean_code(typed)) is None
