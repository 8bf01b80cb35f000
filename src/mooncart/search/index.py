"""Search's own index, kept in the process (issue 13: the results page for a common word on a
million products). InnoDB's FULLTEXT ranks every product a word matches on every request: 9 to 17 s
for `kurti*` (102,000 products) on 1,000,000. Here a word's postings (the products whose search text
has a word beginning with it, and their summed weights: search_terms, migration 0512) are read from
the database once, on first use, as sorted numpy arrays; a query is then intersections and unions
of a few arrays and a partial sort for the one page asked for, a few milliseconds whatever the
catalogue's size.

Exact across instances: every writer of search_terms records its products in the catalogue's
change feed (mooncart.changes) in its own transaction; before answering, the index catches up with
the feed under the feed's lock and re-reads the changed products' terms, so a search that starts
after a change committed sees it, on every instance. "Everything changed" (a category renamed, a
feed that lost track) drops what was loaded, and words are read again when next asked for.

What a query matches is the FULLTEXT expression's meaning (search.rules.title_patterns): every
unit required, a unit any of its alternatives, an alternative all of its words, each word as a
prefix. A product's score is the sum over the units of its best alternative's weight (an
alternative's weight: the sum of its words' weights, a word's: the sum of the weights of the terms
it begins), so it depends on the product's own text only and a (score, id) cursor stays exact."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..changes import CatalogFeed, Changes, feed_of
from . import queries

MAX_POSTINGS = 40_000_000  # products x words kept loaded (8 bytes each: id and weight); least recently used go first
PATCH_LIMIT = 20_000  # more products changed at once than this: drop what was loaded, read again when asked
RESULTS_KEPT = 256  # evaluated queries kept (any change of the catalogue drops them)
SCORE_SHIFT = 32  # the ranking key: score << 32 | product id (ids are INT UNSIGNED)

_EMPTY_IDS = np.zeros(0, dtype=np.uint32)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class Postings:
    """Products (ascending ids) and a weight for each."""

    ids: np.ndarray
    weights: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


EMPTY = Postings(_EMPTY_IDS, _EMPTY_WEIGHTS)


def parse_postings(chunks: list[str]) -> Postings:
    """A term's rows as search.queries.select_term_postings sends them: hex, 8 digits of product id
    and 4 of weight per product, in no particular order (sorted here; each id once per term)."""
    if not chunks:
        return EMPTY
    raw = np.frombuffer(bytes.fromhex("".join(chunks)), dtype=np.dtype([("id", ">u4"), ("w", ">u2")]))
    ids, weights = raw["id"].astype(np.uint32), raw["w"].astype(np.int32)
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        order = np.argsort(ids)
        ids, weights = ids[order], weights[order]
    return Postings(ids, weights)


def add_up(parts: list[Postings]) -> Postings:
    """The union of several postings, the weights of a product summed (the terms a prefix begins)."""
    return _union(parts, np.add)


def best_of(parts: list[Postings]) -> Postings:
    """The union, each product with its best weight (a unit's alternatives)."""
    return _union(parts, np.maximum)


def _union(parts: list[Postings], combine: np.ufunc) -> Postings:
    """The union of postings, the weights of a product in several combined by `combine`."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    ids = np.concatenate([part.ids for part in parts])
    weights = np.concatenate([part.weights for part in parts])
    order = np.argsort(ids, kind="stable")
    ids, weights = ids[order], weights[order]
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    return Postings(ids[starts], combine.reduceat(weights, starts))


def both(a: Postings, b: Postings) -> Postings:
    """The products in both, weights summed (an alternative's words; the query's units)."""
    if not len(a) or not len(b):
        return EMPTY
    ids, ia, ib = np.intersect1d(a.ids, b.ids, assume_unique=True, return_indices=True)
    return Postings(ids.astype(np.uint32), a.weights[ia] + b.weights[ib])


@dataclass
class Matches:
    """What a query matches: ids ascending, each product's score; ranked by (score, id) descending."""

    ids: np.ndarray
    scores: np.ndarray
    _keys: np.ndarray | None = field(default=None, repr=False)
    # filters (catalog.queries.ListingFilters) -> the matches that pass them, when a page had to
    # check every match to find out (a filter that passes few or none of them). Exact for as long
    # as this object is the index's answer: any change of the catalogue (the facet rows' writers
    # record theirs in the same feed) makes the index evaluate the query anew.
    narrowed: dict = field(default_factory=dict, repr=False)
    # a listing's sort (price_asc, price_desc, discount) -> its keys for these matches, key << 32 |
    # id, from the facet index's rows (search.page.keyed_page); exact for as long as `narrowed` is
    orders: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def keys(self) -> np.ndarray:
        """score << 32 | id: one int64 per product, ordered as the page is."""
        if self._keys is None:
            self._keys = (self.scores.astype(np.int64) << SCORE_SHIFT) | self.ids.astype(np.int64)
        return self._keys

    def ranked(self, after: tuple[int, int] | None, limit: int) -> list[tuple[int, int]]:
        """The next `limit` (id, score) after the (score, id) cursor, best first: a partial sort
        (argpartition) of what is below the cursor, never a sort of every match."""
        keys = self.keys
        if after is not None:
            score, product_id = after
            if score >= 1 << 31 or product_id >= 1 << SCORE_SHIFT:  # a cursor beyond any real one
                score, product_id = (1 << 31) - 1, (1 << SCORE_SHIFT) - 1
            keys = keys[keys < (score << SCORE_SHIFT | product_id)]
        if limit <= 0 or not len(keys):
            return []
        if len(keys) > limit:
            keys = keys[np.argpartition(keys, len(keys) - limit)[len(keys) - limit :]]
        keys = np.sort(keys)[::-1]
        mask = (1 << SCORE_SHIFT) - 1
        return [(int(key) & mask, int(key) >> SCORE_SHIFT) for key in keys]

    def newest(self, below: int | None, limit: int) -> list[int]:
        """The next `limit` ids below `below`, newest (highest) first."""
        end = len(self.ids) if below is None else int(np.searchsorted(self.ids, below, side="left"))
        return [int(i) for i in self.ids[max(0, end - limit) : end][::-1]]

    def only(self, product_ids: list[int]) -> Matches:
        """These of the matches (ids among self.ids), with their scores."""
        keep = np.isin(self.ids, np.array(product_ids, dtype=np.uint32), assume_unique=True)
        return Matches(self.ids[keep], self.scores[keep])

    def within(self, bitset: int | np.ndarray) -> Matches:
        """Only the matches whose bit is set (products another index says pass the listing's
        filters: the facet index's bitset of a size, a colour, in stock...), as a Python int or
        a boolean array by product id (catalog.facet_index.FacetIndex.passing)."""
        if isinstance(bitset, np.ndarray):
            inside = self.ids < len(bitset)
            keep = np.zeros(len(self.ids), bool)
            keep[inside] = bitset[self.ids[inside]]
            return Matches(self.ids[keep], self.scores[keep])
        if not len(self.ids) or not bitset:
            return NO_MATCHES
        size = (int(self.ids[-1]) >> 3) + 1
        bits = np.unpackbits(
            np.frombuffer((bitset & ((1 << (size * 8)) - 1)).to_bytes(size, "little"), dtype=np.uint8),
            bitorder="little",
        )
        keep = bits[self.ids].astype(bool)
        return Matches(self.ids[keep], self.scores[keep])

    def bitset(self) -> int:
        """The matches as a Python int: bit i set when product i matches (for the facet index)."""
        if not len(self.ids):
            return 0
        bits = np.zeros(int(self.ids[-1]) + 1, dtype=bool)
        bits[self.ids] = True
        return int.from_bytes(np.packbits(bits, bitorder="little").tobytes(), "little")


NO_MATCHES = Matches(_EMPTY_IDS, _EMPTY_WEIGHTS)

Patterns = list[list[list[str]]]  # search.rules.title_patterns: units -> alternatives -> words


def _key(patterns: Patterns) -> tuple:
    return tuple(tuple(tuple(words) for words in alternatives) for alternatives in patterns)


@dataclass
class SearchIndex:
    """One process's (one app's) postings by word prefix, loaded on first use and patched from the
    change feed. Use it under the feed's lock (find() does)."""

    max_postings: int = MAX_POSTINGS
    prefixes: OrderedDict[str, Postings] = field(default_factory=OrderedDict)
    results: OrderedDict[tuple, Matches] = field(default_factory=OrderedDict)
    loaded: int = 0  # postings held
    loads: int = 0  # words read from the database (for tests and the bench)
    on_load: Callable[[str, int], None] | None = None

    def clear(self) -> None:
        self.prefixes.clear()
        self.results.clear()
        self.loaded = 0

    async def apply(self, conn, changes: Changes) -> None:
        """The feed's consumer: re-read the changed products' terms into every loaded prefix."""
        self.results.clear()
        if changes.everything or sum(last - first + 1 for first, last in changes.ranges) > PATCH_LIMIT:
            self.clear()
            return
        if not self.prefixes:
            return
        changed_ids = sorted(changes.product_ids())
        rows = await queries.select_terms_of(conn, changed_ids)
        changed = np.array(changed_ids, dtype=np.uint32)
        for prefix, postings in list(self.prefixes.items()):
            ids, weights = postings.ids, postings.weights
            at = np.searchsorted(ids, changed)
            inside = at < len(ids)
            gone = at[inside][ids[at[inside]] == changed[inside]]
            if len(gone):
                ids, weights = np.delete(ids, gone), np.delete(weights, gone)
            added: dict[int, int] = {}
            for term, product_id, weight in rows:
                if term.startswith(prefix):
                    added[product_id] = added.get(product_id, 0) + weight
            if added:
                new_ids = np.array(sorted(added), dtype=np.uint32)
                new_weights = np.array([added[i] for i in sorted(added)], dtype=np.int32)
                where = np.searchsorted(ids, new_ids)
                ids, weights = np.insert(ids, where, new_ids), np.insert(weights, where, new_weights)
            self.loaded += len(ids) - len(postings)
            self.prefixes[prefix] = Postings(ids, weights)

    async def load(self, conn, prefixes: list[str]) -> None:
        """Read the prefixes not loaded yet, in one statement (a query's words together)."""
        wanted = sorted({prefix for prefix in prefixes if prefix not in self.prefixes})
        if not wanted:
            return
        by_term: dict[str, list[str]] = {}
        for term, chunk in await queries.select_term_postings(conn, wanted):
            by_term.setdefault(term, []).append(chunk)
        terms = {term: parse_postings(chunks) for term, chunks in by_term.items()}
        for prefix in wanted:
            found = add_up([postings for term, postings in terms.items() if term.startswith(prefix)])
            self.loads += 1
            if self.on_load is not None:
                self.on_load(prefix, len(found))
            self.prefixes[prefix] = found
            self.loaded += len(found)
        while self.loaded > self.max_postings and len(self.prefixes) > len(wanted):
            _, dropped = self.prefixes.popitem(last=False)
            self.loaded -= len(dropped)

    async def postings(self, conn, prefix: str) -> Postings:
        """The products with a word beginning with `prefix`, read once."""
        if prefix not in self.prefixes:
            await self.load(conn, [prefix])
        self.prefixes.move_to_end(prefix)
        return self.prefixes[prefix]

    async def matches(self, conn, patterns: Patterns) -> Matches:
        """What the query matches, with scores (see the module's docstring)."""
        if not patterns:
            return NO_MATCHES
        key = _key(patterns)
        found = self.results.get(key)
        if found is not None:
            self.results.move_to_end(key)
            return found
        await self.load(conn, [word for alternatives in patterns for words in alternatives for word in words])
        total: Postings | None = None
        for alternatives in patterns:
            options = []
            for words in alternatives:
                option: Postings | None = None
                for word in words:
                    postings = await self.postings(conn, word)
                    option = postings if option is None else both(option, postings)
                    if not len(option):
                        break
                options.append(option or EMPTY)
            unit = best_of(options)
            total = unit if total is None else both(total, unit)
            if not len(total):
                break
        found = Matches(total.ids, total.weights) if total is not None and len(total) else NO_MATCHES
        self.results[key] = found
        if len(self.results) > RESULTS_KEPT:
            self.results.popitem(last=False)
        return found


async def find(conn, index: SearchIndex, feed: CatalogFeed, patterns: Patterns) -> Matches:
    """Catch up with the catalogue's changes, then match: under the feed's lock, so no request
    reads the index while another patches it."""
    async with feed.lock:
        await feed.catch_up(conn)
        return await index.matches(conn, patterns)


def index_of(app) -> SearchIndex:
    """The app's search index (one per app, subscribed to the app's feed)."""
    index = app.extensions.get("search_index")
    if index is None:
        index = app.extensions["search_index"] = SearchIndex()
        feed_of(app).subscribe(index.apply)
    return index


async def app_matches(conn, app, patterns: Patterns) -> Matches:
    """find() with the app's own index and feed."""
    return await find(conn, index_of(app), feed_of(app), patterns)
