"""`mooncart build-recommendations`: read the catalogue, the orders and the clickstream, build
every recommendation row, and replace the tables in one transaction."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from ..db import transaction
from . import queries
from .build import PER_KIND, Catalogue, Taste, baskets_of, co_occurrence, content_neighbours, evaluate, personal_picks


async def build_recommendations(conn, min_support: int = 2, with_evaluation: bool = False) -> dict:
    """Rebuild every recommendation table from orders, views and the catalogue; optionally evaluate them."""
    catalogue = Catalogue.from_rows(await queries.select_products_for_similarity(conn))
    lines = await queries.select_order_lines(conn)
    views = await queries.select_views(conn)
    content = content_neighbours(catalogue)
    cobuy = co_occurrence(baskets_of(lines), catalogue, min_support)
    visits: dict[tuple, set[int]] = defaultdict(set)
    for row in views:
        visits[(row["visitor_id"], row["day"])].add(row["product_id"])
    coview = co_occurrence(list(visits.values()), catalogue, min_support)
    rows = []
    for kind, table in (("similar", content), ("bought_together", cobuy), ("viewed_together", coview)):
        for product_id, found in table.items():
            seen = set()
            position = 0
            for other, score in found:
                if other == product_id or other in seen or not catalogue.in_stock(other):
                    continue  # never itself, never twice, never sold out
                seen.add(other)
                rows.append((product_id, kind, position, other, round(score, 5)))
                position += 1
                if position == PER_KIND:
                    break
    popularity = Counter(line["product_id"] for line in lines)
    by_user: dict[int, list[dict]] = defaultdict(list)
    for line in lines:
        by_user[line["user_id"]].append(line)
    picks = []
    for user_id, user_lines in by_user.items():
        for position, (product_id, score) in enumerate(
            personal_picks(Taste.of(user_lines, catalogue), catalogue, [content, cobuy], popularity)
        ):
            picks.append((user_id, position, product_id, round(score, 5)))
    async with transaction(conn):
        await queries.replace_product_recommendations(conn, rows)
        await queries.replace_user_recommendations(conn, picks)
    summary: dict[str, Any] = {
        "products": len(catalogue.products),
        "rows": len(rows),
        "shoppers": len(by_user),
        "similar": sum(1 for r in rows if r[1] == "similar"),
        "bought_together": sum(1 for r in rows if r[1] == "bought_together"),
        "viewed_together": sum(1 for r in rows if r[1] == "viewed_together"),
    }
    if with_evaluation:
        summary["evaluation"] = evaluate(lines, catalogue, content, 10, min_support)
    return summary


def evaluation_markdown(result: dict) -> str:
    """The evaluation as a Markdown table, for the docs."""
    k = result["k"]
    return (
        f"| recommender | hit-rate@{k} | NDCG@{k} |\n| --- | --- | --- |\n"
        f"| personal picks | {result['personal']['hit_rate']:.3f} | {result['personal']['ndcg']:.3f} |\n"
        f"| popularity (baseline) | {result['popularity']['hit_rate']:.3f} | {result['popularity']['ndcg']:.3f} |\n"
        f"\n{result['users']} shoppers with two or more orders; each one's last order held out.\n"
    )
