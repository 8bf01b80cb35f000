"""Recently viewed products, kept without any script: the product page's response writes a
cookie of product ids (newest first, at most RECENT_LIMIT), and the product page and the bag
page show them as a row of cards. One statement loads the cards, none when the cookie is empty;
the product being viewed is not shown in its own row. The ids are only ever looked up, so the
cookie needs no signature: a bad value is ignored (rules.read_recent)."""

from __future__ import annotations

from quart import after_this_request, request

from ..bag.extras import add_page_region
from ..catalog.product_page import product_page_extra
from ..htmx import is_htmx
from . import queries
from .rules import read_recent, remember, write_recent

COOKIE_NAME = "mooncart_recent"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30  # a month, as the bag


def recent_ids() -> list[int]:
    """The ids in this request's cookie, newest first (bad values dropped)."""
    return read_recent(request.cookies.get(COOKIE_NAME))


@product_page_extra
async def recently_viewed_on_product_page(conn, product: dict) -> dict:
    """The product page's row of recently viewed products (not this one), and the cookie put
    right for the next page: this product first."""
    recent = recent_ids()
    updated = remember(recent, product["id"])
    if updated != recent:

        @after_this_request
        def remember_the_view(response):
            """Write the recently-viewed cookie on the product page's response."""
            response.set_cookie(
                COOKIE_NAME,
                write_recent(updated),
                max_age=COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure,
                path="/",
            )
            return response

    return {"recently_viewed": await queries.select_cards(conn, [i for i in recent if i != product["id"]])}


@add_page_region
async def recently_viewed_on_bag_page(conn, summary, **_message) -> dict:
    """The bag page's row of recently viewed products. The bag's htmx replies (a line changed)
    render no such row, so they do not read it."""
    if is_htmx():
        return {}
    return {"recently_viewed": await queries.select_cards(conn, recent_ids())}
