"""What the search results page and the type-ahead show, in one place each, so the full page,
the filter reply and the "More" reply cannot disagree about what a query string means. The
filters, sorts and keyset pages are the category listings' own (catalog.listing), plus a
"Best match" order."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from quart import current_app, url_for
from werkzeug.datastructures import MultiDict

from .. import cache
from ..catalog import facet_index
from ..catalog import queries as catalog_queries
from ..catalog.facets import PRICE_BANDS, Facets, listing_facets, size_facet_filters
from ..catalog.listing import (
    DISCOUNT_CHOICES,
    ListingRequest,
    make_cursor,
    own_addresses,
    parse_cursor,
    parse_listing_args,
)
from ..catalog.listing import SORT_LABELS as LISTING_SORT_LABELS
from ..catalog.my_sizes import current_my_sizes, my_sizes_in_listing
from ..catalog.queries import ListingFilters, ProductCondition
from ..catalog.reference import Reference
from ..db import in_list
from ..htmx import is_htmx
from . import index, lexicon, queries
from .index import Matches
from .rules import (
    MAX_QUERY_LENGTH,
    Unit,
    did_you_mean,
    expression,
    normalise,
    stem,
    title_patterns,
    titles_may_match,
    understand,
)

RELEVANCE = "relevance"
SORT_LABELS = {RELEVANCE: "Best match", **LISTING_SORT_LABELS}
COUNT_CAP = 1000
SUGGESTIONS = 6
SUGGESTED_CATEGORIES = 3


@dataclass
class SearchRequest:
    typed: str  # what the shopper typed, for the box (escaped by Jinja like any text)
    query: str  # normalised: what is searched for and recorded
    listing: ListingRequest
    corrected_from: str | None = None  # the words that found nothing, when we show a correction's results
    notices: list[str] = field(default_factory=list)

    @property
    def has_filters(self) -> bool:
        """Any filter chosen (the sort is not a filter)."""
        listing = self.listing
        return bool(
            listing.chosen_sizes
            or listing.chosen_colours
            or listing.min_rupees
            or listing.max_rupees
            or listing.filters.in_stock_only
            or listing.filters.min_discount
        )

    def query_args(self, after: str | None = None, **changes: Any) -> dict[str, Any]:
        """The query string of this search (the "More" link, the chips): the listing's own,
        with the words and our sort (relevance, the default, is left out)."""
        args: dict[str, Any] = {"q": [self.query]}  # the words first: the address reads as the search
        args.update(self.listing.query_args(after=after))
        args.pop("sort", None)
        if self.listing.sort != RELEVANCE:
            args["sort"] = [self.listing.sort]
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, [], "")}


def parse_search_args(args, reference: Reference) -> SearchRequest:
    """The words, and the listing's filters, sort and cursor; bad values are dropped with a notice."""
    typed = (args.get("q") or "")[: MAX_QUERY_LENGTH * 2].strip()
    sort = args.get("sort") or RELEVANCE
    notices: list[str] = []
    if sort != RELEVANCE and sort not in catalog_queries.SORTS:
        notices.append("We didn't recognise that sort order, so we show the best matches first.")
        sort = RELEVANCE
    if sort == RELEVANCE:
        rest = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in ("sort", "after")])
        listing = parse_listing_args(rest, reference.sizes, reference.colours)
        listing.sort = RELEVANCE
        raw_after = args.get("after")
        listing.after = parse_cursor(raw_after, RELEVANCE)
        if raw_after and listing.after is None:
            listing.notices.append("That page link was out of date, so we started from the first page.")
    else:
        listing = parse_listing_args(args, reference.sizes, reference.colours)
    listing.notices[:0] = notices
    return SearchRequest(typed=typed, query=normalise(typed), listing=listing)


def _leaf_categories(reference: Reference) -> list:
    return [child for parent in reference.categories for child in (parent.children or [parent])]


def matching_categories(units: list[Unit], reference: Reference, limit: int) -> list:
    """The categories a query names ('sari' -> Sarees, 'kurta' -> Kurtis): a category word that
    begins with one of a unit's alternatives (singular), from the cached category tree."""
    stems = {stem(word) for unit in units for alt in unit.alternatives for word in alt.split() if len(word) >= 3}
    found = []
    for category in _leaf_categories(reference):
        words = [stem(w) for w in normalise(category.name).split()]
        if any(w.startswith(s) for w in words for s in stems):
            found.append(category)
    return found[:limit]


async def popular_categories(conn, reference: Reference) -> list:
    """The most viewed categories lately, else the menu's own order: a next step from an empty page."""
    leaves = _leaf_categories(reference)
    by_id = {c.id: c for c in leaves}
    ranked = [by_id[i] for i in await lexicon.popular_category_ids(conn) if i in by_id]
    return (ranked + [c for c in leaves if c not in ranked])[:8]


# With filters, the best-ranked matches are checked against them a chunk at a time, each chunk
# this many times bigger than the last, until a page of them passes: a filter most matches pass
# costs one statement, a narrow one a few, and the page is exact either way.
FIRST_CHUNK = 200
CHUNK_GROWTH = 4
# Popular and loved (and price and discount while the facet index is not ready, or with it for
# a match it does not hold): up to this many matches, or with filters the facet index cannot
# apply yet, their ids go to the database as a list to be sorted there; more
# matches and no filter (a common word), the listing's own order is walked over every category
# (its indexes) and the matches kept, in chunks sized by how many products match, never more than
# MAX_WALK_CHUNK rows a statement. Measured on 1,000,000 products (kurti, 99,747 matches): the
# walk 13 ms by popularity and 0.9 s by price (the cheapest products of the shop are rarely
# kurtis) against 6-7 s for the list; with size M in stock the walk checked every product it
# passed (3-17 s), so filters keep the list.
MAX_LISTED_IDS = 20_000
MAX_WALK_CHUNK = 20_000
# With the facet index ready, popular and loved need no filter in SQL (the matches that pass them
# are known), and the walk reads only the categories those are in, so it is taken from this many
# matches up: the list costs a random read of each product row (on 1,000,000 products, 6,259 ids
# for "maroon kurti": 0.7-0.9 s, the rows mostly not in the buffer pool), the walk the sort's
# narrow index in order (7-12 ms for 100,000 matches).
MAX_LISTED_BESIDE_INDEX = 2_000


async def find_matches(conn, units: list[Unit]) -> Matches:
    """What the units match, from this app's search index (search.index), caught up with the
    catalogue's changes."""
    return await index.app_matches(conn, current_app, title_patterns(units))


async def matching_bitset(conn, query: str) -> int:
    """The products a search's words (as typed or normalised) match, as a Python int: bit i set
    when product i matches. For the facet index, which counts a search's facets from it."""
    units = understand(normalise(query), await lexicon.synonyms(conn))
    return (await find_matches(conn, units)).bitset()


# the filter sets whose passing matches a search's words keep (with their sort keys): a crawler
# following price and filter links must not grow a worker's memory without bound (300 prices of
# "kurti" held 240 MB before this bound)
NARROWED_KEPT = 16


def _remember(found: Matches, filters: ListingFilters, narrowed: Matches) -> Matches:
    """Keep `narrowed` as these filters' matches, forgetting the oldest beyond NARROWED_KEPT."""
    while len(found.narrowed) >= NARROWED_KEPT:
        del found.narrowed[next(iter(found.narrowed))]
    found.narrowed[filters] = narrowed
    return narrowed


def _filtered(filters: ListingFilters) -> bool:
    return replace(filters, matching=None) != ListingFilters()


async def passing_matches(conn, found: Matches, filters: ListingFilters) -> Matches | None:
    """The matches that pass the listing's filters: every match with none; else those a page kept
    (found.narrowed), or the matches within the facet index's set of products the filters pass
    over the whole shop (FacetIndex.passing, caught up with the change feed: exact), kept for the
    next pages. None while the facet index cannot answer (being built, turned off): the pages
    then check the matches in SQL."""
    if not _filtered(filters):
        return found
    known = found.narrowed.get(filters)
    if known is not None:
        return known
    shop_filters = replace(filters, matching=None)
    passing = await facet_index.with_ready_index(current_app, conn, lambda index: index.passing(None, shop_filters))
    if passing is None:
        return None
    known = _remember(found, filters, found.within(passing))
    return known


# The sorts whose key the facet rows carry (price_paise is the listing's from_price_paise,
# discount_percent its discount_percent, written in the same transaction: inventory.queries), as
# (column of FacetIndex.sort_keys, ascending); ties by id in the same direction (catalog.queries.SORTS).
KEYED_SORTS = {"price_asc": ("price", True), "price_desc": ("price", False), "discount": ("discount", False)}
_ID_BITS = 32  # ids and prices are INT UNSIGNED: key << 32 | id is one uint64, ordered as the listing
_TOP = (1 << _ID_BITS) - 1


async def keyed_page(conn, members: Matches, sort: str, after: tuple[int, int] | None, limit: int) -> list[dict] | None:
    """A page by price or discount among `members` (the matches that pass the filters): their keys
    from the facet index (worked out once per matches and sort), those after the keyset cursor,
    the next limit + 1 by a partial sort. None when the facet index cannot answer, or does not
    hold one of them (then SQL sorts)."""
    column, ascending = KEYED_SORTS[sort]
    keys = members.orders.get(sort)
    if keys is None:
        values = await facet_index.with_ready_index(
            current_app, conn, lambda index: index.sort_keys(members.ids, column)
        )
        if values is None or bool((values < 0).any()):
            return None
        keys = members.orders[sort] = (values.astype(np.uint64) << np.uint64(_ID_BITS)) | members.ids.astype(np.uint64)
    if after is not None:
        key, product_id = after
        if key > _TOP:  # beyond any real cursor
            key, product_id = _TOP, _TOP
        bound = np.uint64(key << _ID_BITS | min(product_id, _TOP))
        keys = keys[keys > bound] if ascending else keys[keys < bound]
    need = limit + 1
    if len(keys) > need:
        cut = need - 1 if ascending else len(keys) - need
        part = np.argpartition(keys, cut)
        keys = keys[part[:need]] if ascending else keys[part[cut:]]
    keys = np.sort(keys) if ascending else np.sort(keys)[::-1]
    ids = (keys & np.uint64(_TOP)).tolist()
    return await queries.select_cards(conn, [(int(product_id), 0) for product_id in ids])


async def relevance_page(
    conn, found: Matches, filters: ListingFilters, after: tuple[int, int] | None, limit: int
) -> list[dict]:
    """Best match first (then newest): the next limit + 1 cards after the (score, id) cursor; with
    filters, among the matches that pass them (passing_matches), or while the facet index is not
    ready, the best matches checked in SQL a chunk at a time."""
    need = limit + 1
    known = await passing_matches(conn, found, filters)
    if known is not None:
        return await queries.select_cards(conn, known.ranked(after, need))
    passing: list[tuple[int, int]] = []
    cursor, size = after, max(FIRST_CHUNK, CHUNK_GROWTH * need)
    while len(passing) < need:
        chunk = found.ranked(cursor, size)
        if chunk:
            ok = await queries.select_passing_ids(conn, [product_id for product_id, _ in chunk], filters)
            passing += [pair for pair in chunk if pair[0] in ok]
        if len(chunk) < size:  # every match checked
            if after is None:
                _remember(found, filters, found.only([product_id for product_id, _ in passing]))
            break
        cursor, size = (chunk[-1][1], chunk[-1][0]), size * CHUNK_GROWTH
    return await queries.select_cards(conn, passing[:need])


async def newest_page(
    conn, found: Matches, filters: ListingFilters, after: tuple[int, int] | None, limit: int
) -> list[dict]:
    """Newest first: the matches' ids below the cursor, highest first; with filters, among those
    that pass them, as relevance_page finds them."""
    need = limit + 1
    below = None if after is None else after[1]
    known = await passing_matches(conn, found, filters)
    if known is not None:
        return await queries.select_cards(conn, [(product_id, 0) for product_id in known.newest(below, need)])
    passing: list[int] = []
    size = max(FIRST_CHUNK, CHUNK_GROWTH * need)
    while len(passing) < need:
        chunk = found.newest(below, size)
        if chunk:
            ok = await queries.select_passing_ids(conn, chunk, filters)
            passing += [product_id for product_id in chunk if product_id in ok]
        if len(chunk) < size:  # every match checked
            if after is None:
                _remember(found, filters, found.only(passing))
            break
        below, size = chunk[-1], size * CHUNK_GROWTH
    return await queries.select_cards(conn, [(product_id, 0) for product_id in passing[:need]])


async def count_matches(conn, found: Matches, filters: ListingFilters, cap: int) -> int:
    """How many products match, counted up to `cap`: the index's count, with filters of those that
    pass them (passing_matches); while the facet index is not ready, the matches checked against
    them in SQL a chunk at a time (each statement stopping at what is still needed) until `cap` pass."""
    known = await passing_matches(conn, found, filters)
    if known is not None:
        return min(len(known), cap)
    counted, below, size = 0, None, max(FIRST_CHUNK, 2 * cap)
    while counted < cap:
        chunk = found.newest(below, size)
        if not chunk:
            break
        counted += await queries.count_passing(conn, chunk, filters, cap - counted)
        below, size = chunk[-1], size * CHUNK_GROWTH
    return min(counted, cap)


async def sorted_walk_page(
    conn,
    found: Matches,
    filters: ListingFilters,
    sort: str,
    after: tuple[int, int] | None,
    limit: int,
    categories,
    products: int | None = None,
) -> list[dict]:
    """A page in a listing's order (price, discount, popular, loved) for many matches: the
    listing's order over these categories (category ids, or categories), read a chunk at a time
    after the cursor, keeping the products that are among `found`, until a page is found.
    `products`: about how many the categories hold (the chunk's size follows how many rows are
    read per match); `filters` are applied by the walk's statement (none: `found` already passed them)."""
    need = limit + 1
    member = np.zeros(int(found.ids[-1]) + 1, dtype=bool)
    member[found.ids] = True
    spread = max(1.0, (products or len(member)) / len(found))  # rows read per match, roughly
    size = min(MAX_WALK_CHUNK, max(FIRST_CHUNK, int(need * spread * 2)))
    category_ids = [getattr(category, "id", category) for category in categories]
    picked: list[int] = []
    cursor = after
    while len(picked) < need:
        rows = await queries.select_sorted_keys(conn, category_ids, filters, sort, cursor, size)
        picked += [product_id for product_id, _ in rows if product_id < len(member) and member[product_id]]
        if len(rows) < size:
            break
        cursor, size = (rows[-1][1], rows[-1][0]), min(MAX_WALK_CHUNK, size * 2)
    return await queries.select_cards(conn, [(product_id, 0) for product_id in picked[:need]])


async def _page(
    conn,
    units: list[Unit],
    found: Matches,
    listing: ListingRequest,
    page_size: int,
    reference: Reference,
    filters: ListingFilters | None = None,
) -> list[dict]:
    """One page of any sort. With the facet index ready, the filters are the matches that pass
    them (passing_matches): price and discount sort those by the facet rows' keys in memory;
    popular and loved send few of them to the database as a list, or walk the listing's order
    over the categories they are in, keeping them, with no filter in SQL. While it is not ready,
    the database applies the filters. `filters` are what the page applies (her sizes, say), else
    the listing's own."""
    filters = listing.filters if filters is None else filters
    sort, after = listing.sort, listing.after
    if sort == RELEVANCE:
        return await relevance_page(conn, found, filters, after, page_size)
    if sort == "new":
        return await newest_page(conn, found, filters, after, page_size)
    members = await passing_matches(conn, found, filters)
    if members is not None and sort in KEYED_SORTS:
        rows = await keyed_page(conn, members, sort, after, page_size)
        if rows is not None:
            return rows
    sql_filters = ListingFilters() if members is not None else filters
    members = found if members is None else members
    if not members:
        return []
    if _filtered(sql_filters) or len(members) <= MAX_LISTED_BESIDE_INDEX:
        return await queries.select_sorted_page(conn, members.ids.tolist(), sql_filters, sort, after, page_size)
    held = await facet_index.with_ready_index(current_app, conn, lambda index: index.categories_of(members.ids))
    if held is not None:  # only the categories the members are in (a word's few, not the shop's)
        # (None also when the index does not hold one of them: then every category, as without it)
        return await sorted_walk_page(
            conn, members, sql_filters, sort, after, page_size, sorted(held), sum(held.values())
        )
    if len(members) <= MAX_LISTED_IDS:
        return await queries.select_sorted_page(conn, members.ids.tolist(), sql_filters, sort, after, page_size)
    categories = []
    stack = list(reference.categories)
    while stack:  # every category, at any depth: a product may be in any of them
        category = stack.pop()
        categories.append(category)
        stack += category.children
    return await sorted_walk_page(conn, members, sql_filters, sort, after, page_size, categories)


def _cursor(row: dict, sort: str) -> str:
    return f"{row['score']}.{row['id']}" if sort == RELEVANCE else make_cursor(row, sort)


# While the facet index is being built (the first half-minute of a worker on a million products),
# the facets are counted in SQL with the matches listed: 0.03-0.3 s for 1,276 matches on 1,000,000
# products, 2.3 s for 6,259 and 15 s for 99,747 (the words' FULLTEXT in SQL instead: 0.3-0.6 s,
# 6.5 s and 50-60 s). So up to this many matches; above it the page shows the filters without
# counts until the index is ready, rather than keep the shopper waiting.
SQL_FACETS_MAX_MATCHES = 2000


def matches_condition(found: Matches) -> ProductCondition:
    """The matches as SQL on the products alias `p`, for the facets' statement: exactly the ids the
    index found, as parameters."""
    if not len(found):
        return ProductCondition("FALSE")
    placeholders, params = in_list([int(product_id) for product_id in found.ids], "matched")
    return ProductCondition("p.id IN (" + placeholders + ")", params)


def words_condition(units: list[Unit]) -> ProductCondition:
    """The products the words match, as SQL on the products alias `p` (FULLTEXT on product_search)."""
    return ProductCondition(
        "p.id IN (SELECT ps.product_id FROM product_search ps WHERE "
        "MATCH (ps.title, ps.body) AGAINST (%(search_words)s IN BOOLEAN MODE))",
        {"search_words": expression(units)},
    )


async def search_facets(
    conn, search: SearchRequest, units: list[Unit], found: Matches, filters: ListingFilters, reference: Reference
) -> Facets | None:
    """Every size, colour and price band over the whole shop with how many of the matches choosing
    it would show (catalog.facets: disjunctive, as on a listing): counted by the facet index from
    the bitset of the matches; while it is being built, in SQL for a few matches, else not counted
    (None: the page offers the filters without counts)."""
    listing = search.listing
    matched = found.bitset()
    size_filters = size_facet_filters(filters, listing.filters)
    if len(found) <= SQL_FACETS_MAX_MATCHES:
        extra = matches_condition(found)
    else:
        if not facet_index.index_of(current_app).ready:  # built now (a test's app), or started in the background
            bands = [band.paise() for band in PRICE_BANDS]
            counted = await facet_index.indexed_counts(
                current_app, conn, None, filters, bands, size_filters=size_filters, matched=matched
            )
            if counted is None:
                return None
        extra = words_condition(units)  # the words in SQL, should the index stop answering just now
    return await listing_facets(
        conn,
        category_ids=None,
        filters=filters,
        chosen=listing.filters,
        sizes=reference.sizes,
        colours=reference.colours,
        link=lambda link_args: url_for("search.results", **link_args),
        link_args=search.query_args(),
        size_filters=size_filters,
        matched=matched,
        extra=extra,
    )


async def search_context(conn, reference: Reference, args, page_size: int) -> dict:
    """Everything the results page shows: one keyset page of cards, how many there are (on the
    first page, counted up to COUNT_CAP), the link to the next page, the filters with their counts,
    her sizes (as on a listing: catalog.my_sizes), and for an empty query or no results the next
    steps: a correction, categories, clearing the filters."""
    search = parse_search_args(args, reference)
    listing = search.listing
    # her sizes (issue 13): unless she ticked sizes or turned it off, only what is in stock in one
    mine = my_sizes_in_listing(await current_my_sizes(conn), reference.sizes, listing.filters)
    filters = mine.filters(listing.filters)
    groups = await lexicon.synonyms(conn)
    units = understand(search.query, groups)
    found = await find_matches(conn, units)
    rows = await _page(conn, units, found, listing, page_size, reference, filters) if found else []
    suggestion = None
    if search.query and not rows and listing.after is None:
        suggestion = did_you_mean(search.query, await lexicon.vocabulary(conn))
        if suggestion:
            corrected_units = understand(suggestion, groups)
            corrected = await find_matches(conn, corrected_units)
            corrected_rows = (
                await _page(conn, corrected_units, corrected, listing, page_size, reference, filters)
                if corrected
                else []
            )
            if corrected_rows:  # show what they meant at once, and say so
                search.corrected_from, search.query, search.typed = search.query, suggestion, suggestion
                units, found, rows, suggestion = corrected_units, corrected, corrected_rows, None
    products, has_more = rows[:page_size], len(rows) > page_size
    await mine.read_cards(conn, [product["id"] for product in products])
    total = None
    if listing.after is None:
        total = len(products) if not has_more else await count_matches(conn, found, filters, COUNT_CAP)
    facets = None
    if search.query and (listing.after is None or not is_htmx()):  # "More" over htmx appends cards only
        facets = await search_facets(conn, search, units, found, filters, reference)
    next_url = None
    if has_more:
        next_url = url_for("search.results", **search.query_args(after=_cursor(products[-1], listing.sort)))
    categories = matching_categories(units, reference, SUGGESTED_CATEGORIES) if search.query else []
    popular = await popular_categories(conn, reference) if not products and listing.after is None else []
    return dict(
        search=search,
        listing=listing,
        products=products,
        total=total,
        count_cap=COUNT_CAP,
        next_url=next_url,
        suggestion=suggestion,
        categories=categories,
        popular=popular,
        sizes=reference.sizes,
        colours=reference.colours,
        sort_labels=SORT_LABELS,
        facets=facets,
        my_sizes=mine,
        discount_choices=DISCOUNT_CHOICES,
        results_target="#search-results",
        **own_addresses(),
    )


async def suggested_products(conn, units: list[Unit], match: str, floor: int | None) -> list[dict]:
    """The type-ahead's few products. On a catalogue bigger than the window of newest titles
    (`floor` is the id the window starts after, lexicon.newest_window_floor), the newest products
    with the words in their titles, when the window holds enough of them; otherwise (a rare
    word, a small shop) the best matches by FULLTEXT score."""
    if floor is not None:
        rows = await queries.select_newest_title_matches(conn, title_patterns(units), floor, SUGGESTIONS)
        if len(rows) == SUGGESTIONS:
            return rows
    return await queries.select_suggestions(conn, match, SUGGESTIONS)


async def suggestion_context(conn, reference: Reference, args) -> dict:
    """The type-ahead: the categories the words name and a few products (one statement once this
    worker has the synonyms, two for a rare word on a big catalogue), or a "Did you mean" when
    nothing matches."""
    query = normalise(args.get("q"))
    products: list[dict] = []
    categories: list = []
    correction = None
    if len(query) >= 2:
        units = understand(query, await lexicon.synonyms(conn))
        match = expression(units)
        categories = matching_categories(units, reference, SUGGESTED_CATEGORIES)
        if match:
            floor = await lexicon.newest_window_floor(conn)
            if floor is not None and not titles_may_match(title_patterns(units), await lexicon.vocabulary(conn)):
                floor = None  # a typo or a word of no title: the window cannot have it, FULLTEXT says so at once
            # names and prices only: kept in the shared cache until staff change the catalogue
            products = await cache.current().get_or_load(
                cache.key("suggestions", match, SUGGESTIONS),
                lambda: suggested_products(conn, units, match, floor),
                generations=[cache.CATALOG],
            )
        if not products and not categories:
            correction = did_you_mean(query, await lexicon.vocabulary(conn))
    return dict(query=query, products=products, categories=categories, correction=correction)
