"""Who is signed in. quart-auth carries a random session token in a signed, HttpOnly,
SameSite=Lax cookie (Secure and `__Host-` prefixed over https); the sessions table decides
whether that token is still alive, so log-out and revocation really end a session."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from quart import Response, abort, current_app, g, has_request_context, redirect, request, url_for
from quart_auth import AuthUser, QuartAuth, login_user, logout_user

from ..db import get_conn
from ..htmx import is_htmx
from ..limits import throttle_key
from ..pages import layout_part
from ..redirects import safe_next
from . import queries

auth_manager_key = "mooncart_auth"


class ShopAuth(QuartAuth):
    """quart-auth with a cookie whose Secure flag and name follow the request's scheme."""

    @property
    def cookie_secure(self) -> bool:
        """Secure whenever the request came over https (quart-auth fixes it at start-up otherwise)."""
        return has_request_context() and request.is_secure

    @cookie_secure.setter
    def cookie_secure(self, _value) -> None:
        """Ignored: the flag follows each request's scheme, whatever quart-auth sets at start-up."""
        pass

    @property
    def cookie_name(self) -> str:
        """`__Host-` prefixed over https, so a sibling subdomain or plain http cannot plant one."""
        return "__Host-mooncart_session" if has_request_context() and request.is_secure else "mooncart_session"

    @cookie_name.setter
    def cookie_name(self, _value) -> None:
        """Ignored: the name follows each request's scheme, whatever quart-auth sets at start-up."""
        pass


def token_hash(token: str) -> str:
    """How a session token is stored: a database leak gives no usable cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


def client_ip() -> str:
    """The shopper's full address, for logs and the sessions table."""
    return (request.remote_addr or "unknown")[:45]


def throttle_ip() -> str:
    """The log-in throttle's bucket for this shopper: her network, not her address (limits.throttle_key)."""
    return throttle_key(client_ip())[:45]


async def current_shopper() -> dict | None:
    """The signed-in user (a dict) or None; checked against the sessions table once a request."""
    if "shopper" not in g:
        g.shopper = None
        token = current_app.extensions[auth_manager_key].load_user().auth_id
        if token:
            conn = await get_conn()
            config = current_app.config
            user = await queries.select_session_user(
                conn, token_hash(token), config["SESSION_IDLE_MINUTES"], config["SESSION_ABSOLUTE_HOURS"]
            )
            if user is not None and user.pop("needs_touch"):
                await queries.touch_session(conn, token_hash(token))  # idle timeout counts from here
            g.shopper = user
    return g.shopper


async def signed_in_shopper() -> dict:
    """The shopper of a view behind login_required or staff_required, where there always is one:
    a view says so by calling this instead of current_shopper(), and never meets a None."""
    shopper = await current_shopper()
    if shopper is None:
        abort(401)
    return shopper


async def shopper_id() -> int | None:
    """The signed-in shopper's id, or None."""
    shopper = await current_shopper()
    return None if shopper is None else shopper["id"]


@layout_part
async def shopper_in_layout(conn, context: dict) -> None:
    """The header greets whoever is signed in."""
    context.setdefault("shopper", await current_shopper())


async def account_key() -> str:
    """A rate limit's key: the account when signed in, else the address."""
    shopper = await current_shopper()
    return f"user:{shopper['id']}" if shopper else f"ip:{throttle_key(request.remote_addr or 'unknown')}"


# What other areas do when a shopper signs in or out: the bag joins the guest's bag to the
# account's, and lets go of it at log-out. Those areas import this one, so they register here.
SignInHook = Callable[[Any, int], Awaitable[None]]
SignOutHook = Callable[[], Awaitable[None]]
sign_in_hooks: list[SignInHook] = []
sign_out_hooks: list[SignOutHook] = []


def on_sign_in(hook: SignInHook) -> SignInHook:
    """Register `async hook(conn, user_id)`, run in the request that signs the shopper in."""
    sign_in_hooks.append(hook)
    return hook


def on_sign_out(hook: SignOutHook) -> SignOutHook:
    """Register `async hook()`, run in the request that signs the shopper out."""
    sign_out_hooks.append(hook)
    return hook


def current_token_hash() -> str:
    """This request's session as the sessions table knows it (empty when signed out), so a page can
    end every other session but this one."""
    token = current_app.extensions[auth_manager_key].load_user().auth_id
    return token_hash(token) if token else ""


async def start_session(conn, user_id: int) -> None:
    """A brand-new session id at every log-in (no fixation), stored hashed."""
    token = secrets.token_urlsafe(32)
    await queries.insert_session(conn, token_hash(token), user_id, client_ip())
    login_user(AuthUser(token))
    g.pop("shopper", None)


async def end_session(conn) -> None:
    """Log out for real: revoke the session row, not just the cookie, so a copied cookie dies too."""
    token = current_app.extensions[auth_manager_key].load_user().auth_id
    if token:
        await queries.revoke_session(conn, token_hash(token))
    logout_user()
    g.signed_out_id = (g.get("shopper") or {}).get("id")  # for the sign-out hooks (issue 14: her holds)
    g.shopper = None


def _same_origin_page(url: str | None) -> str | None:
    """The path (and query) of `url` when it is a page of this shop, as the browser saw it, else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != request.scheme or parts.netloc != request.host:
        return None
    page = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(page, default="") or None


def _come_back_to() -> str | None:
    """Where the shopper should return after logging in. A GET is its own page; a POST-only URL
    would answer 405 after log-in, so a form sent with an expired session returns to the page
    the form was on (htmx names it in HX-Current-URL, a plain form in Referer), or to the
    log-in page's default when that is unknown or another site's."""
    if request.method in ("GET", "HEAD"):
        return request.full_path.rstrip("?")
    if is_htmx():
        return _same_origin_page(request.headers.get("HX-Current-URL")) or _same_origin_page(request.referrer)
    return _same_origin_page(request.referrer)


def log_in_link() -> str:
    """The header's "Log in": back to this page afterwards (a guest on a product page returns to
    it, not to the home page), except from the log-in and sign-up pages themselves."""
    if request.path.startswith("/account/"):
        return url_for("accounts.login")
    back = _come_back_to()
    return url_for("accounts.login", next=back) if back else url_for("accounts.login")


def login_required(view):
    """Anonymous visitors go to the log-in page and come back afterwards. An htmx request gets
    HX-Redirect, which htmx follows with a full navigation: a 303 would be followed by fetch and
    the whole log-in page swapped into the form's target (a page inside the page)."""

    @wraps(view)
    async def wrapper(*args, **kwargs):
        """Sends a signed-out visitor to log in (and back here afterwards) instead of running the view."""
        if await current_shopper() is None:
            back = _come_back_to()
            login = url_for("accounts.login", next=back) if back else url_for("accounts.login")
            if is_htmx():
                response = Response("", status=200)
                response.headers["HX-Redirect"] = login
                response.vary.add("HX-Request")
                return response
            return redirect(login, 303)
        return await view(*args, **kwargs)

    return wrapper


def init_app(app) -> None:
    """Attach quart-auth with our cookie settings; sessions last at most SESSION_ABSOLUTE_HOURS."""
    manager = ShopAuth(
        app, cookie_samesite="Lax", cookie_http_only=True, duration=app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    )
    app.extensions[auth_manager_key] = manager
    app.jinja_env.globals["log_in_link"] = log_in_link
