"""htmx 4 helpers: tell a fragment request from a page request, and answer each with the right HTML."""

from __future__ import annotations

from inspect import isawaitable
from typing import cast

from jinja2 import Environment
from quart import Response, current_app, has_request_context, redirect, request


def is_htmx() -> bool:
    """An htmx request that wants a fragment. History restores always get a full page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


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


async def fragment(template: str, status: int = 200, **context) -> Response:
    """Render a partial template alone (no base layout)."""
    body = await render(template, **context)
    return vary_on_htmx(Response(body, status=status, content_type="text/html; charset=utf-8"))


def see_other(location: str) -> Response:
    """The no-JavaScript answer to a successful POST: 303 to a page that shows the result."""
    return cast(Response, redirect(location, 303))  # Quart builds its own Response; typed as werkzeug's
