"""Shop pages: home, category listings, product pages."""

from __future__ import annotations

from quart import Blueprint, abort, current_app, request, url_for

from ..db import get_conn
from ..htmx import fragment, is_htmx
from ..pages import render_page
from ..recommendations.page import home_picks
from . import queries
from .product_page import product_page_context
from .reference import reference_data
from .listing import SORT_LABELS, make_cursor, parse_listing_args

bp = Blueprint("catalog", __name__)


@bp.get("/")
async def home():
    conn = await get_conn()
    categories = (await reference_data(conn)).categories
    arrivals = await queries.select_new_arrivals(conn, limit=8)
    return await render_page("catalog/home.html", categories=categories, arrivals=arrivals,
                             nav_categories=categories, picks=await home_picks(conn))


@bp.get("/c/<slug>")
async def category(slug: str):
    conn = await get_conn()
    reference = await reference_data(conn)
    tree, sizes, colours = reference.categories, reference.sizes, reference.colours
    current = queries.find_category(tree, slug)
    if current is None:
        abort(404)
    listing = parse_listing_args(request.args, sizes, colours)
    categories = [current] + current.children
    if listing.filters.size_ids:
        # an XS filter need not search the sarees: only categories that come in the chosen sizes
        wanted_groups = {s["size_group"] for s in sizes if s["id"] in listing.filters.size_ids}
        categories = [c for c in categories if c.size_group in wanted_groups] or categories[:1]
    category_ids = [c.id for c in categories]
    page_size = current_app.config["PAGE_SIZE"]
    rows = await queries.select_listing(conn, category_ids, listing.filters, listing.sort,
                                        listing.after, page_size)
    products, has_more = rows[:page_size], len(rows) > page_size
    next_url = None
    if has_more:
        next_url = url_for("catalog.category", slug=current.slug,
                           **listing.query_args(after=make_cursor(products[-1], listing.sort)))
    # offer only the sizes this category's clothes come in (no shoe sizes among the kurtis)
    size_groups = {child.size_group for child in current.children} or {current.size_group}
    filter_sizes = [size for size in sizes if size["size_group"] in size_groups]
    context = dict(category=current, products=products, next_url=next_url, listing=listing,
                   sizes=filter_sizes if len(filter_sizes) > 1 else [], colours=colours, sort_labels=SORT_LABELS)
    if is_htmx():
        # "Load more" appends the next cards; the filter form replaces the results region
        if listing.after is not None:
            return await fragment("catalog/_more_products.html", **context)
        return await fragment("catalog/_listing_results.html", **context)
    return await render_page("catalog/listing.html", nav_categories=tree, **context)


@bp.get("/products/<slug>")
async def product(slug: str):
    conn = await get_conn()
    context = await product_page_context(conn, slug)
    if context is None:
        abort(404)
    return await render_page("catalog/product.html", **context)
