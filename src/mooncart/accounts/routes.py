"""Register, log in, log out, the account page and saved addresses."""

from __future__ import annotations

import logging

from pymysql.err import IntegrityError
from quart import Blueprint, current_app, flash, request, url_for

from ..bag.merge import claim_bag
from ..bag.token import clear_bag_cookie, read_bag_cookie, set_bag_cookie
from ..db import get_conn
from ..htmx import see_other
from ..limits import address_key, hourly_limit
from ..pages import render_page
from ..security import rotate_csrf_token
from . import forms, queries
from .auth import (client_ip, current_shopper, current_token_hash, end_session, login_required, safe_next,
                   start_session)
from .india import STATES
from .passwords import hash_password, password_problem, verify_password

bp = Blueprint("accounts", __name__, url_prefix="/account")
log = logging.getLogger("mooncart.auth")

BAD_LOGIN = "That email and password don't match an account. Please check them and try again."


async def signed_in(conn, user_id: int, next_url: str, greeting: str):
    """Start a fresh session, bring the guest's bag along, and go where the shopper was going."""
    await start_session(conn, user_id)
    rotate_csrf_token()
    token, notes = await claim_bag(conn, read_bag_cookie().token, user_id)
    await flash(greeting)
    for note in notes:
        await flash(note)
    response = see_other(next_url)
    if token:
        set_bag_cookie(response, token)
    else:
        clear_bag_cookie(response)
    return response


@bp.route("/register", methods=["GET", "POST"])
@hourly_limit("REGISTRATIONS_PER_HOUR", address_key)
async def register():
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


@bp.route("/login", methods=["GET", "POST"])
async def login():
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET":
        return await render_page("accounts/login.html", values={}, next=next_url)
    form = await request.form
    email = forms.clean_email(form.get("email")) or (form.get("email") or "").strip()[:254]
    password = (form.get("password") or "")[:1024]
    conn = await get_conn()
    config = current_app.config
    ip = client_ip()
    by_email, by_ip = await queries.count_recent_failures(conn, email, ip, config["LOGIN_FAILURE_WINDOW_MINUTES"])
    if by_email >= config["LOGIN_FAILURES_PER_ACCOUNT"] or by_ip >= config["LOGIN_FAILURES_PER_IP"]:
        # refused before any hashing: guessing costs the attacker, not our CPU
        log.warning("login throttled", extra={"email": email, "failures_email": by_email, "failures_ip": by_ip})
        minutes = config["LOGIN_FAILURE_WINDOW_MINUTES"]
        response = await render_page("accounts/login.html", status=429, values={"email": email}, next=next_url,
                                     error=f"Too many unsuccessful log-ins. For your safety, please wait "
                                           f"{minutes} minutes before trying again.")
        response.headers["Retry-After"] = str(minutes * 60)
        return response
    user = await queries.select_user_by_email(conn, email)
    matches, new_hash = await verify_password(user["password_hash"] if user else None, password,
                                              config["ARGON2_PARAMETERS"])
    if not matches:
        await queries.insert_login_failure(conn, email, ip)
        log.warning("login failed", extra={"email": email, "user": user["id"] if user else None})
        return await render_page("accounts/login.html", status=422, values={"email": email}, next=next_url,
                                 error=BAD_LOGIN)
    if new_hash:
        await queries.update_password_hash(conn, user["id"], new_hash)
    await queries.delete_login_failures(conn, email)
    log.info("login ok", extra={"user": user["id"], "email": email})
    return await signed_in(conn, user["id"], next_url, f"Welcome back, {user['name'].split()[0]}!")


@bp.post("/logout")
async def logout():
    conn = await get_conn()
    shopper = await current_shopper()
    await end_session(conn)
    rotate_csrf_token()
    if shopper:
        log.info("logout", extra={"user": shopper["id"]})
    await flash("You have logged out. See you soon!")
    response = see_other(url_for("catalog.home"))
    clear_bag_cookie(response)  # the bag stays with the account
    return response


@bp.get("")
@login_required
async def account():
    return await render_page("accounts/account.html", shopper=await current_shopper())


@bp.route("/password", methods=["GET", "POST"])
@login_required
async def change_password():
    """A new password ends every other session of this account (a thief's copied cookie too)."""
    shopper = await current_shopper()
    if request.method == "GET":
        return await render_page("accounts/password.html", errors={})
    form = await request.form
    conn = await get_conn()
    config = current_app.config
    user = await queries.select_user_by_email(conn, shopper["email"])
    matches, _ = await verify_password(user["password_hash"], (form.get("current_password") or "")[:1024],
                                       config["ARGON2_PARAMETERS"])
    errors = {}
    if not matches:
        await queries.insert_login_failure(conn, shopper["email"], client_ip())
        errors["current_password"] = "That is not your current password."  # nosec B105 # not a password
    new_password = form.get("new_password") or ""
    problem = password_problem(new_password, shopper["email"], shopper["name"])
    if problem:
        errors["new_password"] = problem
    if errors:
        return await render_page("accounts/password.html", status=422, errors=errors)
    await queries.update_password_hash(conn, shopper["id"], await hash_password(new_password, config["ARGON2_PARAMETERS"]))
    ended = await queries.revoke_user_sessions(conn, shopper["id"], except_token_hash=current_token_hash())
    log.info("password changed", extra={"user": shopper["id"], "reason": f"{ended} other sessions ended"})
    await flash("Your password is changed, and you have been logged out everywhere else.")
    return see_other(url_for("accounts.account"))


@bp.route("/addresses", methods=["GET", "POST"])
@login_required
async def addresses():
    shopper = await current_shopper()
    conn = await get_conn()
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values, errors = forms.address(await request.form)
        if not errors:
            await queries.insert_address(conn, shopper["id"], values)
            await flash("Address saved.")
            return see_other(url_for("accounts.addresses"))
        status = 422
    return await render_page("accounts/addresses.html", status=status, values=values, errors=errors,
                             states=STATES, addresses=await queries.select_addresses(conn, shopper["id"]))


@bp.post("/addresses/<int(max=4294967295):address_id>/delete")
@login_required
async def delete_address(address_id: int):
    shopper = await current_shopper()
    if not await queries.delete_address(await get_conn(), address_id, shopper["id"]):
        await flash("That address was already removed.")
    else:
        await flash("Address removed.")
    return see_other(url_for("accounts.addresses"))
