"""Shop pages: home, category listings, product pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from quart import Blueprint, abort, current_app, flash, redirect, request, url_for

from ..accounts.auth import account_key, login_required, signed_in_shopper
from ..accounts.forms import clean_text
from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..limits import hourly_limit
from ..pages import render_page
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
                             nav_categories=categories)


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


@bp.post("/products/<slug>/reviews")
@hourly_limit("REVIEWS_PER_HOUR", account_key)
@login_required
async def review(slug: str):
    """A signed-in shopper reviews a product (once: a second review updates the first); an
    incomplete review is a 422 with the product page and the form's messages."""
    conn = await get_conn()
    product = await queries.select_product(conn, slug)
    if product is None:
        abort(404)
    form = await request.form
    rating = form.get("rating", "")
    values: dict[str, Any] = {"rating": int(rating) if rating in {"1", "2", "3", "4", "5"} else None,
              "title": clean_text(form.get("title"), 120), "body": clean_text(form.get("body"), 2000)}
    errors = {}
    if values["rating"] is None:
        errors["rating"] = "Choose from 1 to 5 stars."
    if len(values["body"]) < 10:
        errors["body"] = "Tell other shoppers a little more (at least 10 characters)."
    if errors:
        context = await product_page_context(conn, slug) or {}
        return await render_page("catalog/product.html", status=422, review_values=values, review_errors=errors,
                                 **context)
    shopper = await signed_in_shopper()
    new = await queries.upsert_review(conn, product["id"], shopper["id"], **values)
    await flash("Thank you for your review!" if new else "Your review is updated.")
    return see_other(url_for("catalog.product", slug=slug) + "#reviews-heading")
