"""`mooncart analyse-reviews`: read every new or changed review, store its reading, then rebuild
the phrases and "Loved by buyers" scores of the products whose reviews changed."""

from __future__ import annotations

import json
from collections import defaultdict

from ..db import transaction
from . import queries
from .analysis import Analyser, loved_score

MODEL_NAME = "vader+shop/minilm-l6-v2"
PHRASES_PER_SIDE = 4


async def analyse_reviews(conn, analyser: Analyser, everything: bool = False, batch: int = 200, progress=None) -> dict:
    """Analyse in batches; returns {"reviews": n, "products": m}. Hidden reviews are read too
    (staff may show them again) but never counted in a product's summary."""
    analysed, touched = 0, set()
    last_id = 0
    while True:
        rows = await queries.select_reviews_to_analyse(conn, last_id, batch, everything)
        if not rows:
            break
        readings = []
        for row in rows:
            text = (row["title"] + ". " if row["title"] else "") + row["body"]
            reading = analyser.read(text, row["fit"])
            readings.append(
                (
                    row["id"],
                    reading.sentiment,
                    reading.vader,
                    reading.fit,
                    queries.phrases_json(reading.phrases),
                    MODEL_NAME if analyser.model else "vader+shop",
                    row["updated_at"],
                )
            )
            touched.add(row["product_id"])
        async with transaction(conn):
            await queries.upsert_analysis(conn, readings)
        analysed += len(rows)
        last_id = rows[-1]["id"]
        if progress:
            progress(len(rows))
    if touched or everything:
        products = sorted(touched) if not everything else await queries.select_products_with_reviews(conn)
        await rebuild_product_summaries(conn, analyser, products)
    return {"reviews": analysed, "products": len(touched)}


async def rebuild_product_summaries(conn, analyser: Analyser, product_ids: list[int], chunk: int = 500) -> None:
    """Each product's top phrases (similar ones merged) and its "Loved by buyers" score."""
    prior = await queries.select_shop_mean(conn) or 4.0
    for start in range(0, len(product_ids), chunk):
        ids = product_ids[start : start + chunk]
        by_product: dict[int, list[dict]] = defaultdict(list)
        for row in await queries.select_product_readings(conn, ids):
            by_product[row["product_id"]].append(row)
        phrase_rows, score_rows = [], []
        for product_id, rows in by_product.items():
            ratings = [(int(r["rating"]), float(r["sentiment"])) for r in rows]
            score_rows.append(
                (
                    product_id,
                    len(rows),
                    sum(r for r, _ in ratings) / len(rows),
                    sum(s for _, s in ratings) / len(rows),
                    loved_score(ratings, prior),
                )
            )
            for polarity, top in top_phrases(analyser, [json.loads(r["phrases"]) for r in rows]).items():
                for position, (phrase, mentions) in enumerate(top):
                    phrase_rows.append((product_id, polarity, position, phrase[:80], mentions))
        async with transaction(conn):
            await queries.replace_product_summaries(conn, ids, phrase_rows, score_rows)


def top_phrases(
    analyser: Analyser, readings: list[list[dict]], merge_at: float = 0.75
) -> dict[str, list[tuple[str, int]]]:
    """The phrases most reviews mention, per polarity. Near-duplicates ("soft fabric", "fabric is
    soft") count as one, named by the most frequent wording. A phrase needs two reviews once a
    product has three or more."""
    # phrase -> the reviews (by index) that mention it, per polarity
    mentions: dict[str, dict[str, set[int]]] = {"positive": defaultdict(set), "negative": defaultdict(set)}
    for index, phrases in enumerate(readings):
        for p in phrases:
            if p["polarity"] in mentions:
                mentions[p["polarity"]][p["phrase"]].add(index)
    minimum = 2 if len(readings) >= 3 else 1
    result = {}
    for polarity, by_phrase in mentions.items():
        ranked = sorted(by_phrase.items(), key=lambda item: (-len(item[1]), item[0]))
        clusters: list[list] = []  # [representative, reviews, vector]
        vectors = analyser.embed([p for p, _ in ranked]) if analyser.model is not None and ranked else None
        for i, (phrase, reviews) in enumerate(ranked):
            home = None
            if vectors is not None:
                for cluster in clusters:
                    if float(vectors[i] @ cluster[2]) >= merge_at:
                        home = cluster
                        break
            if home is None:
                clusters.append([phrase, set(reviews), vectors[i] if vectors is not None else None])
            else:
                home[1] |= reviews  # a review that says it twice counts once
        clusters.sort(key=lambda c: (-len(c[1]), c[0]))
        result[polarity] = [(c[0], len(c[1])) for c in clusters if len(c[1]) >= minimum][:PHRASES_PER_SIDE]
    return result
