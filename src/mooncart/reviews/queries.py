"""The reviews' SQL. Visible reviews are those staff have not hidden."""

from __future__ import annotations

from ..db import execute, fetch_all, fetch_one, transaction
from ..insights.queries import sync_loved_points

# sort name -> ORDER BY (fixed text: the name the shopper sends only picks one of these)
SORTS = {
    "newest": "r.created_at DESC, r.id DESC",
    "helpful": "r.helpful_count DESC, r.created_at DESC, r.id DESC",
    "highest": "r.rating DESC, r.created_at DESC, r.id DESC",
    "lowest": "r.rating ASC, r.created_at DESC, r.id DESC",
}
SORT_LABELS = {"newest": "Newest", "helpful": "Most helpful", "highest": "Highest rated", "lowest": "Lowest rated"}
FIT_LABELS = {"small": "Runs small", "true": "True to size", "large": "Runs large"}


async def select_reviews(
    conn,
    product_id: int,
    *,
    sort: str = "newest",
    stars: int | None = None,
    viewer_id: int | None = None,
    limit: int = 10,
    offset: int = 0,
) -> list[dict]:
    """A page of a product's visible reviews, with the reviewer's first name only, and whether
    the viewer has found each helpful already (one statement)."""
    order = SORTS[sort]
    return await fetch_all(
        conn,
        "SELECT r.id, r.rating, r.title, r.body, r.fit, r.verified, r.helpful_count, r.created_at, "
        ""  # nosec B608 # ORDER BY from a fixed dict; values are %s parameters
        "r.user_id, SUBSTRING_INDEX(u.name, ' ', 1) AS reviewer, (rv.user_id IS NOT NULL) AS voted "
        "FROM reviews r JOIN users u ON u.id = r.user_id "
        "LEFT JOIN review_votes rv ON rv.review_id = r.id AND rv.user_id = %s "
        "WHERE r.product_id = %s AND r.hidden_at IS NULL AND (%s IS NULL OR r.rating = %s) "
        "ORDER BY " + order + " LIMIT %s OFFSET %s",
        (viewer_id or 0, product_id, stars, stars, limit, offset),
    )


async def select_review_rights(conn, product_id: int, user_id: int) -> dict:
    """May this shopper review the product (she received it: an order of hers with it was
    delivered), and her review if she wrote one, in one statement."""
    row = await fetch_one(
        conn,
        "SELECT EXISTS (SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id "
        "JOIN variants v ON v.id = i.variant_id WHERE o.user_id = %s AND o.status = 'delivered' "
        "AND v.product_id = %s) AS received, r.id, r.rating, r.title, r.body, r.fit, r.hidden_at "
        "FROM (SELECT 1) one LEFT JOIN reviews r ON r.product_id = %s AND r.user_id = %s",
        (user_id, product_id, product_id, user_id),
    )
    if row is None:  # FROM (SELECT 1) always gives one row; this keeps the types honest
        return {"received": False, "review": None}
    return {"received": bool(row["received"]), "review": row if row["id"] is not None else None}


async def upsert_review(
    conn, product_id: int, user_id: int, rating: int, title: str, body: str, fit: str | None
) -> bool:
    """One review per shopper per product: a second replaces the first (and is analysed again,
    since updated_at moves). The product's live rating moves in the same transaction. True if new."""
    async with transaction(conn):
        affected, _ = await execute(
            conn,
            "INSERT INTO reviews (product_id, user_id, rating, title, body, fit, verified) "
            "VALUES (%s, %s, %s, %s, %s, %s, 1) ON DUPLICATE KEY UPDATE rating = VALUES(rating), "
            "title = VALUES(title), body = VALUES(body), fit = VALUES(fit), verified = 1, "
            "updated_at = CURRENT_TIMESTAMP(6)",
            (product_id, user_id, rating, title, body, fit),
        )
        await refresh_product_rating(conn, product_id)
    return affected == 1


async def refresh_product_rating(conn, product_id: int) -> None:
    """The product's review count and average on product_review_scores (what cards and the
    "Loved by buyers" sort read), recounted from its visible reviews, so they are never stale.
    Its loved score is recomputed too, with the sentiments analysed so far (0 for a review not
    yet analysed) and a prior of five imaginary 4-star reviews; analyse-reviews then puts the
    shop's own mean in place of the 4."""
    await execute(
        conn,
        "INSERT INTO product_review_scores (product_id, review_count, avg_rating, avg_sentiment, loved_score) "
        "SELECT %s, COUNT(*), COALESCE(AVG(r.rating), 0), COALESCE(AVG(a.sentiment), 0), "
        "(20 + COALESCE(SUM(LEAST(5, GREATEST(1, r.rating + 0.5 * COALESCE(a.sentiment, 0)))), 0)) / (5 + "
        "COUNT(*)) "
        "FROM reviews r LEFT JOIN review_analysis a ON a.review_id = r.id "
        "WHERE r.product_id = %s AND r.hidden_at IS NULL "
        "ON DUPLICATE KEY UPDATE review_count = VALUES(review_count), avg_rating = VALUES(avg_rating), "
        "avg_sentiment = VALUES(avg_sentiment), loved_score = VALUES(loved_score)",
        (product_id, product_id),
    )
    await execute(conn, "DELETE FROM product_review_scores WHERE product_id = %s AND review_count = 0", (product_id,))
    await sync_loved_points(conn, [product_id])


async def refresh_all_product_ratings(conn) -> None:
    """refresh_product_rating for every product with reviews (after reviews arrive in bulk)."""
    await execute(
        conn,
        "INSERT INTO product_review_scores (product_id, review_count, avg_rating, avg_sentiment, loved_score) "
        "SELECT r.product_id, COUNT(*), AVG(r.rating), COALESCE(AVG(a.sentiment), 0), "
        "(20 + SUM(LEAST(5, GREATEST(1, r.rating + 0.5 * COALESCE(a.sentiment, 0))))) / (5 + COUNT(*)) "
        "FROM reviews r LEFT JOIN review_analysis a ON a.review_id = r.id WHERE r.hidden_at IS NULL "
        "GROUP BY r.product_id ON DUPLICATE KEY UPDATE review_count = VALUES(review_count), "
        "avg_rating = VALUES(avg_rating), avg_sentiment = VALUES(avg_sentiment), loved_score = "
        "VALUES(loved_score)",
    )
    await sync_loved_points(conn)


async def select_review(conn, review_id: int) -> dict | None:
    """One review with its product's slug (for links back), or None."""
    return await fetch_one(
        conn,
        "SELECT r.id, r.product_id, r.user_id, r.helpful_count, r.hidden_at, p.slug AS product_slug "
        "FROM reviews r JOIN products p ON p.id = r.product_id WHERE r.id = %s",
        (review_id,),
    )


async def add_helpful_vote(conn, review_id: int, user_id: int) -> bool:
    """One vote per shopper per review; the count moves with the vote. True if counted now."""
    async with transaction(conn):
        inserted, _ = await execute(
            conn, "INSERT IGNORE INTO review_votes (review_id, user_id) VALUES (%s, %s)", (review_id, user_id)
        )
        if inserted:
            await execute(conn, "UPDATE reviews SET helpful_count = helpful_count + 1 WHERE id = %s", (review_id,))
    return bool(inserted)


async def select_helpful_count(conn, review_id: int) -> int:
    """How many found a review helpful (0 for an unknown review)."""
    row = await fetch_one(conn, "SELECT helpful_count FROM reviews WHERE id = %s", (review_id,))
    return int(row["helpful_count"]) if row else 0


async def set_hidden(conn, review_id: int, staff_id: int | None, reason: str | None) -> bool:
    """Hide a review with a reason (reason given) or show it again (reason None)."""
    review = await select_review(conn, review_id)
    if review is None:
        return False
    async with transaction(conn):
        if reason is None:
            await execute(
                conn,
                "UPDATE reviews SET hidden_at = NULL, hidden_reason = '', hidden_by = NULL WHERE id = %s",
                (review_id,),
            )
        else:
            await execute(
                conn,
                "UPDATE reviews SET hidden_at = CURRENT_TIMESTAMP(6), hidden_reason = %s, hidden_by = %s WHERE id = %s",
                (reason, staff_id, review_id),
            )
        await refresh_product_rating(conn, review["product_id"])
    return True


async def select_reviews_for_staff(conn, hidden: bool | None, limit: int = 100) -> list[dict]:
    """The newest reviews for moderation, with their analysis when there is one."""
    return await fetch_all(
        conn,
        "SELECT r.id, r.rating, r.title, r.body, r.fit, r.verified, r.helpful_count, r.created_at, r.hidden_at, "
        "r.hidden_reason, p.name AS product_name, p.slug AS product_slug, u.email AS reviewer_email, "
        "s.name AS hidden_by_name, a.sentiment, a.fit_signal FROM reviews r "
        "JOIN products p ON p.id = r.product_id JOIN users u ON u.id = r.user_id "
        "LEFT JOIN users s ON s.id = r.hidden_by LEFT JOIN review_analysis a ON a.review_id = r.id "
        "WHERE %s IS NULL OR (r.hidden_at IS NOT NULL) = %s ORDER BY r.created_at DESC, r.id DESC LIMIT %s",
        (hidden, hidden, limit),
    )
