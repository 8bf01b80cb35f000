"""The wishlist's SQL: a signed-in shopper's wished products (wishlist_items, one row per shopper
and product), the page's products with their sizes, and the cards of recently viewed products."""

from __future__ import annotations

from ..catalog.queries import FIRST_IMAGE_SQL
from ..db import execute, fetch_all, fetch_one, in_list

# What a product card shows (catalog/_product_card.html), as the listing reads it
CARD_COLUMNS = (
    "p.id, p.slug, p.name, p.from_price_paise, " + FIRST_IMAGE_SQL + " AS image_path, "
    "EXISTS (SELECT 1 FROM variants sv WHERE sv.product_id = p.id AND sv.stock > 0) AS in_stock, "
    "rs.avg_rating, rs.review_count"
)


async def select_wished_ids(conn, user_id: int) -> frozenset[int]:
    """The ids of every product the shopper wished for: which hearts on a page are filled. A range
    of the primary key (user_id, product_id), read from the index alone."""
    rows = await fetch_all(conn, "SELECT product_id FROM wishlist_items WHERE user_id = %s", (user_id,))
    return frozenset(row["product_id"] for row in rows)


async def select_product(conn, product_id: int) -> dict | None:
    """The little a heart shows of a product (its name for the label, its slug for the way back)."""
    return await fetch_one(conn, "SELECT id, slug, name FROM products WHERE id = %s", (product_id,))


async def insert_item(conn, user_id: int, product_id: int) -> bool:
    """Wish for a product; a second wish for it changes nothing (the primary key). True when added."""
    affected, _ = await execute(
        conn, "INSERT IGNORE INTO wishlist_items (user_id, product_id) VALUES (%s, %s)", (user_id, product_id)
    )
    return affected > 0


async def insert_item_if_product(conn, user_id: int, product_id: int) -> bool:
    """Wish for a product that may have left the shop since (a wish carried through a log-in):
    nothing is written for a product that is gone. True when added."""
    affected, _ = await execute(
        conn,
        "INSERT IGNORE INTO wishlist_items (user_id, product_id) SELECT %s, p.id FROM products p WHERE p.id = %s",
        (user_id, product_id),
    )
    return affected > 0


async def delete_item(conn, user_id: int, product_id: int) -> bool:
    """Take a product out of this shopper's wishlist (only hers: the key holds her id). True when it was there."""
    affected, _ = await execute(
        conn, "DELETE FROM wishlist_items WHERE user_id = %s AND product_id = %s", (user_id, product_id)
    )
    return affected > 0


async def select_wishlist_rows(conn, user_id: int) -> list[dict]:
    """The wishlist page in one statement: each wished product (newest wish first) with each of
    its sizes and their stock, one row per variant (a product without variants has one row with a
    NULL variant)."""
    return await fetch_all(
        conn,
        "SELECT p.id AS product_id, p.slug, p.name, p.from_price_paise, "  # nosec B608 # values are %s parameters
        + FIRST_IMAGE_SQL
        + " AS image_path, w.added_at, v.id AS variant_id, v.price_paise, v.stock, s.label AS size, "
        "co.name AS colour "
        "FROM wishlist_items w JOIN products p ON p.id = w.product_id "
        "LEFT JOIN variants v ON v.product_id = p.id "
        "LEFT JOIN sizes s ON s.id = v.size_id LEFT JOIN colours co ON co.id = v.colour_id "
        "WHERE w.user_id = %s ORDER BY w.added_at DESC, p.id DESC, co.name, s.position, v.id",
        (user_id,),
    )


async def select_cards(conn, product_ids: list[int]) -> list[dict]:
    """Product cards for these ids, in the order given (ids that are no product are skipped)."""
    if not product_ids:
        return []
    placeholders, params = in_list(product_ids)
    rows = await fetch_all(
        conn,
        "SELECT " + CARD_COLUMNS + " FROM products p "  # nosec B608 # placeholders from in_list; values are parameters
        "LEFT JOIN product_review_scores rs ON rs.product_id = p.id WHERE p.id IN (" + placeholders + ")",
        params,
    )
    by_id = {row["id"]: row for row in rows}
    return [by_id[product_id] for product_id in product_ids if product_id in by_id]
