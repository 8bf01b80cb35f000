"""The delivery check's one route. Without JavaScript the product page's "Check delivery" form
is a GET to the product page itself (?pin=560001): checking a PIN changes nothing on the server,
so it is a GET that can be bookmarked and reloaded, and the answer appears in place on the page
the shopper was reading (a POST+303 would need a CSRF token and a redirect to show the same
thing). htmx sends the same form here instead and swaps in just the answer region."""

from __future__ import annotations

from quart import Blueprint, abort, request

from ..db import get_conn
from ..htmx import fragment, is_htmx
from ..pages import render_page
from . import extras, queries  # noqa: F401 # extras registers the product page's region
from .check import delivery_check

bp = Blueprint("delivery", __name__)


@bp.get("/products/<slug>/delivery")
async def estimate(slug: str):
    """The answer for ?pin=: the region for htmx (422 for a malformed PIN, which htmx swaps in
    like any answer), a small page of its own for a plain request to this address."""
    conn = await get_conn()
    product = await queries.select_product_for_estimate(conn, slug)
    if product is None:
        abort(404)
    # no ?pin= at all: the PIN this session checked before, if any; an empty one is a message
    context = await delivery_check(conn, product, request.args.get("pin"))
    status = 422 if context["delivery_error"] else 200
    if is_htmx():
        return await fragment("delivery/_delivery_estimate.html", status=status, product=product, **context)
    return await render_page("delivery/check.html", status=status, product=product, **context)
