"""A category listing's HTML from the shared cache (only when there is one: cache.py), on the
product page's design (page_cache.py). With its rows and facet counts cached, rendering the 44 KB
page (24 cards, the facets) was most of what a listing cost, so what every visitor asking the
same question sees alike is kept rendered: the page's `content` block, the filter reply (results
and facets) and the "More" reply (the next cards), each its own entry.

What belongs to one request is never in that HTML:
- the CSRF token and the CSP nonce are salted marks in it, replaced on every response by the
  request's own (so no visitor is ever sent another's token);
- the page's own address (where a heart and the my-sizes switch come back to without JavaScript,
  and the my-sizes link returns to) likewise: a query string of tracking arguments shares the
  entry of the listing it asks for, and gets its own address back;
- the layout around the page (header, bag count, who is signed in, flashed messages) is rendered
  as always.

What the shared HTML shows of the visitor is part of the entry's key: her sizes as this listing
sees them (which of them, whether it shows only those; which of them each card has in stock is
read inside the render, under the stock generation) and the registered visitor parts (the hearts
she filled, product_page.visitor_parts). Nothing else on a listing is hers: a signed-in shopper
and a staff user asking the same get the same entry as a guest with the same hearts and sizes.

Freshness: the key holds the question (the category, the parsed query string, the page size,
this worker's categories, sizes and colours) and never the answer; the answer (cards, stock,
prices, ratings, facet counts) is read inside the render, under the entry's generations (catalog,
stock, reviews) taken before it, as every cache entry is (cache.py). So a request after any stock,
price, catalogue or review event misses and renders from committed rows."""

from __future__ import annotations

from quart import Response, current_app

from .. import cache
from ..htmx import is_htmx, vary_on_htmx
from ..pages import render_page
from . import product_page
from .listing import ListingAsked, listing_asked, listing_context, listing_template, own_addresses
from .page_cache import digest, fill, filler, render_shared
from .queries import Category
from .reference import Reference

# The request's own values in the shared HTML (listing.own_addresses), filled on every response
VALUES = ("heart_next", "here", "my_sizes_url")
GENERATIONS = (cache.CATALOG, cache.STOCK, cache.REVIEWS)  # cards' stock, prices and ratings; facets
FORMAT = "v1"  # {"html", "salt"} with page_cache's marks; raise it when they change


def _reference_print(app, reference: Reference) -> str:
    """A digest of this worker's categories, sizes and colours (names, blurbs, the filters'
    choices), made once per copy: two workers whose copies differ (reference.py lets one lag for
    REFERENCE_CACHE_SECONDS) never read each other's HTML, so the lag stays as short as it is."""
    held = app.extensions.get("mooncart_listing_reference")
    if held is None or held[0] is not reference:
        held = app.extensions["mooncart_listing_reference"] = (reference, digest(repr(reference)))
    return held[1]


def _key(app, reference: Reference, current: Category, template: str, asked: ListingAsked, page_size: int, parts):
    """The entry's key: the category, then a digest of the question and the visitor's parts."""
    mine = asked.mine
    question = digest(
        template,
        _reference_print(app, reference),
        current.id,
        repr(asked.listing),  # the parsed query string: filters, sort, cursor, notices, the form's values
        [mine.ids, mine.others, mine.labels, mine.only_mine, mine.active],
        page_size,
        parts,
    )
    return f"listing-html:{FORMAT}:{current.slug}:{question}"


async def cached_listing(conn, reference: Reference, current: Category, args, page_size: int) -> Response:
    """A listing's page or htmx reply with its shared part from the cache. A guest without sizes
    costs no statement while the entry is fresh; she who has set sizes or signed in costs what
    reading those costs (a statement each)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a werkzeug LocalProxy
    asked = await listing_asked(conn, reference, current, args)
    template = listing_template(asked.listing)
    fragment = is_htmx()
    parts = await product_page.visitor_parts(conn)

    async def render() -> dict:
        context = await listing_context(conn, reference, current, args, page_size, asked=asked)
        context.update(parts)  # the hearts she filled, as the layout gives them to a whole render
        return render_shared(app, template, context, values=VALUES, block=None if fragment else "content")

    entry = await cache.current().get_or_load(
        _key(app, reference, current, template, asked, page_size, parts), render, generations=GENERATIONS
    )
    addresses = own_addresses()
    if fragment:
        body = fill(entry, addresses)
        return vary_on_htmx(Response(body, content_type="text/html; charset=utf-8"))
    context = dict(parts, **addresses)
    context.update(nav_categories=reference.categories, category=current, listing_html=filler(entry, values=VALUES))
    return await render_page(template, **context)
