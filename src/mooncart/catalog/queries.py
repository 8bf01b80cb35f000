"""The catalogue's SQL: categories, listings (keyset-paginated), products, variants, images."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import aiomysql

from ..db import execute, execute_many, fetch_all, fetch_one, in_list, transaction
from ..inventory.queries import held_by_anyone_sql

# The first image of a product, for cards and bag lines: one correlated lookup on an index.
FIRST_IMAGE_SQL = (
    "(SELECT pi.path FROM product_images pi WHERE pi.product_id = p.id ORDER BY pi.position, pi.id LIMIT 1)"
)

# What a product card shows (products `p`, review scores `rs`): listings and search read the same.
CARD_COLUMNS = (
    "p.id, p.slug, p.name, p.from_price_paise, p.from_mrp_paise, p.discount_percent, p.units_sold_30d, "
    "p.loved_points, " + FIRST_IMAGE_SQL + " AS image_path, "
    "EXISTS (SELECT 1 FROM variants sv WHERE sv.product_id = p.id AND sv.stock > 0) AS in_stock, "
    "rs.avg_rating, rs.review_count"
)


@dataclass(frozen=True)
class Category:
    id: int
    parent_id: int | None
    slug: str
    name: str
    blurb: str
    art_kind: str
    size_group: str
    position: int
    children: list[Category] = field(default_factory=list, compare=False)


async def select_categories(conn) -> list[Category]:
    """Every category, as a tree: top-level ones with their children (the table is small)."""
    rows = await fetch_all(
        conn,
        "SELECT id, parent_id, slug, name, blurb, art_kind, size_group, position "
        "FROM categories ORDER BY position, name",
    )
    by_id = {row["id"]: Category(**row) for row in rows}
    roots: list[Category] = []
    for category in by_id.values():
        parent = by_id.get(category.parent_id)
        (parent.children if parent else roots).append(category)
    return roots


def find_category(tree: list[Category], slug: str) -> Category | None:
    """The category with this slug anywhere in the tree, or None (the tree is small and cached)."""
    for category in tree:
        if category.slug == slug:
            return category
        found = find_category(category.children, slug)
        if found:
            return found
    return None


async def select_sizes(conn) -> list[dict]:
    """Every size in display order, for the filters and the product form."""
    return await fetch_all(conn, "SELECT id, label, size_group FROM sizes ORDER BY position")


async def select_colours(conn) -> list[dict]:
    """Every colour by name, for the filters and the product form."""
    return await fetch_all(conn, "SELECT id, name, hex FROM colours ORDER BY name")


@dataclass(frozen=True)
class ListingFilters:
    size_ids: tuple[int, ...] = ()
    colour_ids: tuple[int, ...] = ()
    min_paise: int | None = None
    max_paise: int | None = None
    in_stock_only: bool = False
    # a search's FULLTEXT boolean-mode expression (search.rules builds it): only products it matches
    matching: str | None = None
    # "30% and above": products.discount_percent, the card's own discount
    min_discount: int | None = None


# sort name -> (ORDER BY, keyset condition for the page after (price, id)); fixed text only.
# Each order is served by an index: (category_id, id) or (category_id, from_price_paise, id),
# named in SORT_INDEXES and forced, because with a filter MariaDB may otherwise pick the other
# one and sort every product of the category (measured: 1,000 rows filtered and sorted for 9).
SORTS = {
    "new": ((("id", "DESC"),), "p.id < %(after_id)s"),
    "price_asc": (
        (("from_price_paise", "ASC"), ("id", "ASC")),
        "(p.from_price_paise > %(after_price)s OR (p.from_price_paise = %(after_price)s AND p.id > %(after_id)s))",
    ),
    "price_desc": (
        (("from_price_paise", "DESC"), ("id", "DESC")),
        "(p.from_price_paise < %(after_price)s OR (p.from_price_paise = %(after_price)s AND p.id < %(after_id)s))",
    ),
    # Biggest discount, Popular and Loved by buyers: each a whole-number column of products kept
    # in step by its writers (schema.sql says which), in its own (category_id, column, id) index;
    # ties newest first. The cursor is '<column value>.<id>' like the price sorts'.
    "discount": (
        (("discount_percent", "DESC"), ("id", "DESC")),
        "(p.discount_percent < %(after_key)s OR (p.discount_percent = %(after_key)s AND p.id < %(after_id)s))",
    ),
    "popular": (
        (("units_sold_30d", "DESC"), ("id", "DESC")),
        "(p.units_sold_30d < %(after_key)s OR (p.units_sold_30d = %(after_key)s AND p.id < %(after_id)s))",
    ),
    "loved": (
        (("loved_points", "DESC"), ("id", "DESC")),
        "(p.loved_points < %(after_key)s OR (p.loved_points = %(after_key)s AND p.id < %(after_id)s))",
    ),
}

# the column a sort's cursor carries before the id (none for newest first)
SORT_KEYS = {
    "price_asc": "from_price_paise",
    "price_desc": "from_price_paise",
    "discount": "discount_percent",
    "popular": "units_sold_30d",
    "loved": "loved_points",
}


SORT_INDEXES = {
    "new": "ix_products_category_id",
    "price_asc": "ix_products_category_price",
    "price_desc": "ix_products_category_price",
    "discount": "ix_products_category_discount",
    "popular": "ix_products_category_popular",
    "loved": "ix_products_category_loved",
}


def _order_by(columns, table: str) -> str:
    return ", ".join(f"{table}.{column} {direction}" for column, direction in columns)


def _listing_conditions(filters: ListingFilters, keyset: str | None, params: dict) -> list[str]:
    where = []
    if filters.min_paise is not None:
        where.append("p.from_price_paise >= %(min_paise)s")
        params["min_paise"] = filters.min_paise
    if filters.max_paise is not None:
        where.append("p.from_price_paise <= %(max_paise)s")
        params["max_paise"] = filters.max_paise
    if filters.min_discount:
        where.append("p.discount_percent >= %(min_discount)s")
        params["min_discount"] = filters.min_discount
    variant_conditions = []
    if filters.size_ids:
        placeholders, named = in_list(filters.size_ids, "size")
        params.update(named)
        variant_conditions.append("v.size_id IN (" + placeholders + ")")
    if filters.colour_ids:
        placeholders, named = in_list(filters.colour_ids, "colour")
        params.update(named)
        variant_conditions.append("v.colour_id IN (" + placeholders + ")")
    if filters.in_stock_only:
        variant_conditions.append("v.stock > 0")
    if variant_conditions:
        # One variant must match every condition: a pink M that is in stock, not pink in L and M
        # in blue. Written as a scalar subquery, not EXISTS, so that MariaDB checks it row by row
        # in the index's order instead of turning it into a semi-join that first reads every
        # variant of that size (100,000 of them on a million products).
        where.append(
            "(SELECT 1 FROM variants v WHERE v.product_id = p.id AND "  # nosec B608 # values are %s parameters
            + " AND ".join(variant_conditions)
            + " LIMIT 1) IS NOT NULL"
        )
    if filters.matching is not None:
        where.append(
            "p.id IN (SELECT ps.product_id FROM product_search ps "
            "WHERE MATCH (ps.title, ps.body) AGAINST (%(matching)s IN BOOLEAN MODE))"
        )
        params["matching"] = filters.matching
    if keyset:
        where.append(keyset)
    return where


async def select_listing(
    conn, category_ids: list[int] | None, filters: ListingFilters, sort: str, after: tuple[int, int] | None, limit: int
) -> list[dict]:
    """One page of product cards. `after` is the (price, id) of the last card shown: keyset
    pagination costs the same on page 1 and page 40,000. Returns up to limit + 1 rows so the
    caller knows whether a next page exists.

    Two shapes keep it fast on a million products. The page's ids are found first, on the
    index alone, and only those rows are read in full (a deferred join: asking for every
    column up front makes MariaDB give up the index order). And a parent category is one
    ordered, LIMITed branch per child merged by UNION ALL, because `category_id IN (...)`
    with ORDER BY ... LIMIT would sort every product of every child."""
    order_columns, keyset = SORTS[sort]
    params: dict = {"limit": limit + 1}
    if after is not None:
        params["after_price"], params["after_id"] = after
        params["after_key"] = params["after_price"]
    key = SORT_KEYS.get(sort)
    conditions = _listing_conditions(filters, keyset if after is not None else None, params)
    branches = []
    for i, category_id in enumerate(category_ids or [None]):
        where = list(conditions)
        if category_id is not None:
            params[f"cat{i}"] = category_id
            where.insert(0, f"p.category_id = %(cat{i})s")
        hint = " FORCE INDEX (" + SORT_INDEXES[sort] + ")" if category_id is not None else ""
        branches.append(
            "(SELECT p.id"
            + (f", p.{key}" if key else "")
            + " FROM products p"
            + hint
            + " "  # nosec B608 # values are %s parameters
            + ("WHERE " + " AND ".join(where) + " " if where else "")
            + "ORDER BY "
            + _order_by(order_columns, "p")
            + " LIMIT %(limit)s)"
        )
    page = (
        branches[0]
        if len(branches) == 1
        else (
            "(SELECT merged.id"
            + (f", merged.{key}" if key else "")
            + " FROM ("  # nosec B608 # values are %s parameters
            + " UNION ALL ".join(branches)
            + ") merged "
            "ORDER BY " + _order_by(order_columns, "merged") + " LIMIT %(limit)s)"
        )
    )
    sql = (
        "SELECT " + CARD_COLUMNS + " "  # nosec B608 # values are %s parameters
        "FROM " + page + " page JOIN products p ON p.id = page.id "
        "LEFT JOIN product_review_scores rs ON rs.product_id = p.id "
        "ORDER BY " + _order_by(order_columns, "p")
    )
    return await fetch_all(conn, sql, params)


# Orders that count as sold for "Popular": paid or cash on delivery, not cancelled or returned, and
# not still waiting for the bank.
SOLD_STATUSES = "('placed', 'packed', 'shipped', 'delivered')"


async def refresh_units_sold(conn, days: int = 30, chunk: int = 1000) -> int:
    """Rebuild products.units_sold_30d, the "Popular" sort's column, from the order lines of the
    last `days` days; returns how many products changed. Run by `mooncart build-recommendations`
    (nightly, or as often as Popular should move) and after seed-demo's orders.

    Why precomputed rather than a counter kept by checkout: a 30-day window needs sales to drop
    out as they age, which increments on placing and cancelling cannot do without a second job
    anyway; and a counter would lock the best-sellers' product rows inside every order's
    reservation transaction (the hottest rows of the shop, the hottest transaction). The number
    must live on products, beside category_id in ix_products_category_popular, for the listing
    to read a page in index order on a million products. This costs: one range of orders on
    ix_orders_placed with their lines, one index range per category for the products now
    counted, and an UPDATE only for products whose number changed."""
    since = "NOW(6) - INTERVAL %(days)s DAY"
    sold = {
        int(row["product_id"]): int(row["units"])
        for row in await fetch_all(
            conn,
            "SELECT v.product_id, SUM(i.quantity) AS units FROM orders o "  # nosec B608 # fixed text only
            "JOIN order_items i ON i.order_id = o.id JOIN variants v ON v.id = i.variant_id "
            "WHERE o.placed_at >= " + since + " AND o.status IN " + SOLD_STATUSES + " GROUP BY v.product_id",
            {"days": days},
        )
    }
    # the products counted now: one range per category of (category_id, units_sold_30d, id), as
    # an IN list (a join on categories made MariaDB read every product's entry: 33 s on 300k)
    category_ids = [int(row["id"]) for row in await fetch_all(conn, "SELECT id FROM categories")]
    counted: dict[int, int] = {}
    if category_ids:
        placeholders, params = in_list(category_ids)
        for row in await fetch_all(
            conn,
            "SELECT id, units_sold_30d FROM products FORCE INDEX (ix_products_category_popular) "  # nosec B608 # values are %s parameters
            "WHERE category_id IN (" + placeholders + ") AND units_sold_30d > 0",
            params,
        ):
            counted[int(row["id"])] = int(row["units_sold_30d"])
    changes = [(product_id, units) for product_id, units in sold.items() if counted.get(product_id) != units]
    changes += [(product_id, 0) for product_id in counted if product_id not in sold]
    changes.sort()  # rows locked in id order, like every other writer
    for start in range(0, len(changes), chunk):
        part = changes[start : start + chunk]
        # one statement a chunk (a statement a row took 12 ms each on a busy server)
        values = [value for change in part for value in change]
        await execute(
            conn,
            "UPDATE products SET units_sold_30d = CASE id "  # nosec B608 # only fixed text and %s placeholders
            + " ".join(["WHEN %s THEN %s"] * len(part))
            + " END WHERE id IN ("
            + ", ".join(["%s"] * len(part))
            + ")",
            values + [product_id for product_id, _ in part],
        )
    return len(changes)


async def select_new_arrivals(conn, limit: int = 8) -> list[dict]:
    """The newest products of the whole shop, for the home page."""
    return await select_listing(conn, None, ListingFilters(), "new", None, limit - 1)


async def select_product(conn, slug: str) -> dict | None:
    """A product with its category by slug, or None (a 404)."""
    return await fetch_one(
        conn,
        "SELECT p.id, p.category_id, p.slug, p.name, p.description, p.fabric, p.from_price_paise, "
        "c.slug AS category_slug, c.name AS category_name "
        "FROM products p JOIN categories c ON c.id = p.category_id WHERE p.slug = %s",
        (slug,),
    )


# Which category's size chart a category shows (issue 13.7): its own when it has rows, else its
# parent's. SQL text about a category row `c` (only column names: no value is formatted in).
CHART_CATEGORY = "IF(EXISTS (SELECT 1 FROM size_chart_rows own WHERE own.category_id = c.id), c.id, c.parent_id)"


async def select_product_page(conn, slug: str) -> dict | None:
    """{product, variants, images, size_chart}: a product (with its fit note) with its variants
    (size, colour, price, stock: read fresh, never cached), its images and its category's size
    chart rows (the parent's when the category has none), in ONE statement: the product row
    plus a JSON array for each (each statement costs
    the worker about 0.1 ms in aiomysql plus a round trip). Neither MySQL 8 nor MariaDB 10.11
    orders inside JSON_ARRAYAGG portably, so the arrays carry their sort keys and are sorted here:
    variants by colour name then size, exactly as `ORDER BY co.name, s.position` would (the
    colour's rank is counted by the database, in its own collation), images by position then id.
    MariaDB returns JSON as text (so does MySQL 8 through PyMySQL): hence json.loads."""
    product = await fetch_one(
        conn,
        "SELECT p.id, p.category_id, p.slug, p.name, p.description, p.fabric, p.from_price_paise, p.from_mrp_paise, "
        "c.slug AS category_slug, c.name AS category_name, "
        "(SELECT JSON_ARRAYAGG(JSON_OBJECT('id', v.id, 'sku', v.sku, 'price_paise', v.price_paise, "
        "'stock', GREATEST(v.stock - " + held_by_anyone_sql("v.id") + ", 0), 'size', s.label, "  # nosec B608 # fixed SQL text only
        "'size_position', s.position, 'colour', co.name, "
        "'colour_hex', co.hex, 'colour_rank', (SELECT COUNT(*) FROM colours c2 WHERE c2.name < co.name))) "
        "FROM variants v JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
        "WHERE v.product_id = p.id) AS variants_json, "
        "(SELECT JSON_ARRAYAGG(JSON_OBJECT('id', pi.id, 'path', pi.path, 'alt', pi.alt, "
        "'position', pi.position)) FROM product_images pi WHERE pi.product_id = p.id) AS images_json, "
        "p.fit_note, (SELECT JSON_ARRAYAGG(JSON_OBJECT('size', s.label, 'position', s.position, "
        "'measure', r.measure, 'cm', r.cm)) FROM size_chart_rows r JOIN sizes s ON s.id = r.size_id "
        "WHERE r.category_id = " + CHART_CATEGORY + ") AS size_chart_json "
        "FROM products p JOIN categories c ON c.id = p.category_id WHERE p.slug = %s",
        (slug,),
    )
    if product is None:
        return None
    variants = sorted(
        json.loads(product.pop("variants_json") or "[]"), key=lambda v: (v["colour_rank"], v["size_position"])
    )
    images = sorted(json.loads(product.pop("images_json") or "[]"), key=lambda i: (i["position"], i["id"]))
    size_chart = json.loads(product.pop("size_chart_json") or "[]")
    for variant in variants:
        del variant["colour_rank"]
    for image in images:
        del image["position"]
    return dict(product=product, variants=variants, images=images, size_chart=size_chart)


async def select_images(conn, product_id: int) -> list[dict]:
    """A product's photos in the order staff set."""
    return await fetch_all(
        conn, "SELECT id, path, alt FROM product_images WHERE product_id = %s ORDER BY position, id", (product_id,)
    )


# ---- Facets (issue 13): how many products each size, colour and price band would show ----------


@dataclass(frozen=True)
class ProductCondition:
    """One more condition on a listing's products, for pages that narrow the same listing further
    (search passes its words here): SQL on the products alias `p` with %(name)s parameters, whose
    names must not clash with the listing's own (min_paise, size0, colour0, fcat0, band...)."""

    sql: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FacetCounts:
    sizes: dict[int, int]  # size id -> products
    colours: dict[int, int]  # colour id -> products
    bands: dict[int, int]  # index into the bands passed in -> products


def size_mask(size_ids) -> int:
    """The facet rows' bits for these sizes (bit n: the size with id n; migration 0509)."""
    mask = 0
    for size_id in size_ids:
        if not 0 < size_id < 64:
            raise ValueError(f"size id {size_id} has no bit in the facet rows' masks")
        mask |= 1 << size_id
    return mask


def _facet_conditions(
    filters: ListingFilters, params: dict, prefix: str, *, sizes: bool = True, colours: bool = True
) -> list[str]:
    """The listing's filters as conditions on ONE facet row `f` (a product in one colour; migration
    0509), so that size, colour and stock hold for the same variant as the listing's filter asks
    (a pink M in stock, not pink in L and M in blue): the row's colour is chosen and one of the
    chosen sizes is among its sizes (its sizes in stock, for "in stock only"). `sizes`/`colours`
    False leave that facet's own choice out. `prefix` keeps each branch's parameter names apart."""
    stock_mask = "f.sizes_in_stock" if filters.in_stock_only else "f.sizes_any"
    where = []
    if sizes and filters.size_ids:
        params[f"{prefix}_sizes"] = size_mask(filters.size_ids)
        where.append(f"({stock_mask} & %({prefix}_sizes)s) <> 0")
    elif filters.in_stock_only:
        where.append("f.sizes_in_stock <> 0")
    if colours and filters.colour_ids:
        placeholders, named = in_list(filters.colour_ids, f"{prefix}_colour")
        params.update(named)
        where.append("f.colour_id IN (" + placeholders + ")")
    where += _facet_product_conditions(filters, params, prefix)
    return where


def _facet_product_conditions(filters: ListingFilters, params: dict, prefix: str, *, prices: bool = True) -> list[str]:
    """The product-level filters (price, discount, a search's words) on a facet row `f`."""
    where = []
    if prices and filters.min_paise is not None:
        where.append(f"f.price_paise >= %({prefix}_min)s")
        params[f"{prefix}_min"] = filters.min_paise
    if prices and filters.max_paise is not None:
        where.append(f"f.price_paise <= %({prefix}_max)s")
        params[f"{prefix}_max"] = filters.max_paise
    if filters.min_discount:
        where.append(f"f.discount_percent >= %({prefix}_discount)s")
        params[f"{prefix}_discount"] = filters.min_discount
    if filters.matching is not None:
        where.append(
            "f.product_id IN (SELECT ps.product_id FROM product_search ps "
            f"WHERE MATCH (ps.title, ps.body) AGAINST (%({prefix}_matching)s IN BOOLEAN MODE))"
        )
        params[f"{prefix}_matching"] = filters.matching
    return where


async def select_facet_counts(
    conn,
    category_ids: list[int] | None,
    filters: ListingFilters,
    price_bands: list[tuple[int | None, int | None]],
    *,
    size_filters: ListingFilters | None = None,
    extra: ProductCondition | None = None,
) -> FacetCounts:
    """Every facet's counts in ONE statement (a UNION ALL of one GROUP BY per facet; never a query
    per option). Disjunctive: each facet ignores its own selection and applies all the others, so
    "M (42)" is what ticking M would show. `size_filters` replaces `filters` for the size facet
    (a listing showing "your sizes" counts sizes without them); `extra` narrows every branch.

    It reads the facet rows (migration 0509), never variants: one narrow row per product and
    colour, in (category, product, colour) order, so a category is one range of its primary key.
    - colours: a product has one row per colour, so a colour's count is its rows that match the
      other filters (COUNT(*), no DISTINCT);
    - sizes: per product, the OR of the size masks of its rows that match the other filters; the
      products are then counted per distinct mask (a few dozen at most), and each mask's count
      added to each of its sizes here;
    - price bands: the products with a row that matches the other filters, per band of their
      price (the same inclusive >= / <= pair the filter boxes apply)."""
    sizes = size_filters or filters
    unfiltered = ListingFilters(in_stock_only=filters.in_stock_only)
    if category_ids and extra is None and filters == unfiltered and replace(sizes, size_ids=()) == unfiltered:
        return await _select_category_counts(conn, category_ids, filters.in_stock_only, price_bands)
    params: dict = {}
    source = "product_facets f"
    scope: list[str] = []
    if category_ids:
        placeholders, named = in_list(category_ids, "fcat")
        params.update(named)
        scope.append("f.category_id IN (" + placeholders + ")")
    if extra is not None:
        # a search's condition is written on products `p`
        source = "product_facets f JOIN products p ON p.id = f.product_id"
        params.update(extra.params)
        scope.append("(" + extra.sql + ")")

    def where(conditions: list[str]) -> str:
        found = scope + conditions
        return "WHERE " + " AND ".join(found) + " " if found else ""

    size_mask_column = "f.sizes_in_stock" if sizes.in_stock_only else "f.sizes_any"
    size_branch = (
        "SELECT 'size' AS facet, masks.m AS value, COUNT(*) AS n FROM ("  # nosec B608 # fixed names; values are %s parameters
        "SELECT BIT_OR("
        + size_mask_column
        + ") AS m FROM "
        + source
        + " "
        + where(_facet_conditions(sizes, params, "fs", sizes=False))
        + "GROUP BY f.category_id, f.product_id) masks WHERE masks.m <> 0 GROUP BY masks.m"
    )
    colour_branch = (
        "SELECT 'colour' AS facet, f.colour_id AS value, COUNT(*) AS n FROM "
        + source
        + " "  # nosec B608 # fixed names; values are %s parameters
        + where(_facet_conditions(filters, params, "fc", colours=False))
        + "GROUP BY f.colour_id"
    )
    cases = []
    for i, (low, high) in enumerate(price_bands):
        tests = []
        if low is not None:
            params[f"band_low{i}"] = low
            tests.append(f"f.price_paise >= %(band_low{i})s")
        if high is not None:
            params[f"band_high{i}"] = high
            tests.append(f"f.price_paise <= %(band_high{i})s")
        cases.append(f"WHEN {' AND '.join(tests) or 'TRUE'} THEN {i}")
    unpriced = replace(filters, min_paise=None, max_paise=None)
    price_branch = (
        "SELECT 'price' AS facet, CASE " + " ".join(cases) + " END AS value, "  # nosec B608 # fixed names; values are %s parameters
        "COUNT(DISTINCT f.product_id) AS n FROM "
        + source
        + " "
        + where(_facet_conditions(unpriced, params, "fp"))
        + "GROUP BY value"
    )
    sql = " UNION ALL ".join("(" + branch + ")" for branch in (size_branch, colour_branch, price_branch))
    counts: dict[str, dict[int, int]] = {"size": {}, "colour": {}, "price": {}}
    for row in await fetch_all(conn, sql, params):
        if row["value"] is None:  # a price in no band
            continue
        value, n = int(row["value"]), int(row["n"])
        if row["facet"] == "size":
            for bit in range(64):
                if value >> bit & 1:
                    counts["size"][bit] = counts["size"].get(bit, 0) + n
        else:
            counts[row["facet"]][value] = n
    return FacetCounts(counts["size"], counts["colour"], counts["price"])


async def _select_category_counts(
    conn, category_ids: list[int], in_stock_only: bool, price_bands: list[tuple[int | None, int | None]]
) -> FacetCounts:
    """The facets of categories with nothing chosen but perhaps "in stock only": the counts kept
    per category (migration 0509), added up over the categories (a product is in one), and the
    prices into the bands here. One statement of a few hundred rows, whatever the catalogue's size."""
    placeholders, params = in_list(category_ids, "fcat")
    params["in_stock"] = in_stock_only
    rows = await fetch_all(
        conn,
        "SELECT facet, facet_value, SUM(product_count) AS n FROM category_facet_counts "  # nosec B608 # values are %s parameters
        "WHERE category_id IN (" + placeholders + ") AND in_stock_only = %(in_stock)s AND product_count > 0 "
        "GROUP BY facet, facet_value",
        params,
    )
    counts: dict[str, dict[int, int]] = {"size": {}, "colour": {}, "price": {}}
    for row in rows:
        value, n = int(row["facet_value"]), int(row["n"])
        if row["facet"] != "price":
            counts[row["facet"]][value] = n
            continue
        for i, (low, high) in enumerate(price_bands):  # a price in no band counts in none
            if (low is None or value >= low) and (high is None or value <= high):
                counts["price"][i] = counts["price"].get(i, 0) + n
                break
    return FacetCounts(counts["size"], counts["colour"], counts["price"])


async def select_sizes_in_stock(conn, product_ids: list[int], size_ids: tuple[int, ...]) -> dict[int, set[int]]:
    """product id -> which of these sizes it has in stock (in any colour), for the cards' "Your size
    M: in stock": one statement for a page of cards, on the (product_id, size_id, ...) key."""
    if not product_ids or not size_ids:
        return {}
    products, product_params = in_list(product_ids, "product")
    sizes, size_params = in_list(size_ids, "size")
    rows = await fetch_all(
        conn,
        "SELECT DISTINCT v.product_id, v.size_id FROM variants v "  # nosec B608 # values are %s parameters
        "WHERE v.product_id IN (" + products + ") AND v.size_id IN (" + sizes + ") AND v.stock > 0",
        {**product_params, **size_params},
    )
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(row["product_id"], set()).add(row["size_id"])
    return found


# ---- My sizes (issue 13): a signed-in shopper's sizes; a guest's live in a cookie ----------------


async def select_my_sizes(conn, user_id: int) -> dict | None:
    """{size_ids, only_mine, updated_at} of the shopper, or None when she never chose: one statement."""
    rows = await fetch_all(
        conn,
        "SELECT st.only_mine, st.updated_at, ms.size_id FROM my_size_settings st "
        "LEFT JOIN my_sizes ms ON ms.user_id = st.user_id WHERE st.user_id = %s ORDER BY ms.size_id",
        (user_id,),
    )
    if not rows:
        return None
    return dict(
        size_ids=tuple(row["size_id"] for row in rows if row["size_id"] is not None),
        only_mine=bool(rows[0]["only_mine"]),
        updated_at=rows[0]["updated_at"],
    )


async def replace_my_sizes(conn, user_id: int, size_ids: tuple[int, ...], only_mine: bool, at: datetime) -> None:
    """Save her choice whole (the settings row, then exactly these sizes), in one transaction. `at`
    (naive UTC, from the application, not the server's clock or time zone) is compared with a guest
    cookie's time at sign-in."""
    async with transaction(conn):
        await execute(
            conn,
            "INSERT INTO my_size_settings (user_id, only_mine, updated_at) VALUES (%s, %s, %s) "
            "ON DUPLICATE KEY UPDATE only_mine = VALUES(only_mine), updated_at = VALUES(updated_at)",
            (user_id, only_mine, at),
        )
        await execute(conn, "DELETE FROM my_sizes WHERE user_id = %s", (user_id,))
        if size_ids:
            await execute_many(
                conn, "INSERT INTO my_sizes (user_id, size_id) VALUES (%s, %s)", [(user_id, s) for s in size_ids]
            )


async def update_only_my_sizes(conn, user_id: int, only_mine: bool, at: datetime) -> None:
    """The "show all" / "show only my sizes" switch alone; a shopper with no settings row has no
    sizes, so there is nothing to switch."""
    await execute(
        conn,
        "UPDATE my_size_settings SET only_mine = %s, updated_at = %s WHERE user_id = %s",
        (only_mine, at, user_id),
    )


async def select_category_for_chart(conn, category_id: int) -> dict | None:
    """A category with its size family and parent, for the back office's size chart page."""
    return await fetch_one(
        conn,
        "SELECT c.id, c.name, c.size_group, c.parent_id, p.name AS parent_name "
        "FROM categories c LEFT JOIN categories p ON p.id = c.parent_id WHERE c.id = %s",
        (category_id,),
    )


async def select_chart_rows(conn, category_id: int) -> list[dict]:
    """A category's own size chart rows ({size_id, size, measure, cm}); none when it inherits."""
    return await fetch_all(
        conn,
        "SELECT r.size_id, s.label AS size, r.measure, r.cm FROM size_chart_rows r "
        "JOIN sizes s ON s.id = r.size_id WHERE r.category_id = %s ORDER BY s.position, r.measure",
        (category_id,),
    )


async def replace_chart(conn, category_id: int, rows: list[tuple[int, str, Any]]) -> None:
    """Replace a category's chart with rows of (size id, measure, cm), in one transaction; no
    rows removes it, and the category shows its parent's again."""
    async with transaction(conn):
        await execute(conn, "DELETE FROM size_chart_rows WHERE category_id = %s", (category_id,))
        if rows:
            await execute_many(
                conn,
                "INSERT INTO size_chart_rows (category_id, size_id, measure, cm) VALUES (%s, %s, %s, %s)",
                [(category_id, size, measure, cm) for size, measure, cm in rows],
            )


# The facet index's reads (catalog.facet_index): a product's facet rows, in the order its tables
# keep them
FACET_INDEX_COLUMNS = "product_id, colour_id, sizes_any, sizes_in_stock, price_paise, discount_percent"


async def select_facet_rows_of(conn, product_ids: list[int]) -> list[dict]:
    """These products' facet rows, with their category (to patch the index after a change)."""
    placeholders, params = in_list(product_ids)
    return await fetch_all(
        conn,
        "SELECT category_id, " + FACET_INDEX_COLUMNS + " FROM product_facets "  # nosec B608 # fixed text
        "WHERE product_id IN (" + placeholders + ")",
        params,
    )


async def select_facet_categories(conn) -> list[int]:
    """The categories that have facet rows (the index is built one category at a time)."""
    return [int(row["category_id"]) for row in await fetch_all(conn, "SELECT DISTINCT category_id FROM product_facets")]


async def select_facet_chunk(conn, category_id: int, after: int, limit: int) -> list[tuple]:
    """Up to `limit` facet rows of a category after product `after`, as tuples (a million dicts
    cost seconds)."""
    async with conn.cursor(aiomysql.Cursor) as cursor:
        await cursor.execute(
            "SELECT " + FACET_INDEX_COLUMNS + " FROM product_facets "  # nosec B608 # fixed text
            "WHERE category_id = %s AND product_id > %s ORDER BY product_id, colour_id LIMIT %s",
            (category_id, after, limit),
        )
        return list(await cursor.fetchall())
