"""The guest bag's cookie: an opaque random token, signed so it cannot be guessed or edited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, Signer
from quart import after_this_request, current_app, g, request

COOKIE_NAME = "mooncart_bag"
SECURE_COOKIE_NAME = "__Host-" + COOKIE_NAME  # over https: Secure, Path=/, no Domain, so no subdomain can plant one
COOKIE_MAX_AGE = 60 * 60 * 24 * 30  # a bag is kept for a month
HEX_DIGITS = frozenset("0123456789abcdef")  # a token is 32 of these: new_token()'s token_hex(16)


@dataclass(frozen=True)
class BagCookie:
    token: str | None  # None: no bag yet
    tampered: bool = False  # a cookie was sent but its signature did not verify


def _signer() -> Signer:
    return _signer_for(current_app.config["SECRET_KEY"])


@lru_cache(maxsize=4)
def _signer_for(secret_key: str) -> Signer:
    """One Signer per key, not one per request (building it was 7 µs of reading a bag cookie)."""
    return Signer(secret_key, salt="mooncart.bag")


def new_token() -> str:
    """A bag token: random, so nobody can guess someone else's bag."""
    return secrets.token_hex(16)


def read_bag_cookie() -> BagCookie:
    """This request's bag token, verified once per request."""
    if "bag_cookie" not in g:
        raw = request.cookies.get(cookie_name())
        if raw is None and request.is_secure and COOKIE_NAME in request.cookies:
            # a guest from before the shop moved to https: keep her bag, under the new name
            raw = request.cookies[COOKIE_NAME]
            after_this_request(_move_to_secure_name)
        if raw is None:
            g.bag_cookie = BagCookie(None)
        else:
            try:
                token = _signer().unsign(raw).decode("ascii")
            except (BadSignature, UnicodeDecodeError):
                g.bag_cookie = BagCookie(None, tampered=True)
            else:
                valid = len(token) == 32 and HEX_DIGITS.issuperset(token)
                g.bag_cookie = BagCookie(token if valid else None, tampered=not valid)
    return g.bag_cookie


def cookie_name() -> str:
    """`__Host-` prefixed over https (no subdomain or plain-http page can set it); plain in development."""
    return SECURE_COOKIE_NAME if request.is_secure else COOKIE_NAME


def set_bag_cookie(response, token: str) -> None:
    """Give the browser its bag token, signed so a forged or edited cookie is simply ignored."""
    response.set_cookie(
        cookie_name(),
        _signer().sign(token).decode("ascii"),
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/",
    )


def _move_to_secure_name(response):
    """Re-issue the plain-http bag cookie as __Host- and delete the old one, unless the reply
    already set or cleared the bag cookie itself."""
    if not any(c.startswith(SECURE_COOKIE_NAME + "=") for c in response.headers.getlist("Set-Cookie")):
        cookie = read_bag_cookie()
        if cookie.token is not None:
            set_bag_cookie(response, cookie.token)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Lax")
    return response


def clear_bag_cookie(response) -> None:
    """Forget the bag cookie (a bag that no longer exists, or the account's bag at log-out)."""
    response.delete_cookie(cookie_name(), path="/", httponly=True, samesite="Lax", secure=request.is_secure)
