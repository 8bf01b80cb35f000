"""The guest bag's cookie: an opaque random token, signed so it cannot be guessed or edited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from quart import current_app, g, request

COOKIE_NAME = "mooncart_bag"
SECURE_COOKIE_NAME = "__Host-" + COOKIE_NAME  # over https: Secure, Path=/, no Domain, so no subdomain can plant one
COOKIE_MAX_AGE = 60 * 60 * 24 * 30  # a bag is kept for a month


@dataclass(frozen=True)
class BagCookie:
    token: str | None  # None: no bag yet
    tampered: bool = False  # a cookie was sent but its signature did not verify


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="mooncart.bag")


def new_token() -> str:
    """A bag token: random, so nobody can guess someone else's bag."""
    return secrets.token_hex(16)


def read_bag_cookie() -> BagCookie:
    """This request's bag token, verified once per request."""
    if "bag_cookie" not in g:
        raw = request.cookies.get(cookie_name())
        if raw is None:
            g.bag_cookie = BagCookie(None)
        else:
            try:
                token = _signer().unsign(raw).decode("ascii")
            except (BadSignature, UnicodeDecodeError):
                g.bag_cookie = BagCookie(None, tampered=True)
            else:
                valid = len(token) == 32 and all(c in "0123456789abcdef" for c in token)
                g.bag_cookie = BagCookie(token if valid else None, tampered=not valid)
    return g.bag_cookie


def cookie_name() -> str:
    """`__Host-` prefixed over https (no subdomain or plain-http page can set it); plain in development."""
    return SECURE_COOKIE_NAME if request.is_secure else COOKIE_NAME


def set_bag_cookie(response, token: str) -> None:
    """Give the browser its bag token, signed so a forged or edited cookie is simply ignored."""
    response.set_cookie(cookie_name(), _signer().sign(token).decode("ascii"), max_age=COOKIE_MAX_AGE,
                        httponly=True, samesite="Lax", secure=request.is_secure, path="/")


def clear_bag_cookie(response) -> None:
    """Forget the bag cookie (a bag that no longer exists, or the account's bag at log-out)."""
    response.delete_cookie(cookie_name(), path="/", httponly=True, samesite="Lax", secure=request.is_secure)
