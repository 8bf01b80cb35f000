"""Mooncart: a hypermedia-driven fashion shop. `create_app()` builds the Quart app."""

from __future__ import annotations

import logging
from contextlib import suppress

from pymysql.err import MySQLError
from quart import Quart, Response, g, redirect, render_template, request
from quart.sessions import SecureCookieSessionInterface
from quart_rate_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from . import assets, cache, compression, db, draining, formatting, hooks, limits, logs, security
from .config import load_config
from .htmx import call_context_processors_inline, is_htmx, vary_on_htmx
from .ops import health, metrics
from .proxy import ForwardedHeaders
from .redirects import without_trailing_slash
from .security import CONTENT_SECURITY_POLICY, csp_nonce

log = logging.getLogger(__name__)


class SessionCookies(SecureCookieSessionInterface):
    """The flash/CSRF session cookie is Secure and `__Host-` prefixed whenever the request came over
    https (the prefix makes the browser refuse one set by a sibling subdomain or over http)."""

    _serializer = None
    _serializer_keys: tuple | None = None

    def get_signing_serializer(self, app):
        """Quart builds the signing serializer on every request (4 µs); it depends only on the
        keys, so it is kept until they change."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys != self._serializer_keys:
            self._serializer, self._serializer_keys = super().get_signing_serializer(app), keys
        return self._serializer

    def get_cookie_secure(self, app) -> bool:
        """Secure only over https, so the cookie still works on a plain-http development server."""
        return over_https()

    def get_cookie_name(self, app) -> str:
        """`__Host-` over https: the browser then refuses a copy set by a subdomain or over http."""
        name = super().get_cookie_name(app)
        return "__Host-" + name if over_https() else name


def over_https() -> bool:
    """Whether the request being answered came over https; False outside a request. Asked on
    every request when the session cookie is opened, so with one look-up of the request."""
    try:
        req = request._get_current_object()  # type: ignore[attr-defined]  # a werkzeug LocalProxy
    except RuntimeError:  # no request being answered
        return False
    return req.is_secure


PRIVATE_PREFIXES = ("/bag", "/account", "/checkout", "/orders", "/admin")


class Shop(Quart):
    """Quart, with `ensure_async` remembering which functions are already coroutine functions.
    Quart asks it of every hook, view and error handler on every request (13 hooks on add to
    bag), and each answer walks inspect's checks: 6 calls a time, about 100 of add to bag's
    3,800 Python calls (bench/calls.py). Plain functions still go to a worker thread, as in Quart;
    the set is bounded, so a function made per request can never grow it without end."""

    KNOWN_ASYNC_LIMIT = 4096

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._known_async: set = set()

    def ensure_async(self, func):
        """The function itself when it is a coroutine function (remembered), else Quart's wrapper."""
        try:
            if func in self._known_async:
                return func
        except TypeError:  # unhashable: ask Quart every time
            return super().ensure_async(func)
        wrapped = super().ensure_async(func)
        if wrapped is func and len(self._known_async) < self.KNOWN_ASYNC_LIMIT:
            self._known_async.add(func)
        return wrapped


def create_app(test_config: dict | None = None) -> Quart:
    """The application factory (flaskr style): tests and `mooncart serve` each build their own app
    from config, so nothing is configured at import time; test_config wins over the environment."""
    app = Shop(__name__)
    app.config.update(load_config(test_config))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.session_interface = SessionCookies()
    if app.config["TRUSTED_PROXIES"]:
        # ASGI middleware wraps asgi_app, as Quart documents (mypy sees a method being replaced)
        app.asgi_app = ForwardedHeaders(app.asgi_app, app.config["TRUSTED_PROXIES"])  # type: ignore[method-assign]
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    compression.init_app(app, PRIVATE_PREFIXES)  # first, so its after_request hook runs last
    assets.init_app(app)
    draining.init_app(app)  # what `mooncart serve` has a worker do on SIGTERM
    logs.init_app(app)
    formatting.register(app)
    health.init_app(app)  # before the pool: on shutdown, readiness turns 503 first
    metrics.init_app(app)
    db.init_app(app)
    cache.init_app(app)  # shared with every instance through Redis, when configured
    security.init_app(app)

    from .accounts import auth
    from .accounts.routes import bp as accounts_bp
    from .admin.routes import bp as admin_bp
    from .analytics import tracking
    from .bag.live import bp as live_bp
    from .bag.routes import bp as bag_bp
    from .catalog import facet_index
    from .catalog.media import bp as media_bp
    from .catalog.routes import bp as catalog_bp
    from .checkout.routes import bp as checkout_bp
    from .delivery.routes import bp as delivery_bp
    from .holds import routes as holds
    from .inventory import events
    from .looks.routes import bp as looks_bp
    from .orders.routes import bp as orders_bp
    from .outbox import sender as outbox_sender
    from .reviews.routes import bp as reviews_bp
    from .search.routes import bp as search_bp
    from .wishlist.routes import bp as wishlist_bp

    auth.init_app(app)
    events.init_app(app)
    limits.init_app(app)
    tracking.init_app(app)
    outbox_sender.init_app(app)  # drains the e-mail outbox while serving, when MOONCART_SMTP_URL is set
    holds.init_app(app)
    facet_index.init_app(app)  # builds the facet index while serving; purges the change feed
    for blueprint in (catalog_bp, bag_bp, accounts_bp, checkout_bp, orders_bp, admin_bp, live_bp, media_bp, reviews_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(wishlist_bp)
    app.register_blueprint(holds.bp)
    app.register_blueprint(looks_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(delivery_bp)

    register_error_pages(app)
    # Quart would run each plain context processor (quart-auth's current_user, Flask's per-blueprint
    # default) in a worker thread on every render: call them inline instead (docs/BENCHMARKS.md)
    call_context_processors_inline(app)

    hardening = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }

    @app.after_request
    @hooks.takes_request
    async def security_headers(req, response: Response) -> Response:
        """Every answer carries the CSP (with this request's nonce) and the other hardening headers;
        a shopper's own pages are never stored by any cache."""
        present = security.header_names(response)
        values = {}
        if "content-security-policy" not in present:  # the checkout's gateway page sets its own
            values["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(nonce=csp_nonce())
        values.update(hardening)
        if req.path.startswith(PRIVATE_PREFIXES) or g.get("shopper"):
            values["Cache-Control"] = "no-store"  # bags, accounts and orders are nobody else's
        if req.is_secure:
            values["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if app.config["INSTANCE_NAME"]:
            values["X-Mooncart-Instance"] = app.config["INSTANCE_NAME"]
        security.set_headers(response, values, present)
        return response

    hooks.fuse(app)  # last: one before and one after hook in place of every module's own
    return app


def register_error_pages(app: Quart) -> None:
    """Every error is a page (or, for htmx, a short fragment) in the shop's words: never a trace."""

    async def error_response(status: int, title: str, message: str) -> Response:
        """One error page for every error, as a fragment for htmx so the page around it stays."""
        template = "errors/replies/message.html" if is_htmx() else "errors/error.html"
        body = await render_template(
            template, status=status, title=title, message=message, bag_count=None, nav_categories=[]
        )
        response = vary_on_htmx(Response(body, status=status, content_type="text/html; charset=utf-8"))
        if is_htmx():
            # the message goes just before the region the request would have replaced, which stays: swapped
            # in place of it (htmx swaps every status), a 429 or an expired form took the voucher box or the
            # whole checkout form away, and the shopper could not send it again without reloading the page
            response.headers["HX-Reswap"] = "beforebegin"
        return response

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException):
        """A 4xx or 5xx raised by a view gets the shop's page and words, not Quart's bare one."""
        if error.code is not None and error.code < 400:
            return error
        if error.code == 404 and (page := without_trailing_slash()) is not None:
            return redirect(page, 301)  # /bag/ typed by hand: the page, as /c/<slug>/ does
        messages = {
            404: ("Page not found", "We couldn't find that page. It may have sold out and left the shop."),
            405: ("Not allowed", "That page can't be used this way."),
            403: ("Staff only", "This page is for Mooncart staff."),
            413: ("Too large", "What you sent is larger than we accept."),
        }
        title, message = messages.get(error.code or 400, (error.name, "Something about that request wasn't right."))
        response = await error_response(error.code or 400, title, message)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:  # RFC 9110: a 405 names what is allowed
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(RateLimitExceeded)
    async def rate_limited(error: RateLimitExceeded):
        """429 with Retry-After, logged, so a shopper knows to wait and an operator sees abuse."""
        security.log.warning("rate limited", extra={"reason": request.endpoint})
        response = await error_response(
            429, "Please slow down", "You have done that many times in the last hour. Please try again later."
        )
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(security.CrossSiteRequest)
    async def cross_site(error: security.CrossSiteRequest):
        """A refused CSRF check says nothing was changed and how to retry, instead of a bare 403."""
        security.log.warning("csrf refused", extra={"reason": str(error)})
        # read what is left of the body (within the limit check_request set) before answering, so
        # the connection can carry the visitor's next request: a refusal must not cost a reconnect
        with suppress(HTTPException):
            await request.get_data(parse_form_data=False)
        return await error_response(
            403,
            "Please try that again",
            "This form has expired or came from another site, so nothing was changed. "
            "Please reload the page and try again.",
        )

    @app.errorhandler(MySQLError)
    async def database_error(error: MySQLError):
        """The database is down or refused: 503 (try again), never a 500 with a traceback."""
        log.exception("database error")
        return await error_response(
            503, "We'll be right back", "The shop can't reach its stock room just now. Please try again in a moment."
        )

    @app.errorhandler(Exception)
    async def unexpected_error(error: Exception):
        """The last resort: the error goes to the log, the shopper gets a calm 500 page."""
        log.exception("unhandled error")
        return await error_response(
            500,
            "Something went wrong",
            "Sorry, something went wrong on our side. Nothing was changed; please try again.",
        )
