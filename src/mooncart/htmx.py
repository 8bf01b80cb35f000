"""htmx 4 helpers: tell a fragment request from a page request, and answer each with the right HTML."""

from __future__ import annotations

from typing import cast

from quart import Response, redirect, render_template, request


def is_htmx() -> bool:
    """An htmx request that wants a fragment. History restores always get a full page."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def vary_on_htmx(response: Response) -> Response:
    """One URL answers both a page and a fragment, so caches must key on HX-Request."""
    response.vary.add("HX-Request")
    return response


async def fragment(template: str, status: int = 200, **context) -> Response:
    """Render a partial template alone (no base layout)."""
    body = await render_template(template, **context)
    return vary_on_htmx(Response(body, status=status, content_type="text/html; charset=utf-8"))


def see_other(location: str) -> Response:
    """The no-JavaScript answer to a successful POST: 303 to a page that shows the result."""
    return cast(Response, redirect(location, 303))  # Quart builds its own Response; typed as werkzeug's
