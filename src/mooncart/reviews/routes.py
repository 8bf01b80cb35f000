"""Writing reviews, listing them, and "Was this helpful?" votes. Staff moderation lives in the
back office (admin/reviews.py)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, abort, flash, request, url_for

from ..accounts.auth import account_key, current_shopper, login_required, signed_in_shopper
from ..accounts.forms import clean_text
from ..catalog import queries as catalog_queries
from ..catalog.product_page import product_page_context
from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..limits import hourly_limit
from ..pages import render_page
from . import extras, queries  # noqa: F401 # extras adds the reviews region to every product page
from .page import parse_review_args, review_list

bp = Blueprint("reviews", __name__)

ID = "<int(max=4294967295):review_id>"
NOT_RECEIVED = (
    "Only shoppers who have received this product can review it, so every review here is from a verified buyer."
)


def read_review_form(form) -> tuple[dict, dict]:
    """The form's values, cleaned, and a message per field that is wrong."""
    rating = form.get("rating", "")
    fit = form.get("fit", "")
    values: dict[str, Any] = {
        "rating": int(rating) if rating in {"1", "2", "3", "4", "5"} else None,
        "title": clean_text(form.get("title"), 120),
        "body": clean_text(form.get("body"), 2000),
        "fit": fit if fit in queries.FIT_LABELS else None,
    }
    errors = {}
    if values["rating"] is None:
        errors["rating"] = "Choose from 1 to 5 stars."
    if len(values["body"]) < 10:
        errors["body"] = "Tell other shoppers a little more (at least 10 characters)."
    if fit not in ("", "none") and values["fit"] is None:
        errors["fit"] = "Choose how it fitted."
    return values, errors


@bp.post("/products/<slug>/reviews")
@hourly_limit("REVIEWS_PER_HOUR", account_key)
@login_required
async def create(slug: str):
    """Post or replace one's review. Only a shopper who received the product may: anyone else
    gets the product page back with the reason (403), and nothing is stored."""
    conn = await get_conn()
    product = await catalog_queries.select_product(conn, slug)
    if product is None:
        abort(404)
    shopper = await signed_in_shopper()
    values, errors = read_review_form(await request.form)
    rights = await queries.select_review_rights(conn, product["id"], shopper["id"])
    status = 422
    if not rights["received"]:
        errors, status = {"form": NOT_RECEIVED}, 403
    if errors:
        context = await product_page_context(conn, slug) or {}
        return await render_page(
            "catalog/product.html", status=status, review_values=values, review_errors=errors, **context
        )
    new = await queries.upsert_review(conn, product["id"], shopper["id"], **values)
    await flash("Thank you for your review!" if new else "Your review is updated.")
    return see_other(url_for("catalog.product", slug=slug) + "#reviews-heading")


@bp.get("/products/<slug>/reviews")
async def index(slug: str):
    """The reviews of a product, sorted and filtered: the list region for htmx, a page of its
    own without JavaScript (the product page's sort form submits here)."""
    conn = await get_conn()
    product = await catalog_queries.select_product(conn, slug)
    if product is None:
        abort(404)
    sort, stars, page = parse_review_args(request.args)
    context = await review_list(conn, product["id"], await current_shopper(), sort, stars, page)
    if is_htmx():
        return await fragment("reviews/_review_list.html", product=product, **context)
    return await render_page("reviews/reviews.html", product=product, **context)


@bp.post("/reviews/" + ID + "/helpful")
@login_required
async def helpful(review_id: int):
    """ "Was this helpful?": one vote per shopper, never for her own review. htmx gets the
    button's region back; without JavaScript, the product page."""
    conn = await get_conn()
    review = await queries.select_review(conn, review_id)
    if review is None or review["hidden_at"] is not None:
        abort(404)
    shopper = await signed_in_shopper()
    own = review["user_id"] == shopper["id"]
    if not own:
        await queries.add_helpful_vote(conn, review_id, shopper["id"])
    if is_htmx():
        return await fragment(
            "reviews/_helpful.html",
            review=dict(
                id=review_id,
                helpful_count=await queries.select_helpful_count(conn, review_id),
                voted=not own,
                user_id=review["user_id"],
            ),
            shopper=shopper,
        )
    await flash("That's your own review." if own else "Thank you for your vote.")
    return see_other(url_for("catalog.product", slug=review["product_slug"]) + f"#review-{review_id}")


@bp.get("/loved")
async def loved():
    """ "Loved by buyers": products ranked by their sentiment-weighted rating with a Bayesian
    prior (a single 5-star review does not win), optionally in one category."""
    from ..catalog import queries as catalog_queries
    from ..catalog.reference import reference_data
    from ..insights.queries import select_loved

    conn = await get_conn()
    tree = (await reference_data(conn)).categories
    slug = request.args.get("category", "")
    category = catalog_queries.find_category(tree, slug) if slug else None
    ids = [category.id] + [child.id for child in category.children] if category else None
    products = await select_loved(conn, 24, ids)
    return await render_page("reviews/loved.html", products=products, category=category, categories=tree)
