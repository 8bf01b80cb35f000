"""What a product page shows, gathered in one place so the page and a re-rendered form with an
error (from the bag's routes) cannot drift apart."""

from __future__ import annotations

from ..bag.token import read_bag_cookie
from ..insights.page import product_insights
from . import queries
from .availability import MAX_PER_LINE, Availability
from .size_guide import size_guide


async def product_page_context(conn, slug: str) -> dict | None:
    """Everything the product page shows; None when there is no such product."""
    product = await queries.select_product(conn, slug)
    if product is None:
        return None
    variants = await queries.select_variants(conn, product["id"], read_bag_cookie().token)
    for variant in variants:
        variant["availability"] = Availability(variant["stock"], variant["in_bag"])
    colours: dict[str, list[dict]] = {}
    for variant in variants:
        colours.setdefault(variant["colour"], []).append(variant)
    images = await queries.select_images(conn, product["id"])
    first_choice = next((v for v in variants if v["availability"].can_add_more), None)
    return dict(product=product, variants=variants, variants_by_colour=colours, images=images,
                size_guide=size_guide([v["size"] for v in sorted(variants, key=lambda v: v["size_position"])]),
                first_choice=first_choice, max_per_line=MAX_PER_LINE, **await product_insights(conn, product))
