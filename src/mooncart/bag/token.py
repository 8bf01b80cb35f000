"""The guest bag's cookie: an opaque random token, signed so it cannot be guessed or edited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from quart import current_app, g, request

COOKIE_NAME = "mooncart_bag"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30  # a bag is kept for a month


@dataclass(frozen=True)
class BagCookie:
    token: str | None  # None: no bag yet
    tampered: bool = False  # a cookie was sent but its signature did not verify


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="mooncart.bag")


def new_token() -> str:
    return secrets.token_hex(16)


def read_bag_cookie() -> BagCookie:
    """This request's bag token, verified once per request."""
    if "bag_cookie" not in g:
        raw = request.cookies.get(COOKIE_NAME)
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


def set_bag_cookie(response, token: str) -> None:
    response.set_cookie(COOKIE_NAME, _signer().sign(token).decode("ascii"), max_age=COOKIE_MAX_AGE,
                        httponly=True, samesite="Lax", secure=request.scheme == "https", path="/")


def clear_bag_cookie(response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Lax",
                           secure=request.scheme == "https")
