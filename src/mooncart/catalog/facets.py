"""Facets: every size, colour and price band of a listing with how many products choosing it would
show ("M (42)"), and the choices that would show nothing, kept visible but disabled.

The rule is disjunctive faceting: a facet's counts ignore that facet's own selection and apply all
the others, so ticking a second size adds to the results by exactly its count, and a colour's count
already honours the sizes ticked.

The counts come from the facet index (facet_index.py): bitsets kept in the process's memory and
kept exact by the catalogue's change feed, in well under a millisecond a category whatever its
size, which also tells the listing how many products each category shows (so the listing skips the
categories, or the whole statement, with none). While the index is being built, or for a page that
narrows the listing with SQL only (`extra` without `matched`), they come from one statement
(queries.select_facet_counts: one GROUP BY per facet, joined by UNION ALL), never a query per option.

That statement on a million products (migration 0509) reads narrow facet rows (a product in a
colour, with bitmasks of its sizes and of those in stock, its price and discount) in the category's
primary-key range, never variants; a category with nothing chosen (or only "in stock only") reads
the counts kept per category instead, a few hundred rows whatever its size. Both are kept in step
by the writers of stock, prices, variants and categories, in their own transactions
(inventory.queries.refresh_product_facets).

Pages other than a category listing use the same function: search passes its match as `matched` (a
bitset of product ids, for the index) and as `extra` (a ProductCondition on the products alias `p`,
for the statement), `category_ids=None` for the whole shop, and its own `link` for the price bands'
URLs. A further band facet (a discount band, once products carry an
MRP) is another band branch over its facet-row column in select_facet_counts plus a tuple here, as
long as its filter lives in ListingFilters so that the facet can drop its own selection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from quart import current_app

from .. import cache
from ..formatting import inr
from . import queries
from .facet_index import indexed_counts
from .queries import FacetCounts, ListingFilters, ProductCondition


@dataclass(frozen=True)
class PriceBand:
    min_rupees: int | None
    max_rupees: int | None

    @property
    def label(self) -> str:
        """'Under ₹500', '₹500 to ₹999', '₹4,000 and above'."""
        if self.min_rupees is None:
            return f"Under {inr((self.max_rupees or 0) * 100 + 100)}"
        if self.max_rupees is None:
            return f"{inr(self.min_rupees * 100)} and above"
        return f"{inr(self.min_rupees * 100)} to {inr(self.max_rupees * 100)}"

    def paise(self) -> tuple[int | None, int | None]:
        """The band as the filter boxes would apply it: whole rupees, both ends included."""
        return (
            None if self.min_rupees is None else self.min_rupees * 100,
            None if self.max_rupees is None else self.max_rupees * 100,
        )


# The shop's price bands, in whole rupees as a shopper would type them in the boxes (both ends
# included, as the boxes are); the demo's prices run from ₹199 to ₹14,999.
PRICE_BANDS = (
    PriceBand(None, 499),
    PriceBand(500, 999),
    PriceBand(1000, 1999),
    PriceBand(2000, 3999),
    PriceBand(4000, None),
)


@dataclass(frozen=True)
class FacetOption:
    value: str  # what the filter form sends: a size label, a colour name
    label: str
    count: int
    chosen: bool
    hex: str = ""  # a colour's swatch
    url: str = ""  # a price band: the listing with this band (or, when chosen, without it)

    @property
    def disabled(self) -> bool:
        """Nothing to show: visible, but not a choice. A chosen option never is (she must be able
        to untick it), whatever its count."""
        return self.count == 0 and not self.chosen


@dataclass(frozen=True)
class Facets:
    sizes: list[FacetOption]
    colours: list[FacetOption]
    prices: list[FacetOption]
    # category id -> how many of its products the filters show, when the facet index counted them
    # (None: counted in SQL); the listing reads only the categories with some (none: its empty state)
    shown_in: dict[int, int] | None = None


async def listing_facets(
    conn,
    *,
    category_ids: list[int] | None,
    filters: ListingFilters,
    chosen: ListingFilters,
    sizes: list[dict],
    colours: list[dict],
    link: Callable[[dict], str],
    link_args: dict,
    size_filters: ListingFilters | None = None,
    extra: ProductCondition | None = None,
    matched: int | None = None,
) -> Facets:
    """The listing's facets. `filters` are what the listing applies; `chosen` what the shopper
    ticked (they differ when the listing shows her sizes: her sizes are applied but not ticked);
    `size_filters` what the size facet counts with (see select_facet_counts); `sizes` the sizes
    this listing offers (an empty list: no size facet); `link(args)` the listing's URL for query
    arguments `args`, and `link_args` the listing's own (ListingRequest.query_args()).

    Counted by the facet index (facet_index.py) whenever it can: always for a category listing
    once the index is built. A search passes the products it matched twice: as `matched` (a
    bitset, bit i = product id i), which the index applies, and as `extra` (SQL on `p`), which
    the SQL path applies while the index is being built. With `extra` alone (SQL the index cannot
    run) or a FULLTEXT expression in the filters, the counts come from SQL."""
    bands = [band.paise() for band in PRICE_BANDS]
    shown_in = None
    indexed = None
    if extra is None or matched is not None:
        indexed = await indexed_counts(
            current_app, conn, category_ids, filters, bands, size_filters=size_filters, matched=matched
        )
    if indexed is not None:
        counts, shown_in = indexed
    else:
        counts = await _sql_counts(conn, category_ids, filters, bands, size_filters, extra)
    return _facets(counts, shown_in, chosen, sizes, colours, link, link_args)


async def shown_by_category(conn, category_ids: list[int], filters: ListingFilters) -> dict[int, int] | None:
    """category id -> how many of its products `filters` show, from the facet index (None while it
    is being built): for a listing's "More" page, which counts no facets."""
    indexed = await indexed_counts(current_app, conn, category_ids, filters, [])
    return None if indexed is None else indexed[1]


async def _sql_counts(
    conn,
    category_ids: list[int] | None,
    filters: ListingFilters,
    bands: list[tuple[int | None, int | None]],
    size_filters: ListingFilters | None,
    extra: ProductCondition | None,
) -> FacetCounts:
    """The counts from one statement (queries.select_facet_counts), through the shared cache."""

    async def count() -> dict:
        """The counts as plain data, which the shared cache can keep."""
        found = await queries.select_facet_counts(
            conn, category_ids, filters, bands, size_filters=size_filters, extra=extra
        )
        return asdict(found)

    # counting reads the facet rows of the listing's categories: kept in the shared cache (when
    # there is one) until stock or the catalogue changes, like the listing itself (cache.py)
    counts = FacetCounts(
        **await cache.current().get_or_load(
            cache.key("facets", category_ids, filters, bands, size_filters, extra),
            count,
            generations=[cache.CATALOG, cache.STOCK],
        )
    )
    return counts


def _facets(
    counts: FacetCounts,
    shown_in: dict[int, int] | None,
    chosen: ListingFilters,
    sizes: list[dict],
    colours: list[dict],
    link: Callable[[dict], str],
    link_args: dict,
) -> Facets:
    """The options of every facet, from the counts."""
    size_options = [
        FacetOption(size["label"], size["label"], counts.sizes.get(size["id"], 0), size["id"] in chosen.size_ids)
        for size in sizes
    ]
    colour_options = [
        FacetOption(
            colour["name"],
            colour["name"],
            counts.colours.get(colour["id"], 0),
            colour["id"] in chosen.colour_ids,
            hex=colour["hex"],
        )
        for colour in colours
    ]
    price_options = []
    for i, band in enumerate(PRICE_BANDS):
        is_chosen = band.paise() == (chosen.min_paise, chosen.max_paise)
        args = {key: value for key, value in link_args.items() if key not in ("min", "max", "after")}
        if not is_chosen:
            args.update({"min": [] if band.min_rupees is None else [str(band.min_rupees)]})
            args.update({"max": [] if band.max_rupees is None else [str(band.max_rupees)]})
        price_options.append(
            FacetOption(
                f"{i}", band.label, counts.bands.get(i, 0), is_chosen, url=link({k: v for k, v in args.items() if v})
            )
        )
    return Facets(size_options, colour_options, price_options, shown_in)


def size_facet_filters(filters: ListingFilters, chosen: ListingFilters) -> ListingFilters:
    """What the size facet counts with: the listing's filters without any size choice, and with
    the in-stock box as she set it (when the listing shows her sizes in stock, ticking M shows M
    whatever its stock, unless she ticked "In stock only")."""
    return replace(filters, size_ids=(), in_stock_only=chosen.in_stock_only)
