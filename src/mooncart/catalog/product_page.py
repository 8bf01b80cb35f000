"""What a product page shows, gathered in one place so the page and a re-rendered form with an
error (a review here, an add-to-bag from the bag's routes) cannot drift apart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .. import cache
from . import queries
from .size_guide import size_chart

# The colour and size picker shows what this shopper's bag holds and allows, which is the bag's
# business; the bag imports the catalogue, so it registers its picker here (bag/picker.py) rather
# than the catalogue importing the bag. The catalogue reads the product's variants (with their
# stock, fresh on every request) in the same statement as the product; the bag adds what this
# shopper's bag holds of each (a statement only when there is a bag) and gives the picker:
# `variants` (rows with size, colour, price, stock and an `availability`), `first_choice` and
# `max_quantity`.
PickerSource = Callable[[Any, int, list[dict]], Awaitable[Any]]
_picker_source: PickerSource | None = None


# Regions other areas add to the product page (reviews and recommendations: reviews/extras.py),
# registered the same way and for the same reason: they import the catalogue, not the reverse.
# Each is `async extra(conn, product) -> dict` and its dict joins the page's context.
_extras: list[Callable[[Any, dict], Awaitable[dict]]] = []


def product_page_extra(extra):
    """Register a region's context function for every product page."""
    if extra not in _extras:
        _extras.append(extra)
    return extra


def picker_source(source: PickerSource) -> PickerSource:
    """Register `async source(conn, product_id, variants)`, which gives a product's picker for this
    request from the catalogue's variant rows (in colour then size order)."""
    global _picker_source
    _picker_source = source
    return source


async def product_data(conn, slug: str) -> dict | None:
    """The product with its variants (their stock) and images: from the shared cache while no
    stock event for one of its variants and no staff edit came since it was read (cache.py)."""
    return await cache.current().get_or_load(
        cache.key("product", slug),
        lambda: queries.select_product_page(conn, slug),
        generations=[cache.CATALOG],
        generations_of=lambda page: [cache.variant(v["id"]) for v in page["variants"]],
    )


async def product_page_context(conn, slug: str) -> dict | None:
    """Everything the product page shows; None when there is no such product. One statement for
    the product with its variants, images, fit note and size chart (none while the cache holds
    them: see cache.py), one for what a bag holds of it (only when there is a bag), and the
    registered extras' own (reviews and recommendations: four for a visitor, none of them while
    cached; the delivery check: one when the shopper has given a PIN)."""
    page = await product_data(conn, slug)
    if page is None:
        return None
    product, images = page["product"], page["images"]
    if _picker_source is None:
        raise RuntimeError("no picker registered: the bag area registers it when it is imported")
    picker = await _picker_source(conn, product["id"], page["variants"])
    colours: dict[str, list[dict]] = {}
    for variant in picker.variants:
        colours.setdefault(variant["colour"], []).append(variant)
    sizes = [v["size"] for v in sorted(picker.variants, key=lambda v: v["size_position"])]
    context = dict(
        product=product,
        picker=picker,
        variants_by_colour=colours,
        images=images,
        size_chart=size_chart(page["size_chart"], sizes),
    )
    for extra in _extras:
        context.update(await extra(conn, product))
    return context
