"""Rendering a whole page: the layout's shared data (the bag count, who is signed in, the
category navigation) plus the view's own.

Every area renders pages, so this module imports none of them. Instead each area registers the
part of the layout it owns with `@layout_part` (bag/carts.py, accounts/auth.py,
catalog/reference.py), and render_page asks every part once per page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart import Response, render_template

from .db import get_conn
from .htmx import vary_on_htmx

LayoutPart = Callable[[Any, dict], Awaitable[None]]
_layout_parts: list[LayoutPart] = []


def layout_part(part: LayoutPart) -> LayoutPart:
    """Register `async part(conn, context)`: it puts the layout values it owns into a page's
    context, leaving any the view already gave (a view that knows the bag count passes it)."""
    _layout_parts.append(part)
    return part


async def render_page(template: str, status: int = 200, **context) -> Response:
    """A full page: the layout's parts, then the view's template."""
    conn = await get_conn()
    for part in _layout_parts:
        await part(conn, context)
    body = await render_template(template, **context)
    return vary_on_htmx(Response(body, status=status, content_type="text/html; charset=utf-8"))
