"""Shop pages: home, category listings, product pages."""

from __future__ import annotations

from quart import Blueprint, abort, current_app, request

from ..db import get_conn
from ..htmx import fragment, is_htmx
from ..pages import render_page
from ..recommendations.page import home_picks
from . import queries
from .listing import listing_context
from .product_page import product_page_context
from .reference import reference_data

bp = Blueprint("catalog", __name__)


@bp.get("/")
async def home():
    """The home page: the categories and the newest arrivals."""
    conn = await get_conn()
    categories = (await reference_data(conn)).categories
    arrivals = await queries.select_new_arrivals(conn, limit=8)
    return await render_page("catalog/home.html", categories=categories, arrivals=arrivals,
                             nav_categories=categories, picks=await home_picks(conn))


@bp.get("/c/<slug>")
async def category(slug: str):
    """A category's products, filtered and sorted by the query string, one keyset page at a time.
    The filter form swaps the results region; "More" appends the next cards; without htmx every
    link and the form load the whole page."""
    conn = await get_conn()
    reference = await reference_data(conn)
    current = queries.find_category(reference.categories, slug)
    if current is None:
        abort(404)
    context = await listing_context(conn, reference, current, request.args, current_app.config["PAGE_SIZE"])
    if is_htmx():
        if context["listing"].after is not None:
            return await fragment("catalog/replies/more_products.html", **context)
        return await fragment("catalog/_listing_results.html", **context)
    return await render_page("catalog/listing.html", nav_categories=reference.categories, **context)


@bp.get("/products/<slug>")
async def product(slug: str):
    """A product page: photos, the size and colour picker, stock, reviews; a 404 for no such product."""
    conn = await get_conn()
    context = await product_page_context(conn, slug)
    if context is None:
        abort(404)
    return await render_page("catalog/product.html", **context)
