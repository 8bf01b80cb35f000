"""The catalogue's SQL: categories, listings (keyset-paginated), products, variants, images."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..db import execute, execute_many, fetch_all, fetch_one, in_list, transaction

# The first image of a product, for cards and bag lines: one correlated lookup on an index.
FIRST_IMAGE_SQL = (
    "(SELECT pi.path FROM product_images pi WHERE pi.product_id = p.id ORDER BY pi.position, pi.id LIMIT 1)"
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
}


SORT_INDEXES = {
    "new": "ix_products_category_id",
    "price_asc": "ix_products_category_price",
    "price_desc": "ix_products_category_price",
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
    conditions = _listing_conditions(filters, keyset if after is not None else None, params)
    branches = []
    for i, category_id in enumerate(category_ids or [None]):
        where = list(conditions)
        if category_id is not None:
            params[f"cat{i}"] = category_id
            where.insert(0, f"p.category_id = %(cat{i})s")
        hint = " FORCE INDEX (" + SORT_INDEXES[sort] + ")" if category_id is not None else ""
        branches.append(
            "(SELECT p.id, p.from_price_paise FROM products p"
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
            "(SELECT merged.id, merged.from_price_paise FROM (" + " UNION ALL ".join(branches) + ") merged "  # nosec B608 # values are %s parameters
            "ORDER BY " + _order_by(order_columns, "merged") + " LIMIT %(limit)s)"
        )
    )
    sql = (
        "SELECT p.id, p.slug, p.name, p.from_price_paise, " + FIRST_IMAGE_SQL + " AS image_path, "  # nosec B608 # values are %s parameters
        "EXISTS (SELECT 1 FROM variants sv WHERE sv.product_id = p.id AND sv.stock > 0) AS in_stock, "
        "rs.avg_rating, rs.review_count "
        "FROM " + page + " page JOIN products p ON p.id = page.id "
        "LEFT JOIN product_review_scores rs ON rs.product_id = p.id "
        "ORDER BY " + _order_by(order_columns, "p")
    )
    return await fetch_all(conn, sql, params)


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
        "SELECT p.id, p.category_id, p.slug, p.name, p.description, p.fabric, p.from_price_paise, "
        "c.slug AS category_slug, c.name AS category_name, "
        "(SELECT JSON_ARRAYAGG(JSON_OBJECT('id', v.id, 'sku', v.sku, 'price_paise', v.price_paise, "
        "'stock', v.stock, 'size', s.label, 'size_position', s.position, 'colour', co.name, "
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
