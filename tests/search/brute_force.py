"""A search ranked the slow, obvious way, to hold search.index to: every product_search row read,
split and weighed by the same rules (search.rules.product_terms), each query word matched as a
prefix of the product's terms, in plain Python loops."""

from __future__ import annotations

from mooncart.db import fetch_all
from mooncart.search.queries import select_synonyms
from mooncart.search.rules import Synonyms, normalise, product_terms, title_patterns, understand


async def brute_force_ranking(conn, query: str) -> list[tuple[int, int]]:
    """(product id, score) of every product the query matches, best first, then newest."""
    groups = Synonyms.from_rows(await select_synonyms(conn))
    patterns = title_patterns(understand(normalise(query), groups))
    if not patterns:
        return []
    found = []
    for row in await fetch_all(conn, "SELECT product_id, title, body FROM product_search"):
        terms = product_terms(row["title"], row["body"])
        score = 0
        for alternatives in patterns:
            best = None
            for words in alternatives:
                weights = [sum(w for term, w in terms.items() if term.startswith(word)) for word in words]
                if all(weights):
                    best = max(best or 0, sum(weights))
            if best is None:
                break
            score += best
        else:
            found.append((int(row["product_id"]), score))
    return sorted(found, key=lambda pair: (pair[1], pair[0]), reverse=True)
