"""Reading a listing's query string: filters, sort and the keyset cursor, with clear notices."""

from __future__ import annotations

from dataclasses import dataclass, field

from .queries import SORTS, ListingFilters

SORT_LABELS = {"new": "Newest first", "price_asc": "Price: low to high", "price_desc": "Price: high to low"}
MAX_RUPEES = 10_000_000
# int() of more than 4,300 digits raises ValueError (Python's guard against slow conversions): a
# number is converted only when it is short enough to be one we could mean (leading zeros allowed)
MAX_NUMBER_LENGTH = 12


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

    def query_args(self, after: str | None = None) -> dict[str, list[str]]:
        """The query string of this listing (for the "More" link), built only from the values we
        understood: never the request's own arguments, which may hold anything, url_for's reserved
        names (`_external`, `_anchor`, ...) and our route's `slug` among them."""
        args: dict[str, list[str]] = {}
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
        if self.sort != "new":
            args["sort"] = [self.sort]
        if after is not None:
            args["after"] = [after]
        return args


def _rupees(raw: str, label: str, notices: list[str]) -> int | None:
    text = raw.strip().replace(",", "").lstrip("₹").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > MAX_NUMBER_LENGTH \
            or int(text) > MAX_RUPEES:
        notices.append(f"The {label} price must be a whole number of rupees, like 1500; we ignored it.")
        return None
    return int(text) * 100


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
    return str(row["id"]) if sort == "new" else f"{row['from_price_paise']}.{row['id']}"


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

    min_paise = _rupees(args.get("min", ""), "lowest", notices)
    max_paise = _rupees(args.get("max", ""), "highest", notices)
    if min_paise is not None and max_paise is not None and min_paise > max_paise:
        notices.append("The lowest price was above the highest, so we swapped them.")
        min_paise, max_paise = max_paise, min_paise

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
        min_paise=min_paise, max_paise=max_paise,
        in_stock_only=args.get("in_stock") in ("1", "on", "true"),
    )
    return ListingRequest(filters, sort, after, notices, chosen_sizes, chosen_colours,
                          "" if min_paise is None else str(min_paise // 100),
                          "" if max_paise is None else str(max_paise // 100))
