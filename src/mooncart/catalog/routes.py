"""Shop pages: home, category listings, product pages."""

from __future__ import annotations

from urllib.parse import urlencode

from quart import Blueprint, abort, current_app, redirect, request, url_for

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
    return await render_page(
        "catalog/home.html",
        categories=categories,
        arrivals=arrivals,
        nav_categories=categories,
        picks=await home_picks(conn),
    )


def moved_to(endpoint: str, slug: str):
    """301 to the page's one address (lower-case slug, no trailing slash), keeping the query."""
    query = urlencode(list(request.args.items(multi=True)))
    return redirect(url_for(endpoint, slug=slug) + (f"?{query}" if query else ""), 301)


@bp.get("/c/<slug>/")
async def category_with_slash(slug: str):
    """A hand-typed or pasted link with a trailing slash."""
    return moved_to("catalog.category", slug.lower())


@bp.get("/products/<slug>/")
async def product_with_slash(slug: str):
    """A product URL with a trailing slash moves permanently to the canonical one (one URL per page)."""
    return moved_to("catalog.product", slug.lower())


@bp.get("/c/<slug>")
async def category(slug: str):
    """A category's products, filtered and sorted by the query string, one keyset page at a time.
    The filter form swaps the results region; "More" appends the next cards; without htmx every
    link and the form load the whole page."""
    conn = await get_conn()
    reference = await reference_data(conn)
    current = queries.find_category(reference.categories, slug)
    if current is None:
        if slug != slug.lower() and queries.find_category(reference.categories, slug.lower()) is not None:
            return moved_to("catalog.category", slug.lower())  # /c/KURTIS, typed by hand
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
    if context["product"]["slug"] != slug:  # the collation matched /products/KURTA-...: one address per page
        return moved_to("catalog.product", context["product"]["slug"])
    return await render_page("catalog/product.html", **context)
