"""The recommendations' SQL: what the builder reads, what it writes, and what pages read back
(one statement for a product page's three rows, one for a shopper's picks), always leaving out
whatever is sold out now."""

from __future__ import annotations

from ..db import execute, execute_many, fetch_all

KINDS = ("similar", "bought_together", "viewed_together")
LIVE_ORDER = "o.status NOT IN ('cancelled', 'returned')"
# A correlated look-up per candidate, not EXISTS: MariaDB turns that EXISTS into a semi-join that
# materialises every in-stock variant of the shop (59,000 rows, 10 ms on the 10k-product bench
# catalogue, a 6x slower product page); this form reads one index entry per product (0.45 ms).
IN_STOCK = "(SELECT 1 FROM variants sv WHERE sv.product_id = p.id AND sv.stock > 0 LIMIT 1) IS NOT NULL"
CARD_COLUMNS = (
    "p.id, p.slug, p.name, p.from_price_paise, p.from_mrp_paise, 1 AS in_stock, "
    "(SELECT pi.path FROM product_images pi WHERE pi.product_id = p.id ORDER BY pi.position, pi.id LIMIT "
    "1) AS image_path, "
    "rs.avg_rating, rs.review_count"
)


async def select_products_for_similarity(conn) -> list[dict]:
    """Every product with what content similarity compares: words, category, colours, price."""
    return await fetch_all(
        conn,
        "SELECT p.id, p.name, p.description, p.fabric, p.category_id, c.name AS category_name, "
        "p.from_price_paise, (SELECT GROUP_CONCAT(DISTINCT co.name SEPARATOR '|') FROM variants v "
        "JOIN colours co ON co.id = v.colour_id WHERE v.product_id = p.id) AS colours, " + IN_STOCK + " AS in_stock "
        "FROM products p JOIN categories c ON c.id = p.category_id ORDER BY p.id",
    )


async def select_order_lines(conn) -> list[dict]:
    """(order, shopper, product, colour, when) for every line of a live order, oldest first."""
    return await fetch_all(
        conn,
        "SELECT o.id AS order_id, o.user_id, o.placed_at, v.product_id, i.colour_name FROM orders o "
        "JOIN order_items i ON i.order_id = o.id JOIN variants v ON v.id = i.variant_id "
        "WHERE " + LIVE_ORDER + " ORDER BY o.placed_at, o.id",
    )


async def select_views(conn, days: int = 90) -> list[dict]:
    """(visitor, day, product) of every product view in the last `days` days, once each."""
    return await fetch_all(
        conn,
        "SELECT DISTINCT visitor_id, DATE(occurred_at) AS day, product_id FROM events "
        "WHERE kind = 'view' AND product_id IS NOT NULL AND occurred_at >= NOW() - INTERVAL %s DAY",
        (days,),
    )


async def replace_product_recommendations(conn, rows: list[tuple]) -> None:
    """rows: (product_id, kind, position, recommended_id, score); the whole table is rebuilt."""
    await execute(conn, "DELETE FROM product_recommendations")
    for start in range(0, len(rows), 5000):
        await execute_many(
            conn,
            "INSERT INTO product_recommendations (product_id, kind, position, recommended_id, "
            "score) "
            "VALUES (%s, %s, %s, %s, %s)",
            rows[start : start + 5000],
        )


async def replace_user_recommendations(conn, rows: list[tuple]) -> None:
    """rows: (user_id, position, product_id, score)."""
    await execute(conn, "DELETE FROM user_recommendations")
    for start in range(0, len(rows), 5000):
        await execute_many(
            conn,
            "INSERT INTO user_recommendations (user_id, position, product_id, score) VALUES (%s, %s, %s, %s)",
            rows[start : start + 5000],
        )


async def select_for_product(conn, product: dict, per_kind: int = 8) -> dict[str, list[dict]]:
    """A product page's three rows in one statement: up to `per_kind` in-stock products per
    kind. Until build-recommendations has run for a product, "You may also like" falls back to
    the newest in-stock products of its category, read by the same statement (so the page
    costs the same either way)."""
    rows = await fetch_all(
        conn,
        "(SELECT r.kind, r.position, " + CARD_COLUMNS + " FROM product_recommendations r "
        ""  # nosec B608 # fixed text; values are %s parameters
        "JOIN products p ON p.id = r.recommended_id "
        "LEFT JOIN product_review_scores rs ON rs.product_id = p.id "
        "WHERE r.product_id = %s AND r.recommended_id <> r.product_id AND " + IN_STOCK + ") "
        "UNION ALL (SELECT 'newest', 0, " + CARD_COLUMNS + " FROM products p "
        "LEFT JOIN product_review_scores rs ON rs.product_id = p.id "
        "WHERE p.category_id = %s AND p.id <> %s AND " + IN_STOCK + " ORDER BY p.id DESC LIMIT %s) "
        "ORDER BY kind, position, id DESC",
        (product["id"], product["category_id"], product["id"], per_kind),
    )
    result: dict[str, list[dict]] = {kind: [] for kind in (*KINDS, "newest")}
    for row in rows:
        if len(result[row["kind"]]) < per_kind:
            result[row["kind"]].append(row)
    newest = result.pop("newest")
    if not result["similar"]:
        result["similar"] = newest
    return result


async def select_for_user(conn, user_id: int, limit: int = 8) -> list[dict]:
    """A shopper's personal picks that are in stock now."""
    return await fetch_all(
        conn,
        "SELECT " + CARD_COLUMNS + " FROM user_recommendations u JOIN products p ON p.id = u.product_id "
        ""  # nosec B608 # fixed text; values are %s parameters
        "LEFT JOIN product_review_scores rs ON rs.product_id = p.id "
        "WHERE u.user_id = %s AND " + IN_STOCK + " ORDER BY u.position LIMIT %s",
        (user_id, limit),
    )
