"""The recommenders, in plain Python (no extra packages: the shop builds its recommendations
without the ml extra), and their offline evaluation.

- content: TF-IDF over a product's words, category, colours, fabric and price band; cosine
  similarity found through an inverted index. Terms in more than a fifth of the catalogue are
  left out of the index: they say little and would make every pair a candidate.
- co-purchase: products in the same order, counted over orders, scored by cosine
  (together / sqrt(orders of a * orders of b)), kept from `min_support` orders together.
- co-view: products viewed by the same visitor on the same day, the same way.
- personal: a shopper's tastes (her categories, colours and price bands, as shares of what
  she bought) plus the neighbours of what she bought, minus what she has already bought."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

_WORD = re.compile(r"[a-z]+")
STOP = {
    "a",
    "an",
    "the",
    "in",
    "of",
    "for",
    "and",
    "with",
    "made",
    "pairs",
    "beautifully",
    "gentle",
    "hand",
    "wash",
    "recommended",
    "to",
    "on",
    "at",
    "by",
    "is",
    "it",
}
PER_KIND = 12
PICKS = 12


def price_band(paise: int) -> int:
    """Bands a factor of 1.6 apart (₹400-640, ₹640-1,020, ...): near prices share a band."""
    return int(math.log(max(paise, 100) / 100) / math.log(1.6))


@dataclass
class Catalogue:
    products: dict[int, dict]
    vectors: dict[int, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[dict]) -> Catalogue:
        """The catalogue from its query rows, with colour lists and price bands worked out once."""
        catalogue = cls(
            {
                row["id"]: dict(
                    row, colour_list=(row["colours"] or "").split("|"), band=price_band(int(row["from_price_paise"]))
                )
                for row in rows
            }
        )
        catalogue.vectors = tfidf({pid: features(p) for pid, p in catalogue.products.items()})
        return catalogue

    def in_stock(self, product_id: int) -> bool:
        """Whether a product can be recommended (known and in stock)."""
        product = self.products.get(product_id)
        return bool(product and product["in_stock"])


def features(product: dict) -> Counter:
    """A product's terms with weights: name words count twice, category and colours three
    times (a shopper who likes teal kurtis), the price band twice and its neighbours once."""
    terms: Counter = Counter()
    for word in _WORD.findall(product["name"].lower()):
        if word not in STOP:
            terms["w:" + word] += 2
    for word in _WORD.findall(product["description"].lower()):
        if word not in STOP:
            terms["w:" + word] += 1
    terms["cat:" + str(product["category_id"])] += 3
    for colour in product["colour_list"]:
        if colour:
            terms["col:" + colour] += 3
    if product["fabric"]:
        terms["fab:" + product["fabric"].lower()] += 1
    terms["band:" + str(product["band"])] += 2
    terms["band:" + str(product["band"] - 1)] += 1
    terms["band:" + str(product["band"] + 1)] += 1
    return terms


def tfidf(documents: dict[int, Counter]) -> dict[int, dict[str, float]]:
    """TF-IDF vectors of each product's words, so rare words weigh more than common ones."""
    n = len(documents)
    df: Counter = Counter()
    for terms in documents.values():
        df.update(terms.keys())
    vectors = {}
    for doc_id, terms in documents.items():
        vector = {t: (1 + math.log(c)) * math.log((1 + n) / (1 + df[t])) for t, c in terms.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors[doc_id] = {t: v / norm for t, v in vector.items() if v > 0}
    return vectors


def content_neighbours(
    catalogue: Catalogue, top: int = PER_KIND, common: float = 0.2
) -> dict[int, list[tuple[int, float]]]:
    """Each product's most similar others, in stock, never itself."""
    vectors = catalogue.vectors
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    limit = max(50, int(len(vectors) * common))
    for doc_id, vector in vectors.items():
        for term, weight in vector.items():
            postings[term].append((doc_id, weight))
    postings = {t: p for t, p in postings.items() if len(p) <= limit}
    result = {}
    for doc_id, vector in vectors.items():
        scores: dict[int, float] = defaultdict(float)
        for term, weight in vector.items():
            for other, other_weight in postings.get(term, ()):
                if other != doc_id:
                    scores[other] += weight * other_weight
        ranked = sorted(((o, s) for o, s in scores.items() if catalogue.in_stock(o)), key=lambda x: (-x[1], x[0]))
        result[doc_id] = ranked[:top]
    return result


def co_occurrence(
    baskets: list[set[int]], catalogue: Catalogue, min_support: int = 2, top: int = PER_KIND
) -> dict[int, list[tuple[int, float]]]:
    """Item-item cosine over baskets (orders, or a visitor's day of views); pairs seen together
    in fewer than `min_support` baskets are noise and are left out."""
    single: Counter = Counter()
    pairs: Counter = Counter()
    for basket in baskets:
        items = sorted(basket)
        if len(items) > 50:
            items = items[:50]  # a crawler's day of views is not a shopper's
        single.update(items)
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                pairs[(a, b)] += 1
    neighbours: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (a, b), together in pairs.items():
        if together < min_support:
            continue
        score = together / math.sqrt(single[a] * single[b])
        if catalogue.in_stock(b):
            neighbours[a].append((b, score))
        if catalogue.in_stock(a):
            neighbours[b].append((a, score))
    return {item: sorted(found, key=lambda x: (-x[1], x[0]))[:top] for item, found in neighbours.items()}


@dataclass
class Taste:
    categories: Counter
    colours: Counter
    bands: Counter
    bought: set[int]

    @classmethod
    def of(cls, lines: list[dict], catalogue: Catalogue) -> Taste:
        """A shopper's taste, from the order lines she bought."""
        taste = cls(Counter(), Counter(), Counter(), set())
        for line in lines:
            product = catalogue.products.get(line["product_id"])
            if product is None:
                continue
            taste.bought.add(product["id"])
            taste.categories[product["category_id"]] += 1
            taste.colours[line.get("colour_name") or product["colour_list"][0]] += 1
            taste.bands[product["band"]] += 1
        return taste

    def affinity(self, product: dict) -> float:
        """How well a product matches: category share, best colour share, price-band share
        (a neighbouring band counts half), averaged."""
        n = max(1, sum(self.categories.values()))
        category = self.categories[product["category_id"]] / n
        colour = max((self.colours[c] for c in product["colour_list"]), default=0) / n
        near = self.bands[product["band"] - 1] + self.bands[product["band"] + 1]
        band = (self.bands[product["band"]] + 0.5 * near) / n
        return (category + colour + min(band, 1.0)) / 3


def personal_picks(
    taste: Taste,
    catalogue: Catalogue,
    neighbours: list[dict[int, list[tuple[int, float]]]],
    popularity: Counter,
    top: int = PICKS,
) -> list[tuple[int, float]]:
    """Products for one shopper: taste affinity, plus the neighbours of what she bought, plus a
    little popularity to break ties; in stock and not bought before."""
    scores: dict[int, float] = defaultdict(float)
    for table in neighbours:
        for item in taste.bought:
            for other, score in table.get(item, ()):
                scores[other] += 0.5 * score
    most = max(popularity.values(), default=1) or 1
    for product_id, product in catalogue.products.items():
        if not product["in_stock"] or product_id in taste.bought:
            scores.pop(product_id, None)
            continue
        affinity = taste.affinity(product)
        if affinity > 0 or product_id in scores:
            scores[product_id] += affinity + 0.1 * popularity[product_id] / most
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))[:top]


def popular_picks(
    bought: set[int], catalogue: Catalogue, popularity: Counter, top: int = PICKS
) -> list[tuple[int, float]]:
    """The baseline: the most-ordered products she has not bought, in stock."""
    ranked = [(p, float(n)) for p, n in popularity.most_common() if p not in bought and catalogue.in_stock(p)]
    return ranked[:top]


def baskets_of(lines: list[dict]) -> list[set[int]]:
    """The set of products of each order, for what is bought together."""
    orders: dict[int, set[int]] = defaultdict(set)
    for line in lines:
        orders[line["order_id"]].add(line["product_id"])
    return list(orders.values())


def evaluate(lines: list[dict], catalogue: Catalogue, content: dict, k: int = 10, min_support: int = 2) -> dict:
    """Hold out each shopper's last order (shoppers with two or more); learn from every other
    order; rank k products for each shopper and score them against the held-out products:
    hit-rate@k (at least one of them among the k) and NDCG@k (how high they came)."""
    by_user: dict[int, list[dict]] = defaultdict(list)
    for line in lines:
        by_user[line["user_id"]].append(line)
    held_out: dict[int, set[int]] = {}
    training: list[dict] = []
    for user_id, user_lines in by_user.items():
        order_ids = list(dict.fromkeys(line["order_id"] for line in user_lines))  # in time order
        if len(order_ids) >= 2:
            last = order_ids[-1]
            held_out[user_id] = {line["product_id"] for line in user_lines if line["order_id"] == last}
            training.extend(line for line in user_lines if line["order_id"] != last)
        else:
            training.extend(user_lines)
    popularity = Counter(line["product_id"] for line in training)
    cobuy = co_occurrence(baskets_of(training), catalogue, min_support)
    train_by_user: dict[int, list[dict]] = defaultdict(list)
    for line in training:
        train_by_user[line["user_id"]].append(line)
    results: dict[str, Any] = {"users": len(held_out), "k": k}
    for name in ("personal", "popularity"):
        hits, ndcg = 0, 0.0
        for user_id, truth in held_out.items():
            taste = Taste.of(train_by_user[user_id], catalogue)
            if name == "personal":
                ranked = personal_picks(taste, catalogue, [content, cobuy], popularity, k)
            else:
                ranked = popular_picks(taste.bought, catalogue, popularity, k)
            picked = [p for p, _ in ranked[:k]]
            gains = [1.0 if p in truth else 0.0 for p in picked]
            hits += any(gains)
            dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
            ideal = sum(1 / math.log2(i + 2) for i in range(min(len(truth), k)))
            ndcg += dcg / ideal if ideal else 0.0
        n = max(1, len(held_out))
        results[name] = {"hit_rate": hits / n, "ndcg": ndcg / n}
    return results
