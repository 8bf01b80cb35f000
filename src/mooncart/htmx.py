"""htmx 4 helpers: tell a fragment request from a page request, and answer each with the right HTML."""

from __future__ import annotations

from inspect import isawaitable
from typing import cast

from jinja2 import Environment
from quart import Response, current_app, has_request_context, redirect, request


def is_htmx() -> bool:
    """An htmx request that wants a fragment. History restores always get a full page."""
    req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy look-up
    # the shop's requests keep their headers by lower-cased name (security.ShopRequest); another
    # app's (the bench's bare reference) are read through Werkzeug's case-insensitive get()
    headers = getattr(req, "header_map", None) or {
        name: req.headers.get(name) for name in ("hx-request", "hx-history-restore-request")
    }
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


def vary_on_htmx(response: Response) -> Response:
    """One URL answers both a page and a fragment, so caches must key on HX-Request."""
    response.vary.add("HX-Request")
    return response


def _sync_templates(app) -> Environment:
    """The app's Jinja environment without async mode: the same loader, filters, globals and
    settings (an overlay shares them), its own cache of compiled templates. Quart compiles every
    template for async rendering, which wraps each call and loop in an awaitable check; none of
    our templates awaits anything, and rendering them synchronously is 15-25% cheaper (measured
    in docs/BENCHMARKS.md)."""
    env = app.extensions.get("mooncart_sync_jinja")
    if env is None:
        env = app.extensions["mooncart_sync_jinja"] = app.jinja_env.overlay(enable_async=False)
    return env


def template_environment(app) -> Environment:
    """The environment `render` uses (for code that renders part of a page itself: page_cache.py)."""
    return _sync_templates(app)


async def _context_processors(app, context: dict) -> dict:
    """What Quart's update_template_context adds (g, request, session, quart-auth's current_user),
    the view's own values winning, except that a plain function is called here: Quart would run
    it in a worker thread (quart-auth's is one), a thread hand-off on every render that cost more
    than rendering add to bag's reply."""
    names = [None, *reversed(request.blueprints)] if has_request_context() else [None]
    extra: dict = {}
    for name in names:
        for processor in app.template_context_processors[name]:
            values = processor()
            extra.update(await values if isawaitable(values) else values)
    extra.update(context)
    return extra


def call_context_processors_inline(app) -> None:
    """Give `app` an update_template_context that calls plain context processors inline, so Quart's
    own render_template (error pages, live stream, garment art) makes no thread hand-off either.
    The context is exactly Quart's: every processor's values, the view's own winning."""

    async def update_template_context(context: dict) -> None:
        """Run the context processors for a fragment too, so it sees what a page would."""
        context.update(await _context_processors(app, context))

    app.update_template_context = update_template_context


async def render(template: str, **context) -> str:
    """Quart's render_template, cheaper: the same context, rendered by a synchronous Jinja
    environment with no thread hand-off for context processors. Quart's template signals are
    not sent (nothing in the shop listens to them). Templates are compiled once per worker and
    kept by Jinja (auto_reload is off unless debugging): nothing about stock is cached here."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a werkzeug LocalProxy
    context = await _context_processors(app, context)
    return _sync_templates(app).get_template(template).render(context)


# what the context processors add (Quart's g, request and session, quart-auth's current_user,
# wishlist's wished_ids): a template rendered without them must name none of these
PROCESSOR_NAMES = frozenset({"g", "request", "session", "current_user", "wished_ids"})


def render_given(template: str, **context) -> str:
    """Render with only the values given and the environment's globals (url_for, csrf_field,
    csp_nonce...), without the context processors: for the hot htmx replies whose templates use
    none of PROCESSOR_NAMES (tests/shared/test_htmx_render.py checks them). The processors cost
    add to bag's reply 157 Python calls a request (bench/calls.py), half the reply."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a werkzeug LocalProxy
    return _sync_templates(app).get_template(template).render(context)


def _fragment_response(body: str, status: int) -> Response:
    # Vary: HX-Request set as the response is made (what vary_on_htmx adds to a new one)
    return Response(body, status=status, headers={"Vary": "HX-Request"}, content_type="text/html; charset=utf-8")


async def fragment(template: str, status: int = 200, **context) -> Response:
    """Render a partial template alone (no base layout)."""
    return _fragment_response(await render(template, **context), status)


def fragment_given(template: str, status: int = 200, **context) -> Response:
    """A fragment rendered from the given values and the globals only (render_given)."""
    return _fragment_response(render_given(template, **context), status)


def see_other(location: str) -> Response:
    """The no-JavaScript answer to a successful POST: 303 to a page that shows the result."""
    return cast(Response, redirect(location, 303))  # Quart builds its own Response; typed as werkzeug's
