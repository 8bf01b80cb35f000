"""Reading a listing's query string: filters, sort and the keyset cursor, with clear notices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quart import request, url_for

from .. import cache
from ..htmx import is_htmx
from ..parsing import MAX_NUMBER_LENGTH, parse_rupees, typed_rupees
from . import queries
from .facets import listing_facets, shown_by_category, size_facet_filters
from .my_sizes import MySizesInListing, current_my_sizes, my_sizes_in_listing
from .queries import SORT_KEYS, SORTS, Category, ListingFilters
from .reference import Reference

SORT_LABELS = {"new": "Newest first", "price_asc": "Price: low to high", "price_desc": "Price: high to low"}
SORT_LABELS.update(discount="Biggest discount", popular="Popular", loved="Loved by buyers")
# the discount filter's choices: "10% and above", ...
DISCOUNT_CHOICES = (10, 20, 30, 40, 50, 60, 70)
MAX_RUPEES = 10_000_000


@dataclass
class ListingRequest:
    filters: ListingFilters
    sort: str
    after: tuple[int, int] | None
    notices: list[str] = field(default_factory=list)
    # what the form shows back to the shopper
    chosen_sizes: list[str] = field(default_factory=list)
    chosen_colours: list[str] = field(default_factory=list)
    min_rupees: str = ""
    max_rupees: str = ""

    def query_args(self, after: str | None = None) -> dict[str, Any]:
        """The query string of this listing (for the "More" link), built only from the values we
        understood: never the request's own arguments, which may hold anything, url_for's reserved
        names (`_external`, `_anchor`, ...) and our route's `slug` among them."""
        args: dict[str, Any] = {}
        if self.chosen_sizes:
            args["size"] = list(self.chosen_sizes)
        if self.chosen_colours:
            args["colour"] = list(self.chosen_colours)
        if self.min_rupees:
            args["min"] = [self.min_rupees]
        if self.max_rupees:
            args["max"] = [self.max_rupees]
        if self.filters.in_stock_only:
            args["in_stock"] = ["1"]
        if self.filters.min_discount:
            args["discount"] = [str(self.filters.min_discount)]
        if self.sort != "new":
            args["sort"] = [self.sort]
        if after is not None:
            args["after"] = [after]
        return args


def _price_filter(raw: str, label: str, notices: list[str]) -> int | None:
    """A price box of the filters as paise; an empty box is no filter, a bad one is ignored with a
    notice rather than refused, so the shopper still sees products."""
    if not typed_rupees(raw):
        return None
    paise = parse_rupees(raw, 0, MAX_RUPEES * 100, whole=True)
    if paise is None:
        notices.append(f"The {label} price must be a whole number of rupees, like 1500; we ignored it.")
    return paise


def parse_cursor(raw: str | None, sort: str) -> tuple[int, int] | None:
    """'<price>.<id>' (or '<id>' for newest-first), both positive integers, else None."""
    if not raw:
        return None
    parts = raw.split(".")
    if not all(p.isascii() and p.isdigit() and len(p) <= MAX_NUMBER_LENGTH for p in parts):
        return None
    if sort == "new" and len(parts) == 1:
        return 0, int(parts[0])
    if sort != "new" and len(parts) == 2:
        return int(parts[0]), int(parts[1])
    return None


def make_cursor(row: dict, sort: str) -> str:
    """The keyset cursor after `row`, in the form parse_cursor reads back."""
    return str(row["id"]) if sort == "new" else f"{row[SORT_KEYS[sort]]}.{row['id']}"


def parse_listing_args(args, sizes: list[dict], colours: list[dict]) -> ListingRequest:
    """Turn the query string into filters. Unknown values are dropped with a notice, never a 500."""
    notices: list[str] = []
    size_by_label = {s["label"]: s["id"] for s in sizes}
    colour_by_name = {c["name"].lower(): c["id"] for c in colours}

    chosen_sizes = [v for v in args.getlist("size") if v in size_by_label][:20]
    if len(chosen_sizes) < len(args.getlist("size")):
        notices.append("We don't have one of the sizes you asked for, so we left it out.")
    chosen_colours = [v for v in args.getlist("colour") if v.lower() in colour_by_name][:30]
    if len(chosen_colours) < len(args.getlist("colour")):
        notices.append("We don't have one of the colours you asked for, so we left it out.")

    min_paise = _price_filter(args.get("min", ""), "lowest", notices)
    max_paise = _price_filter(args.get("max", ""), "highest", notices)
    if min_paise is not None and max_paise is not None and min_paise > max_paise:
        notices.append("The lowest price was above the highest, so we swapped them.")
        min_paise, max_paise = max_paise, min_paise

    min_discount = None
    raw_discount = args.get("discount", "")
    if raw_discount:
        if raw_discount.isascii() and raw_discount.isdigit() and int(raw_discount) in DISCOUNT_CHOICES:
            min_discount = int(raw_discount)
        else:
            notices.append("We didn't recognise that discount, so we show every discount.")

    sort = args.get("sort", "new")
    if sort not in SORTS:
        notices.append("We didn't recognise that sort order, so we show the newest first.")
        sort = "new"
    raw_after = args.get("after")
    after = parse_cursor(raw_after, sort)
    if raw_after and after is None:
        notices.append("That page link was out of date, so we started from the first page.")

    filters = ListingFilters(
        size_ids=tuple(size_by_label[v] for v in chosen_sizes),
        colour_ids=tuple(colour_by_name[v.lower()] for v in chosen_colours),
        min_paise=min_paise,
        max_paise=max_paise,
        in_stock_only=args.get("in_stock") in ("1", "on", "true"),
        min_discount=min_discount,
    )
    return ListingRequest(
        filters,
        sort,
        after,
        notices,
        chosen_sizes,
        chosen_colours,
        "" if min_paise is None else str(min_paise // 100),
        "" if max_paise is None else str(max_paise // 100),
    )


@dataclass
class ListingAsked:
    """What a request asks of a listing, known before any product is read: the query string's
    choices, the sizes the filters offer, and her sizes as this listing sees them."""

    listing: ListingRequest
    filter_sizes: list[dict]
    mine: MySizesInListing


async def listing_asked(conn, reference: Reference, current: Category, args) -> ListingAsked:
    """Read a listing's query string and her sizes (a statement only for a signed-in shopper)."""
    listing = parse_listing_args(args, reference.sizes, reference.colours)
    # offer only the sizes this category's clothes come in (no shoe sizes among the kurtis)
    size_groups = {child.size_group for child in current.children} or {current.size_group}
    filter_sizes = [size for size in reference.sizes if size["size_group"] in size_groups]
    # her sizes (issue 13): when she has some here and has not ticked sizes, the listing shows them
    mine = my_sizes_in_listing(await current_my_sizes(conn), filter_sizes, listing.filters)
    return ListingAsked(listing, filter_sizes, mine)


def listing_template(listing: ListingRequest) -> str:
    """What answers a listing request: the page, or over htmx the filter reply (results and
    facets) or the "More" reply (the next cards)."""
    if not is_htmx():
        return "catalog/listing.html"
    return "catalog/replies/more_products.html" if listing.after is not None else "catalog/replies/filter.html"


def own_addresses() -> dict[str, str]:
    """This request's own address, where the forms on a listing come back to without JavaScript
    (a heart, the my-sizes switch) and the my-sizes link returns to."""
    here = request.full_path.rstrip("?")
    return {"heart_next": here, "here": here, "my_sizes_url": url_for("catalog.my_sizes", next=here)}


async def listing_context(
    conn, reference: Reference, current: Category, args, page_size: int, asked: ListingAsked | None = None
) -> dict:
    """Everything a category listing shows (one page of cards, the link to the next, the filters
    with the shopper's choices), in one place, so the full page, the filter reply and the "More"
    reply cannot disagree about which products a query string means."""
    if asked is None:
        asked = await listing_asked(conn, reference, current, args)
    listing, filter_sizes, mine = asked.listing, asked.filter_sizes, asked.mine
    filters = mine.filters(listing.filters)
    categories = [current] + current.children
    if filters.size_ids:
        # an XS filter need not search the sarees: only categories that come in the chosen sizes
        wanted_groups = {s["size_group"] for s in reference.sizes if s["id"] in filters.size_ids}
        categories = [c for c in categories if c.size_group in wanted_groups] or categories[:1]
    category_ids = [c.id for c in categories]
    facets = None
    if listing.after is None or not is_htmx():  # "More" over htmx appends cards only: the facets stay
        facets = await listing_facets(
            conn,
            category_ids=[c.id for c in [current] + current.children],
            filters=filters,
            chosen=listing.filters,
            sizes=filter_sizes if len(filter_sizes) > 1 else [],
            colours=reference.colours,
            link=lambda link_args: url_for("catalog.category", slug=current.slug, **link_args),
            link_args=listing.query_args(),
            size_filters=size_facet_filters(filters, listing.filters),
        )
    # the facet index counts what the filters show in each category: the listing's statement reads
    # only the categories with some (a branch for one with none would walk it all in its keyset
    # order and find nothing: seconds on a million products), and none at all when none has any
    facet_category_ids = [c.id for c in [current] + current.children]
    shown_in = facets.shown_in if facets is not None else await shown_by_category(conn, facet_category_ids, filters)
    if shown_in is not None:
        category_ids = [i for i in category_ids if shown_in.get(i, 0)]
    rows: list[dict] = []
    if category_ids:
        rows = await cache.current().get_or_load(
            cache.key("listing", category_ids, filters, listing.sort, listing.after, page_size),
            lambda: queries.select_listing(conn, category_ids, filters, listing.sort, listing.after, page_size),
            # cards show "sold out" and the rating; filters may ask for stock
            generations=[cache.CATALOG, cache.STOCK, cache.REVIEWS],
        )
    products, has_more = rows[:page_size], len(rows) > page_size
    await mine.read_cards(conn, [product["id"] for product in products])
    next_url = None
    if has_more:
        next_url = url_for(
            "catalog.category", slug=current.slug, **listing.query_args(after=make_cursor(products[-1], listing.sort))
        )
    return dict(
        category=current,
        products=products,
        next_url=next_url,
        listing=listing,
        sizes=filter_sizes if len(filter_sizes) > 1 else [],
        colours=reference.colours,
        sort_labels=SORT_LABELS,
        facets=facets,
        my_sizes=mine,
        discount_choices=DISCOUNT_CHOICES,
        **own_addresses(),
    )
