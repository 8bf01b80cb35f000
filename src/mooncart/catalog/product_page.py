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
# Each is `async extra(conn, product) -> dict` and its dict joins the page's context. Two kinds:
# - a *region* (product_page_region) shows every visitor the same (the look, the recommendation
#   rows, a guest's reviews): with the shared cache on, it is rendered into the page's cached HTML
#   (page_cache.py) and not even called while that HTML is fresh;
# - an *extra* (product_page_extra) is this visitor's own (the delivery check, recently viewed, a
#   signed-in shopper's reviews) or must happen on every view (counting it): called every time.
Extra = Callable[[Any, dict], Awaitable[dict]]
_extras: list[Extra] = []
_regions: list[Extra] = []


def product_page_extra(extra):
    """Register a visitor's own region's context function (or a per-view step) for every product page."""
    if extra not in _extras:
        _extras.append(extra)
    return extra


def product_page_region(region):
    """Register the context function of a region every visitor sees alike (cached as HTML)."""
    if region not in _regions:
        _regions.append(region)
    return region


# What of the visitor the shared regions still show (the hearts of the signed-in shopper's wished
# products, in the recommendation rows and on a listing's cards): `async part(conn) -> value`,
# registered by its owner (wishlist/hearts.py) under the context name the templates read. The
# value joins the key of the cached HTML (page_cache.py, listing_cache.py), so each distinct value
# has its own entry and nobody is shown another's.
_visitor_parts: dict[str, Callable[[Any], Awaitable[Any]]] = {}


def product_page_varies_with(name: str):
    """Register `async part(conn)`, whose value the templates read as `name` in shared regions."""

    def register(part):
        _visitor_parts[name] = part
        return part

    return register


def picker_source(source: PickerSource) -> PickerSource:
    """Register `async source(conn, product_id, variants)`, which gives a product's picker for this
    request from the catalogue's variant rows (in colour then size order)."""
    global _picker_source
    _picker_source = source
    return source


def visitor_part_names() -> list[str]:
    """The context names of the registered visitor parts."""
    return sorted(_visitor_parts)


async def visitor_parts(conn) -> dict:
    """This request's value of every registered visitor part, by its context name (the listing's
    cached HTML shows the same hearts: listing_cache.py)."""
    return {name: await part(conn) for name, part in sorted(_visitor_parts.items())}


async def product_data(conn, slug: str) -> dict | None:
    """The product with its variants (their stock) and images: from the shared cache while no
    stock event for one of its variants and no staff edit came since it was read (cache.py)."""
    return await cache.current().get_or_load(
        cache.key("product", slug),
        lambda: queries.select_product_page(conn, slug),
        generations=[cache.CATALOG],
        generations_of=lambda page: [cache.variant(v["id"]) for v in page["variants"]],
    )


async def picker_for(conn, page: dict):
    """This request's picker for a product page's data (the bag's picker_source)."""
    if _picker_source is None:
        raise RuntimeError("no picker registered: the bag area registers it when it is imported")
    return await _picker_source(conn, page["product"]["id"], page["variants"])


def page_context(page: dict, picker) -> dict:
    """The catalogue's own part of the page's context: the product, its picker and photos."""
    product = page["product"]
    colours: dict[str, list[dict]] = {}
    for variant in picker.variants:
        colours.setdefault(variant["colour"], []).append(variant)
    sizes = [v["size"] for v in sorted(picker.variants, key=lambda v: v["size_position"])]
    return dict(
        product=product,
        picker=picker,
        variants_by_colour=colours,
        images=page["images"],
        size_chart=size_chart(page["size_chart"], sizes),
    )


async def region_context(conn, product: dict) -> dict:
    """What the regions every visitor sees alike need (the look, recommendations, reviews)."""
    context: dict = {}
    for region in _regions:
        context.update(await region(conn, product))
    return context


async def visitor_context(conn, product: dict) -> dict:
    """What only this visitor sees (and the per-view steps): the extras, then the visitor parts."""
    context: dict = {}
    for extra in _extras:
        context.update(await extra(conn, product))
    for name, part in _visitor_parts.items():
        if name not in context:
            context[name] = await part(conn)
    return context


async def product_page_context(conn, slug: str) -> dict | None:
    """Everything the product page shows; None when there is no such product. One statement for
    the product with its variants, images, fit note and size chart (none while the cache holds
    them: see cache.py), one for what a bag holds of it or the shopper's own holds (only when
    there is a bag or a signed-in shopper), and the registered regions' and extras' own (reviews,
    recommendations and the look: five for a visitor, none of them while cached; the delivery
    check: one when the shopper has given a PIN; recently viewed: one when there is its cookie)."""
    page = await product_data(conn, slug)
    if page is None:
        return None
    context = page_context(page, await picker_for(conn, page))
    context.update(await region_context(conn, context["product"]))
    context.update(await visitor_context(conn, context["product"]))
    return context
