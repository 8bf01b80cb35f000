"""The review analysis's SQL: which reviews need reading, where the readings go, and what a
product page reads back (rating summary with fit, key phrases, "Loved by buyers")."""

from __future__ import annotations

import json

from ..db import execute, execute_many, fetch_all, in_list

VISIBLE = "r.hidden_at IS NULL"


async def select_reviews_to_analyse(conn, after_id: int, limit: int = 500, everything: bool = False) -> list[dict]:
    """The next reviews by id never analysed, or changed since (their updated_at moved past
    the reading's); every review when `everything`."""
    return await fetch_all(
        conn,
        "SELECT r.id, r.product_id, r.rating, r.title, r.body, r.fit, r.updated_at FROM reviews r "
        "LEFT JOIN review_analysis a ON a.review_id = r.id "
        "WHERE r.id > %s AND (%s OR a.review_id IS NULL OR a.source_updated_at < r.updated_at) "
        "ORDER BY r.id LIMIT %s",
        (after_id, everything, limit),
    )


async def upsert_analysis(conn, rows: list[tuple]) -> None:
    """rows: (review_id, sentiment, vader, fit_signal, phrases_json, model, source_updated_at)."""
    await execute_many(
        conn,
        "INSERT INTO review_analysis (review_id, sentiment, vader, fit_signal, phrases, model, "
        "source_updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE sentiment = VALUES(sentiment), "
        "vader = VALUES(vader), fit_signal = VALUES(fit_signal), phrases = VALUES(phrases), "
        "model = VALUES(model), source_updated_at = VALUES(source_updated_at), analysed_at = "
        "CURRENT_TIMESTAMP(6)",
        rows,
    )


async def select_product_readings(conn, product_ids: list[int]) -> list[dict]:
    """Every visible review's reading for these products (to rebuild their phrases and scores)."""
    placeholders, params = in_list(product_ids)
    return await fetch_all(
        conn,
        "SELECT r.product_id, r.rating, a.sentiment, a.phrases FROM reviews r "
        ""  # nosec B608 # values are %s parameters
        "JOIN review_analysis a ON a.review_id = r.id WHERE " + VISIBLE + " AND r.product_id IN "
        "(" + placeholders + ")",
        params,
    )


async def select_shop_mean(conn) -> float | None:
    """The prior of "Loved by buyers": the mean sentiment-adjusted rating over every visible review."""
    rows = await fetch_all(
        conn,
        "SELECT AVG(LEAST(5, GREATEST(1, r.rating + 0.5 * a.sentiment))) AS mean FROM reviews "
        "r "
        "JOIN review_analysis a ON a.review_id = r.id WHERE " + VISIBLE,
    )
    return None if not rows or rows[0]["mean"] is None else float(rows[0]["mean"])


async def select_products_with_reviews(conn) -> list[int]:
    """The products that have reviews, whose phrases are worth computing."""
    return [row["product_id"] for row in await fetch_all(conn, "SELECT DISTINCT product_id FROM reviews")]


async def replace_product_summaries(
    conn, product_ids: list[int], phrase_rows: list[tuple], score_rows: list[tuple]
) -> None:
    """The products' phrases and scores, replaced whole (inside the caller's transaction)."""
    placeholders, params = in_list(product_ids)
    await execute(conn, "DELETE FROM product_phrases WHERE product_id IN (" + placeholders + ")", params)  # nosec B608
    await execute(conn, "DELETE FROM product_review_scores WHERE product_id IN (" + placeholders + ")", params)  # nosec B608
    if phrase_rows:
        await execute_many(
            conn,
            "INSERT INTO product_phrases (product_id, polarity, position, phrase, mentions) "
            "VALUES (%s, %s, %s, %s, %s)",
            phrase_rows,
        )
    if score_rows:
        await execute_many(
            conn,
            "INSERT INTO product_review_scores (product_id, review_count, avg_rating, "
            "avg_sentiment, loved_score) VALUES (%s, %s, %s, %s, %s)",
            score_rows,
        )
    await sync_loved_points(conn, product_ids)


async def sync_loved_points(conn, product_ids: list[int] | None = None) -> None:
    """Copy each product's loved score onto products.loved_points (x 1000, 0 without reviews),
    which listings sort "Loved by buyers" by from the (category_id, loved_points, id) index:
    product_review_scores has no category, so a category's listing could not be read in score
    order from it. Called by every writer of product_review_scores; with no ids, every product
    whose number differs (after a bulk rebuild)."""
    points = "COALESCE(LEAST(65535, GREATEST(0, ROUND(s.loved_score * 1000))), 0)"
    if product_ids is None:
        await execute(
            conn,
            "UPDATE products p JOIN product_review_scores s ON s.product_id = p.id "  # nosec B608 # fixed text only
            "SET p.loved_points = " + points + " WHERE p.loved_points <> " + points,
        )
        return
    if not product_ids:
        return
    placeholders, params = in_list(product_ids)
    await execute(
        conn,
        "UPDATE products p LEFT JOIN product_review_scores s ON s.product_id = p.id "  # nosec B608 # values are %s parameters
        "SET p.loved_points = " + points + " WHERE p.id IN (" + placeholders + ")",
        params,
    )


async def select_rating_summary(conn, product_id: int) -> dict:
    """The rating summary and the fit counts of a product's visible reviews, in one statement:
    {"count", "average", "histogram": {5: n, ..., 1: n}, "fit": {"small": n, "true": n, "large": n}}.
    A review's fit is what analyse-reviews read (its words, then its answer), else the answer."""
    rows = await fetch_all(
        conn,
        "SELECT r.rating, COUNT(*) AS reviews, "  # nosec B608 # values are %s parameters
        "SUM(COALESCE(a.fit_signal, r.fit) = 'small') AS small, SUM(COALESCE(a.fit_signal, r.fit) = 'true') AS "
        "true_, "
        "SUM(COALESCE(a.fit_signal, r.fit) = 'large') AS large FROM reviews r "
        "LEFT JOIN review_analysis a ON a.review_id = r.id "
        "WHERE r.product_id = %s AND " + VISIBLE + " GROUP BY r.rating",
        (product_id,),
    )
    histogram = {stars: 0 for stars in range(5, 0, -1)}
    fit = {"small": 0, "true": 0, "large": 0}
    for row in rows:
        histogram[int(row["rating"])] = int(row["reviews"])
        fit["small"] += int(row["small"] or 0)
        fit["true"] += int(row["true_"] or 0)
        fit["large"] += int(row["large"] or 0)
    count = sum(histogram.values())
    average = sum(stars * n for stars, n in histogram.items()) / count if count else None
    return {"count": count, "average": average, "histogram": histogram, "fit": fit}


async def select_product_phrases(conn, product_id: int) -> dict[str, list[dict]]:
    """A product's stored phrases by polarity, for its product page."""
    rows = await fetch_all(
        conn,
        "SELECT polarity, phrase, mentions FROM product_phrases WHERE product_id = %s ORDER BY polarity, position",
        (product_id,),
    )
    phrases: dict[str, list[dict]] = {"positive": [], "negative": []}
    for row in rows:
        phrases[row["polarity"]].append(row)
    return phrases


async def select_loved(conn, limit: int = 24, category_ids: list[int] | None = None) -> list[dict]:
    """Products by "Loved by buyers" score, best first, with their rating (in stock or not:
    the card says which)."""
    params: list = []
    where = ""
    if category_ids:
        placeholders, params = in_list(category_ids)
        where = "WHERE p.category_id IN (" + placeholders + ") "
    return await fetch_all(
        conn,
        "SELECT p.id, p.slug, p.name, p.from_price_paise, p.from_mrp_paise, s.loved_score, s.avg_rating, "
        "s.review_count, "
        ""  # nosec B608 # values are %s parameters
        "(SELECT pi.path FROM product_images pi WHERE pi.product_id = p.id ORDER BY pi.position, pi.id LIMIT 1) "
        "AS image_path, "
        "EXISTS (SELECT 1 FROM variants sv WHERE sv.product_id = p.id AND sv.stock > 0) AS in_stock "
        "FROM product_review_scores s JOIN products p ON p.id = s.product_id "
        + where
        + "ORDER BY s.loved_score DESC, s.review_count DESC, p.id LIMIT %s",
        [*params, limit],
    )


def phrases_json(phrases: list[dict]) -> str:
    """Phrases as JSON that keeps non-ASCII text readable."""
    return json.dumps(phrases, ensure_ascii=False)
