"""Register, log in, log out, the account page and saved addresses."""

from __future__ import annotations

import logging
import time

from pymysql.err import IntegrityError
from quart import Blueprint, current_app, flash, request, session, url_for

from ..db import get_conn, transaction
from ..htmx import see_other
from ..limits import address_key, hourly_limit
from ..pages import render_page
from ..redirects import safe_next
from ..security import rotate_csrf_token
from . import forms, queries, throttle, two_step
from .auth import (
    current_shopper,
    current_token_hash,
    end_session,
    login_required,
    sign_in_hooks,
    sign_out_hooks,
    signed_in_shopper,
    start_session,
)
from .india import STATES
from .passwords import hash_password, password_problem, verify_password

bp = Blueprint("accounts", __name__, url_prefix="/account")
log = logging.getLogger("mooncart.auth")

BAD_LOGIN = "That email and password don't match an account. Please check them and try again."
BAD_CODE = (
    "That code didn't work. Codes change every 30 seconds and each works once: type the newest one "
    "from your app, or one of your recovery codes."
)
PENDING = "two_step_login"  # in the signed session: who typed the right password, and when


async def signed_in(conn, user_id: int, next_url: str, greeting: str):
    """Start a fresh session, bring the guest's bag along, and go where the shopper was going
    (`next_url` has been through safe_next: a page of this shop)."""
    await start_session(conn, user_id)
    rotate_csrf_token()
    await flash(greeting)
    for hook in sign_in_hooks:  # the bag: bring the guest's bag along
        await hook(conn, user_id)
    return see_other(next_url)


@bp.route("/register", methods=["GET", "POST"])
@hourly_limit("REGISTRATIONS_PER_HOUR", address_key)
async def register():
    """Create an account and sign the new shopper in; the form comes back with its errors when something is wrong."""
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET":
        return await render_page("accounts/register.html", values={}, errors={}, next=next_url)
    values, errors = forms.registration(await request.form)
    conn = await get_conn()
    if not errors and await queries.select_user_by_email(conn, values["email"]):
        errors["email"] = "There is already an account with this email. Please log in instead."
    if not errors:
        password_hash = await hash_password(values.pop("password"), current_app.config["ARGON2_PARAMETERS"])
        try:
            user_id = await queries.insert_user(conn, password_hash=password_hash, **values)
        except IntegrityError:  # the same email registered a moment ago
            errors["email"] = "There is already an account with this email. Please log in instead."
        else:
            log.info("registered", extra={"user": user_id})
            return await signed_in(conn, user_id, next_url, f"Welcome to Mooncart, {values['name'].split()[0]}!")
    values.pop("password", None)
    return await render_page("accounts/register.html", status=422, values=values, errors=errors, next=next_url)


def too_many(response):
    """A 429 (the page already says why) that tells the browser when to come back. Every check
    of a password or code is admitted by throttle.admit() first, before any hashing or code
    checking: guessing costs the attacker, not our CPU, and a burst gets no more guesses."""
    response.status_code = 429
    response.headers["Retry-After"] = str(throttle.retry_after_seconds())
    return response


@bp.route("/login", methods=["GET", "POST"])
async def login():
    """Sign in with email and password (then a two-step code when the account has one), throttled against guessing."""
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET":
        return await render_page("accounts/login.html", values={}, next=next_url)
    form = await request.form
    email = forms.clean_email(form.get("email")) or (form.get("email") or "").strip()[:254]
    password = (form.get("password") or "")[:1024]
    conn = await get_conn()
    config = current_app.config
    attempt = await throttle.admit(conn, email)
    if attempt is None:
        return too_many(
            await render_page(
                "accounts/login.html", values={"email": email}, next=next_url, error=throttle.refusal_message()
            )
        )
    user = await queries.select_user_by_email(conn, email)
    matches, new_hash = await verify_password(
        user["password_hash"] if user else None, password, config["ARGON2_PARAMETERS"]
    )
    if not matches:  # the attempt's row stays counted as a failure
        log.warning("login failed", extra={"email": email, "user": user["id"] if user else None})
        return await render_page(
            "accounts/login.html", status=422, values={"email": email}, next=next_url, error=BAD_LOGIN
        )
    if new_hash:
        await queries.update_password_hash(conn, user["id"], new_hash)
    if await queries.has_two_step(conn, user["id"]):
        # the password was right: this attempt is no failure, but the earlier ones stay counted
        # until the code is right too
        await queries.delete_attempt(conn, attempt.id)
        session[PENDING] = {"user": user["id"], "email": email, "next": next_url, "at": int(time.time())}
        log.info("login password ok, code needed", extra={"user": user["id"], "email": email})
        return see_other(url_for("accounts.login_code"))
    await throttle.succeeded(conn, attempt)
    log.info("login ok", extra={"user": user["id"], "email": email})
    return await signed_in(conn, user["id"], next_url, f"Welcome back, {user['name'].split()[0]}!")


async def spend_code(conn, user_id: int, typed: str | None) -> str | None:
    """Use a code for a user with two-step sign-in: "app" or "recovery" when it is good (and now
    spent), None when not."""
    code = two_step.clean_code(typed)
    row = await queries.select_two_step(conn, user_id)
    if row is None or row["confirmed_at"] is None:
        return None
    step = two_step.matching_step(row["secret"], code)
    if step is not None and await queries.use_step(conn, user_id, step):
        return "app"
    if two_step.looks_like_recovery_code(code) and await queries.use_recovery_code(
        conn, user_id, two_step.recovery_code_hash(code)
    ):
        return "recovery"
    return None


@bp.route("/login/code", methods=["GET", "POST"])
async def login_code():
    """The second step of a log-in for accounts with two-step sign-in."""
    pending = session.get(PENDING)
    if not pending or time.time() - pending["at"] > two_step.PENDING_LOGIN_SECONDS:
        session.pop(PENDING, None)
        await flash(
            f"Please log in again: the code must follow the password within "
            f"{two_step.PENDING_LOGIN_SECONDS // 60} minutes."
        )
        return see_other(url_for("accounts.login"))
    if request.method == "GET":
        return await render_page("accounts/login_code.html")
    conn = await get_conn()
    attempt = await throttle.admit(conn, pending["email"])
    if attempt is None:
        return too_many(await render_page("accounts/login_code.html", error=throttle.refusal_message()))
    used = await spend_code(conn, pending["user"], (await request.form).get("code"))
    if used is None:  # the attempt's row stays counted as a failure
        log.warning("login code failed", extra={"user": pending["user"], "email": pending["email"]})
        return await render_page("accounts/login_code.html", status=422, error=BAD_CODE)
    session.pop(PENDING)
    await throttle.succeeded(conn, attempt)
    log.info("login ok", extra={"user": pending["user"], "email": pending["email"], "reason": f"{used} code"})
    user = await queries.select_user(conn, pending["user"])  # a code was spent, so the account exists
    if used == "recovery":
        left = await queries.count_recovery_codes(conn, user["id"])
        await flash(
            f"You used a recovery code; {left} are left. If you lost your phone, turn two-step "
            f"sign-in off and set it up again with your new phone on your account page."
        )
    return await signed_in(
        conn, user["id"], safe_next(pending.get("next")), f"Welcome back, {user['name'].split()[0]}!"
    )


@bp.post("/logout")
async def logout():
    """End this session and rotate the CSRF token, so nothing of the session stays usable in this browser."""
    conn = await get_conn()
    shopper = await current_shopper()
    await end_session(conn)
    rotate_csrf_token()
    if shopper:
        log.info("logout", extra={"user": shopper["id"]})
    await flash("You have logged out. See you soon!")
    for hook in sign_out_hooks:  # the bag: it stays with the account
        await hook()
    return see_other(url_for("catalog.home"))


@bp.get("")
@login_required
async def account():
    """The shopper's own account page."""
    return await render_page("accounts/account.html", shopper=await signed_in_shopper())


@bp.route("/password", methods=["GET", "POST"])
@login_required
async def change_password():
    """A new password ends every other session of this account (a thief's copied cookie too)."""
    shopper = await signed_in_shopper()
    if request.method == "GET":
        return await render_page("accounts/password.html", errors={})
    form = await request.form
    conn = await get_conn()
    config = current_app.config
    attempt = await throttle.admit(conn, shopper["email"])
    if attempt is None:  # the current password is guessed no faster here than at log-in
        return too_many(
            await render_page("accounts/password.html", errors={"current_password": throttle.refusal_message()})
        )
    user = await queries.select_user_by_email(conn, shopper["email"])
    matches, _ = await verify_password(
        user["password_hash"], (form.get("current_password") or "")[:1024], config["ARGON2_PARAMETERS"]
    )
    errors = {}
    if matches:
        await throttle.succeeded(conn, attempt)
    else:  # the attempt's row stays counted as a failure
        errors["current_password"] = "That is not your current password."  # nosec B105 # not a password
    new_password = form.get("new_password") or ""
    problem = password_problem(new_password, shopper["email"], shopper["name"])
    if problem:
        errors["new_password"] = problem
    if errors:
        return await render_page("accounts/password.html", status=422, errors=errors)
    await queries.update_password_hash(
        conn, shopper["id"], await hash_password(new_password, config["ARGON2_PARAMETERS"])
    )
    ended = await queries.revoke_user_sessions(conn, shopper["id"], except_token_hash=current_token_hash())
    log.info("password changed", extra={"user": shopper["id"], "reason": f"{ended} other sessions ended"})
    await flash("Your password is changed, and you have been logged out everywhere else.")
    return see_other(url_for("accounts.account"))


@bp.route("/addresses", methods=["GET", "POST"])
@login_required
async def addresses():
    """List the saved addresses and add one, so checkout can offer them."""
    shopper = await signed_in_shopper()
    conn = await get_conn()
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values, errors = forms.address(await request.form)
        if not errors:
            await queries.insert_address(conn, shopper["id"], values)
            await flash("Address saved.")
            return see_other(url_for("accounts.addresses"))
        status = 422
    return await render_page(
        "accounts/addresses.html",
        status=status,
        values=values,
        errors=errors,
        states=STATES,
        addresses=await queries.select_addresses(conn, shopper["id"]),
    )


@bp.post("/addresses/<int(max=4294967295):address_id>/delete")
@login_required
async def delete_address(address_id: int):
    """Remove one of the shopper's own saved addresses (someone else's id just finds nothing)."""
    shopper = await signed_in_shopper()
    if not await queries.delete_address(await get_conn(), address_id, shopper["id"]):
        await flash("That address was already removed.")
    else:
        await flash("Address removed.")
    return see_other(url_for("accounts.addresses"))


# ---- two-step sign-in ------------------------------------------------------------------------


def staff_need_two_step(shopper: dict) -> bool:
    """Whether this user must keep two-step sign-in on (staff, when the shop requires it)."""
    return shopper["is_staff"] and current_app.config["STAFF_TWO_STEP"] == "required"


async def two_step_page(status: int = 200, **context):
    """Off (with a button to start), being set up (QR code and a box for the first code), or on."""
    shopper = await signed_in_shopper()
    conn = await get_conn()
    row = await queries.select_two_step(conn, shopper["id"])
    if row and row["confirmed_at"] is not None:
        context.update(
            state="on",
            codes_left=await queries.count_recovery_codes(conn, shopper["id"]),
            staff_need_it=staff_need_two_step(shopper),
        )
    elif row:
        uri = two_step.provisioning_uri(row["secret"], shopper["email"])
        context.update(state="setting-up", qr_code=two_step.qr_code_svg(uri), secret=two_step.grouped(row["secret"]))
    else:
        context.update(state="off")
    return await render_page("accounts/two_step.html", status=status, **context)


@bp.get("/two-step")
@login_required
async def two_step_settings():
    """The two-step sign-in page: turn it on, finish setting it up, or manage it."""
    return await two_step_page()


@bp.post("/two-step/start")
@login_required
async def start_two_step():
    """Make a new pending secret; it only takes effect once a code from the app confirms it."""
    shopper = await signed_in_shopper()
    await queries.save_pending_secret(await get_conn(), shopper["id"], two_step.new_secret())
    return see_other(url_for("accounts.two_step_settings"))


@bp.post("/two-step/confirm")
@login_required
async def confirm_two_step():
    """The first code proves the app holds the secret. Then: recovery codes, shown once, and every
    other session (signed in with the password alone) ends."""
    shopper = await signed_in_shopper()
    conn = await get_conn()
    row = await queries.select_two_step(conn, shopper["id"])
    if row is None or row["confirmed_at"] is not None:
        return see_other(url_for("accounts.two_step_settings"))
    attempt = await throttle.admit(conn, shopper["email"])
    if attempt is None:
        return too_many(await two_step_page(error=throttle.refusal_message()))
    step = two_step.matching_step(row["secret"], two_step.clean_code((await request.form).get("code")))
    if step is None:  # the attempt's row stays counted as a failure
        return await two_step_page(
            422,
            error='That code doesn\'t match. Check that the app shows "Mooncart" and type the six digits it shows now.',
        )
    await throttle.succeeded(conn, attempt)
    codes = two_step.new_recovery_codes()
    async with transaction(conn):
        if not await queries.confirm_secret(conn, shopper["id"], step):
            return see_other(url_for("accounts.two_step_settings"))  # confirmed by a twin request
        await queries.replace_recovery_codes(conn, shopper["id"], [two_step.recovery_code_hash(c) for c in codes])
        ended = await queries.revoke_user_sessions(conn, shopper["id"], except_token_hash=current_token_hash())
    log.info("two-step on", extra={"user": shopper["id"], "reason": f"{ended} other sessions ended"})
    return await render_page("accounts/recovery_codes.html", codes=codes, first_time=True)


async def checked_code(conn, shopper: dict):
    """Spend the code the form sent, admitted by the throttle first: None when it was good,
    else the page to answer with (422 for a wrong code, 429 when guessing too often)."""
    attempt = await throttle.admit(conn, shopper["email"])
    if attempt is None:
        return too_many(await two_step_page(error=throttle.refusal_message()))
    if await spend_code(conn, shopper["id"], (await request.form).get("code")) is None:
        log.warning("two-step code failed", extra={"user": shopper["id"], "reason": request.endpoint})
        return await two_step_page(422, error=BAD_CODE)  # the attempt's row stays counted as a failure
    await throttle.succeeded(conn, attempt)
    return None


@bp.post("/two-step/recovery-codes")
@login_required
async def new_recovery_codes():
    """Replace the recovery codes (a code from the app first), shown once."""
    shopper = await signed_in_shopper()
    conn = await get_conn()
    if (refused := await checked_code(conn, shopper)) is not None:
        return refused
    codes = two_step.new_recovery_codes()
    async with transaction(conn):  # the old codes go only if the new ones are written
        await queries.replace_recovery_codes(conn, shopper["id"], [two_step.recovery_code_hash(c) for c in codes])
    log.info("recovery codes replaced", extra={"user": shopper["id"]})
    return await render_page("accounts/recovery_codes.html", codes=codes, first_time=False)


@bp.post("/two-step/off")
@login_required
async def turn_off_two_step():
    """Off, with a code (a recovery code will do): also the way to move to a new phone. Staff
    who turn it off are asked to set it up again before the back office opens."""
    shopper = await signed_in_shopper()
    conn = await get_conn()
    if (refused := await checked_code(conn, shopper)) is not None:
        return refused
    await queries.delete_two_step(conn, shopper["id"])
    log.info("two-step off", extra={"user": shopper["id"]})
    if staff_need_two_step(shopper):
        await flash(
            "Two-step sign-in is off. Set it up again (on your new phone, say) before you open the back office."
        )
    else:
        await flash("Two-step sign-in is off. Your password alone now signs you in.")
    return see_other(url_for("accounts.two_step_settings"))
