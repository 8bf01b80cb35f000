"""Protection for every state-changing request: a CSRF token (form field or htmx header) tied to
the visitor's session, and refusal of requests that a browser says came from another site."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import secrets
from functools import cached_property
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from quart import Quart, Request, Response, g, session
from quart.wrappers.request import Body
from werkzeug.exceptions import RequestEntityTooLarge

from .hooks import takes_request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def csp_nonce() -> str:
    """This response's script nonce: our own script tags carry it, anything injected cannot."""
    app_globals = g._get_current_object()  # one proxy look-up, not three
    nonce = getattr(app_globals, "csp_nonce", None)
    if nonce is None:
        nonce = app_globals.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def header_names(response: Response) -> set[str]:
    """The lower-cased names of the headers a response has so far (one pass over them)."""
    return {name.lower() for name, _value in response.headers}


def set_headers(response: Response, values: dict[str, str], present: set[str]) -> None:
    """response.headers[name] = value for each, given the headers' names already there
    (header_names): Werkzeug's set() lower-cases every existing name on every call to find
    one to replace, and only a name already there needs that."""
    headers = response.headers
    for name, value in values.items():
        if name.lower() in present:
            headers[name] = value
        else:
            headers.add(name, value)


log = logging.getLogger("mooncart.security")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def csrf_token() -> str:
    """This visitor's token, made on first use and kept in the signed session cookie."""
    token = session.get(FIELD)
    if not token:
        token = session[FIELD] = secrets.token_urlsafe(32)
    return token


def rotate_csrf_token() -> None:
    """A new token at log-in and log-out, so a token seen before cannot be reused after."""
    session[FIELD] = secrets.token_urlsafe(32)


def masked_csrf_token() -> str:
    """The token as a page carries it: XORed with a fresh random pad that travels with it, so no
    two responses hold the same bytes and a compressed page cannot leak it (BREACH; docs/SECURITY.md)."""
    secret = csrf_token().encode()
    pad = secrets.token_bytes(len(secret))
    return base64.urlsafe_b64encode(pad + bytes(a ^ b for a, b in zip(pad, secret))).decode()


def unmasked(sent: str) -> str:
    """The token inside a masked one; anything else (an unmasked token, junk) as it came."""
    if len(sent) <= 64:  # a bare token is 43 characters, a masked one 116
        return sent
    try:
        raw = base64.urlsafe_b64decode(sent.encode("ascii"))
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return sent
    if len(raw) % 2:
        return sent
    half = len(raw) // 2
    return bytes(a ^ b for a, b in zip(raw[:half], raw[half:])).decode("latin-1")


def csrf_field() -> Markup:
    """The hidden CSRF field for a plain form."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (FIELD, escape(masked_csrf_token()))


class CrossSiteRequest(Exception):
    """A state-changing request without a valid token, or from another site."""


def _same_origin(origin: str, req: Request) -> bool:
    parts = urlsplit(origin)
    return parts.netloc == req.host and parts.scheme == req.scheme


SMALL_BODY_BYTES = 64 * 1024  # every form but photo uploads


def signed_by_sender(view):
    """Mark a view whose requests come from another server and carry their own signature (the
    payment gateway's webhooks): no CSRF token or same-origin check, the view verifies it."""
    view.signed_by_sender = True
    return view


def accepts_uploads(max_bytes: int):
    """Mark a view that may receive a body larger than an ordinary form."""

    def mark(view):
        """Mark the view with its larger body limit."""
        view.max_body_bytes = max_bytes
        return view

    return mark


class LimitedBody(Body):
    """A request body whose limit can be lowered once the view is known. Quart holds every body
    to MAX_CONTENT_LENGTH (the photo uploads' 9 MiB) from the first byte; a form's 64 KiB is
    known only after routing. A request that declares its Content-Length is refused at once,
    but a chunked one declares nothing, so it used to be read up to 9 MiB and parsed."""

    def limit_to(self, max_bytes: int) -> None:
        """From now on keep at most max_bytes: more (already arrived or still to come) makes
        awaiting the body raise 413 before anything parses it."""
        if self._max_content_length is None or max_bytes < self._max_content_length:
            self._max_content_length = max_bytes
            if len(self._data) > max_bytes and self._must_raise is None:
                self._must_raise = RequestEntityTooLarge()
                self.set_complete()


class ShopRequest(Request):
    body_class = LimitedBody

    @cached_property
    def header_map(self) -> dict[str, str]:
        """The request's headers by lower-cased name (the first of a repeated one, as
        headers.get() answers), built once: every headers.get() lower-cases every header's name
        to find one, and the hooks read a dozen (bench/calls.py)."""
        pairs = list(self.headers.items())
        return {name.lower(): value for name, value in reversed(pairs)}


async def check(req: ShopRequest, view_functions: dict) -> None:
    """Before any view: the body's limit, then where the request came from, then its CSRF
    token. The token is taken from the X-CSRF-Token header (htmx sends it) without touching
    the body; only a plain form's token needs the body, which is read whole (within the view's
    limit, else 413) before the form parser sees a byte of it."""
    if req.method in SAFE_METHODS:
        return
    view = view_functions.get(req.endpoint or "")
    limit = getattr(view, "max_body_bytes", SMALL_BODY_BYTES)
    content_length = req.content_length
    if content_length is not None and content_length > limit:
        raise RequestEntityTooLarge()
    body = req.body
    if isinstance(body, LimitedBody):  # chunked, or a Content-Length that undersold it
        body.limit_to(limit)

    if getattr(view, "signed_by_sender", False):
        return
    headers = req.header_map
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise CrossSiteRequest(f"Sec-Fetch-Site {fetch_site}")
    origin = headers.get("origin")
    if origin is not None and origin != "null" and not _same_origin(origin, req):
        raise CrossSiteRequest(f"Origin {origin}")
    expected = session.get(FIELD)
    sent = headers.get(HEADER.lower())
    if sent is None:
        await req.get_data(parse_form_data=False)  # the whole body within the limit, or 413
        sent = (await req.form).get(FIELD)
    sent = unmasked(sent) if isinstance(sent, str) else sent
    # compared as bytes: compare_digest refuses non-ASCII str, and a hostile token may be anything
    if not expected or not sent or not hmac.compare_digest(str(sent).encode(), str(expected).encode()):
        raise CrossSiteRequest("missing or wrong CSRF token")


def init_app(app: Quart) -> None:
    """Install the request class, the template helpers and the CSRF and origin check before every view."""
    app.request_class = ShopRequest
    app.jinja_env.globals["csrf_token"] = masked_csrf_token
    app.jinja_env.globals["csrf_field"] = csrf_field
    views = app.view_functions  # the app's own dict: blueprints registered later are in it too

    @app.before_request
    @takes_request
    async def check_request(req: ShopRequest) -> None:
        """Refuse a state-changing request that is too large, from another site or without its token."""
        await check(req, views)
