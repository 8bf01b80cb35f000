"""Rendering a whole page: the layout's shared data (bag count, navigation) plus the view's own."""

from __future__ import annotations

from quart import Response, render_template

from .accounts.auth import current_shopper
from .bag.queries import select_bag_count
from .bag.token import clear_bag_cookie, read_bag_cookie
from .catalog.reference import reference_data
from .db import get_conn
from .htmx import vary_on_htmx


async def render_page(template: str, status: int = 200, **context) -> Response:
    """A full page: the header needs the bag count and the category navigation."""
    conn = await get_conn()
    cookie = read_bag_cookie()
    if "bag_count" not in context:
        context["bag_count"] = await select_bag_count(conn, cookie.token)
    context.setdefault("shopper", await current_shopper())
    if "nav_categories" not in context:
        context["nav_categories"] = (await reference_data(conn)).categories
    if cookie.tampered:
        context.setdefault("notices", []).append(
            "Your bag cookie could not be verified, so we set it aside and started you a fresh bag.")
    body = await render_template(template, **context)
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    if cookie.tampered:
        clear_bag_cookie(response)
    return vary_on_htmx(response)
