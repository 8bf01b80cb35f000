"""The facet index: a listing's facet counts from bitsets kept in the process's memory, in time that
hardly grows with the catalogue (issue 13: facets on a million products within 1.5x of ten thousand).

Counting a filtered category's facets in SQL reads every facet row of the category (a 100,000-row
category: 300-800 ms). Here each category keeps, for its products numbered 0, 1, 2, ... (a product's
"slot"), one bitset per fact a facet asks about, as rows of one numpy array of 64-bit words:

- ('s', stock, colour, size): the product has a facet row of that colour with that size (in stock,
  when `stock`): bit n of the row's size mask (migration 0509);
- ('S', stock, size): the same in any colour;
- ('c', stock, colour): it has a row of that colour (with a size in stock, when `stock`);
- ('C', stock): it has any row (any size in stock): ('C', False) is "the product is here".

Prices and discounts are per product, so they are numpy arrays by slot, compared per request. A
count is then a few ANDs and ORs of rows and a population count (np.bitwise_count) over the
category's words: 100,000 products are 1,563 words a row. Disjunctive faceting exactly as
queries.select_facet_counts: a size, colour and stock hold for the same facet row (one colour of a
product), because every bitset that involves a size is per colour.

Exact across processes and instances through the catalogue's change feed (mooncart/changes.py):
the index subscribes to the app's feed; before counting, the caller catches the feed up under its
lock, and the index re-reads the products that changed (a product that moved category gets a new
slot in the new one; one that is gone is cleared). A feed that starts over asks for a rebuild.

Building reads every facet row (about 1.1 million at a million products), a category at a time in
chunks of CHUNK_ROWS, with the bitsets made in a worker thread (numpy lets go of the GIL), so
requests go on: until the index is ready they are counted by the SQL path (24-33 s at a million on
the shared bench machine, the event loop held up at most ~60-90 ms at a time). Memory: one bit per
product for each fact its category has, about 2 x colours x sizes + 2 x (colours + sizes) + 2 bits
(the demo catalogue: 16 colours and 6 sizes a category, 238), plus 18 bytes a product for its price,
discount and place: 49.5 MB at a million products (bench/facets.py), about 50 bytes a product.

A search narrows the counts with the products it matched, as a Python int bitset (bit i = product
id i): `matched` of FacetIndex.counts and indexed_counts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from .. import changes
from ..changes import Changes, feed_of
from . import queries
from .queries import FacetCounts, ListingFilters, size_mask

log = logging.getLogger(__name__)
T = TypeVar("T")

CHUNK_ROWS = 1_000  # facet rows per statement while building: each is parsed in the event loop (~5 ms)
PATCH_IDS = 2_000  # product ids re-read per statement while patching
RETRY_SECONDS = 60.0  # after a failed build, requests count in SQL this long before the next try
PURGE_SECONDS = 3600.0  # how often a serving app deletes the change feed's old rows
Bands = tuple[tuple[int | None, int | None], ...]


def _words(slots: int) -> int:
    return (slots + 63) // 64


def _pack(flags: np.ndarray) -> np.ndarray:
    """A boolean array by slot (a multiple of 64 long) as words, bit i of the array = slot i."""
    return np.packbits(flags, bitorder="little").view(np.uint64)


def _count(rows: np.ndarray) -> np.ndarray:
    """Set bits per row of a 2-D array of words."""
    return np.bitwise_count(rows).sum(axis=-1, dtype=np.int64)


@dataclass
class _Category:
    """One category's products and their bitsets. Slots of products that left stay empty (all their
    bits clear) until the next rebuild."""

    ids: np.ndarray  # slot -> product id (0: unused)
    price: np.ndarray  # slot -> price in paise
    discount: np.ndarray  # slot -> discount percent
    bits: np.ndarray  # [key row, word]; row 0 stays all zeros (a fact no product has)
    keys: dict[tuple, int] = field(default_factory=dict)
    used: int = 0  # slots handed out
    version: int = 0  # moves on every patch: cached price bands are then recomputed
    colours: list[int] = field(default_factory=list)  # the colours its products come in (not 0)
    sizes: list[int] = field(default_factory=list)  # the sizes they come in
    _bands: dict[Bands, tuple[int, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def empty(cls, capacity: int = 64, key_rows: int = 64) -> _Category:
        capacity = max(64, _words(capacity) * 64)
        return cls(
            ids=np.zeros(capacity, np.int64),
            price=np.zeros(capacity, np.int64),
            discount=np.zeros(capacity, np.int16),
            bits=np.zeros((key_rows, capacity // 64), np.uint64),
        )

    @property
    def capacity(self) -> int:
        return len(self.ids)

    def row(self, key: tuple) -> int:
        """The key's row (0, all zeros, for a fact no product here has)."""
        return self.keys.get(key, 0)

    def _add_key(self, key: tuple) -> int:
        row = len(self.keys) + 1
        if row >= len(self.bits):
            grown = np.zeros((len(self.bits) + max(16, len(self.bits) // 4), self.bits.shape[1]), np.uint64)
            grown[: len(self.bits)] = self.bits
            self.bits = grown
        self.keys[key] = row
        if key[0] == "c" and not key[1] and key[2] != 0:
            self.colours = sorted([*self.colours, key[2]])
        elif key[0] == "S" and not key[1]:
            self.sizes = sorted([*self.sizes, key[2]])
        return row

    def new_slot(self, product_id: int) -> int:
        if self.used == self.capacity:
            capacity = _words(self.capacity + max(64, self.capacity // 4)) * 64
            for name in ("ids", "price", "discount"):
                old = getattr(self, name)
                grown = np.zeros(capacity, old.dtype)
                grown[: len(old)] = old
                setattr(self, name, grown)
            bits = np.zeros((len(self.bits), capacity // 64), np.uint64)
            bits[:, : self.bits.shape[1]] = self.bits
            self.bits = bits
        slot = self.used
        self.used += 1
        self.ids[slot] = product_id
        return slot

    def clear(self, slot: int) -> None:
        self.bits[:, slot // 64] &= ~np.uint64(1 << (slot % 64))
        self.version += 1

    def put(self, slot: int, rows: list[tuple]) -> None:
        """Set the slot's facts from its product's facet rows (colour, sizes_any, sizes_in_stock, ...)."""
        word, bit = slot // 64, np.uint64(1 << (slot % 64))
        for key in _facts(rows):
            row = self.keys.get(key) or self._add_key(key)
            self.bits[row, word] |= bit
        self.price[slot] = rows[0][3]
        self.discount[slot] = rows[0][4]
        self.version += 1

    def bands(self, bands: Bands) -> np.ndarray:
        """[band, word]: the products whose price is in each band, the first that holds it (as the
        SQL's CASE picks), kept until the category changes."""
        cached = self._bands.get(bands)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        first = np.full(self.capacity, -1, np.int8)
        for i, (low, high) in enumerate(bands):
            inside = first < 0
            if low is not None:
                inside &= self.price >= low
            if high is not None:
                inside &= self.price <= high
            first[inside] = i
        matrix = np.stack([_pack(first == i) for i in range(len(bands))]) if bands else np.zeros((0, 1), np.uint64)
        if len(self._bands) > 8:
            self._bands.clear()
        self._bands[bands] = (self.version, matrix)
        return matrix


def _facts(rows: Iterable[tuple]) -> set[tuple]:
    """The keys one product's facet rows (colour, sizes_any, sizes_in_stock, ...) set."""
    facts: set[tuple] = {("C", False)}
    for colour, any_sizes, in_stock, *_ in rows:
        facts.add(("c", False, colour))
        if in_stock:
            facts.update((("c", True, colour), ("C", True)))
        for stock, mask in ((False, any_sizes), (True, in_stock)):
            for size in range(64):
                if mask >> size & 1:
                    facts.update((("s", stock, colour, size), ("S", stock, size)))
    return facts


def _build_category(table: np.ndarray) -> _Category:
    """A category's bitsets from its facet rows, [row, (product_id, colour, sizes_any,
    sizes_in_stock, price, discount)] in product order; run in a worker thread (numpy lets go of
    the GIL)."""
    products, slots = np.unique(table[:, 0], return_inverse=True)
    capacity = _words(len(products) + len(products) // 16 + 64) * 64
    colour, any_sizes, in_stock = table[:, 1].astype(np.int64), table[:, 2], table[:, 3]
    facts: dict[tuple, np.ndarray] = {}  # key -> the rows that have it

    def add(key: tuple, which: np.ndarray) -> None:
        if which.any():
            facts[key] = which if key not in facts else facts[key] | which

    add(("C", False), np.ones(len(table), bool))
    add(("C", True), in_stock != 0)
    every_size = int(np.bitwise_or.reduce(any_sizes)) if len(table) else 0
    has = {
        (stock, size): (masks >> np.uint64(size)) & np.uint64(1) == 1
        for stock, masks in ((False, any_sizes), (True, in_stock))
        for size in range(64)
        if every_size >> size & 1
    }
    for (stock, size), which in has.items():
        add(("S", stock, size), which)
    for c in np.unique(colour).tolist():
        mine = colour == c
        add(("c", False, c), mine)
        add(("c", True, c), mine & (in_stock != 0))
        for (stock, size), which in has.items():
            add(("s", stock, c, size), mine & which)
    category = _Category.empty(capacity, len(facts) + 16)
    for key, which in facts.items():
        flags = np.zeros(capacity, bool)
        flags[slots[which]] = True
        category.bits[category._add_key(key)] = _pack(flags)
    category.ids[: len(products)] = products.astype(np.int64)
    first_row = np.unique(slots, return_index=True)[1]
    category.price[: len(products)] = table[first_row, 4].astype(np.int64)
    category.discount[: len(products)] = table[first_row, 5].astype(np.int16)
    category.used = len(products)
    return category


class FacetIndex:
    """The facet counts of one app's catalogue (one per app: tests' apps each have a database)."""

    def __init__(self) -> None:
        self.categories: dict[int, _Category] = {}
        self.where = np.zeros(0, np.int64)  # product id -> category id << 32 | slot, 0 when absent
        self.ready = False
        self.generation = 0  # moves on every "rebuild": a build that started before is thrown away
        self.building: asyncio.Task | None = None
        self.pending: set[int] | None = None  # while building: the products changed since it began
        self.build_seconds = 0.0
        self.failed_at: float | None = None  # the loop's time of the last failed build

    # ---- keeping it exact -----------------------------------------------------------------------

    async def consume(self, conn, found: Changes) -> None:
        """The feed's consumer (called under the feed's lock)."""
        if found.everything:
            self.ready = False
            self.generation += 1
            self.pending = None
            return
        ids = found.product_ids()
        if self.pending is not None:
            self.pending |= ids
        if self.ready:
            await self.patch(conn, ids)

    async def patch(self, conn, product_ids: Iterable[int]) -> None:
        """Re-read these products' facet rows and put them where they now belong."""
        wanted = sorted(set(product_ids))
        for start in range(0, len(wanted), PATCH_IDS):
            batch = wanted[start : start + PATCH_IDS]
            found: dict[int, list[tuple]] = {}
            categories: dict[int, int] = {}
            for row in await queries.select_facet_rows_of(conn, batch):
                product_id = int(row["product_id"])
                categories[product_id] = int(row["category_id"])
                found.setdefault(product_id, []).append(
                    (
                        int(row["colour_id"]),
                        int(row["sizes_any"]),
                        int(row["sizes_in_stock"]),
                        int(row["price_paise"]),
                        int(row["discount_percent"]),
                    )
                )
            for product_id in batch:
                self._place(product_id, categories.get(product_id), found.get(product_id))

    def _place(self, product_id: int, category_id: int | None, rows: list[tuple] | None) -> None:
        if product_id >= len(self.where):
            grown = np.zeros(max(product_id + 1, len(self.where) + len(self.where) // 4 + 1024), np.int64)
            grown[: len(self.where)] = self.where
            self.where = grown
        old = int(self.where[product_id])
        slot = None
        if old:
            old_category = self.categories[old >> 32]
            old_category.clear(old & 0xFFFFFFFF)
            if old >> 32 == category_id:
                slot = old & 0xFFFFFFFF
        if category_id is None or not rows:
            self.where[product_id] = 0
            return
        category = self.categories.get(category_id)
        if category is None:
            category = self.categories[category_id] = _Category.empty()
        if slot is None:
            slot = category.new_slot(product_id)
        category.put(slot, rows)
        self.where[product_id] = category_id << 32 | slot

    async def build(self, conn, feed) -> bool:
        """Read every facet row and swap the new bitsets in; True when done (False: a rebuild was
        asked for while reading, so this one is stale). Holds the feed's lock only to catch up."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        async with feed.lock:
            await feed.catch_up(conn)
            generation = self.generation
            self.pending = set()
        categories: dict[int, _Category] = {}
        top = 0
        for category_id in await queries.select_facet_categories(conn):
            tables: list[np.ndarray] = []
            after = -1
            while True:
                chunk = await queries.select_facet_chunk(conn, category_id, after, CHUNK_ROWS)
                if len(chunk) == CHUNK_ROWS:  # the last product may go on: read it whole next time
                    last = chunk[-1][0]
                    chunk = [r for r in chunk if r[0] != last] or chunk
                if not chunk:
                    break
                # made an array here, a chunk at a time: in the worker thread, turning a whole
                # category's Python tuples into numbers would hold the GIL (and requests) for long
                tables.append(np.array(chunk, dtype=np.uint64).reshape(-1, 6))
                after = chunk[-1][0]
                await asyncio.sleep(0)  # let requests in between chunks
            if tables:
                category = await asyncio.to_thread(_build_category, np.concatenate(tables))
                categories[category_id] = category
                top = max(top, int(category.ids[: category.used].max()))
        where = np.zeros(top + 1024, np.int64)
        for category_id, category in categories.items():
            where[category.ids[: category.used]] = (category_id << 32) | np.arange(category.used, dtype=np.int64)
        async with feed.lock:
            await feed.catch_up(conn)
            if generation != self.generation or self.pending is None:
                return False
            self.categories, self.where = categories, where
            await self.patch(conn, self.pending)
            self.pending = None
            self.ready = True
        self.build_seconds = loop.time() - began
        log.info("facet index built: %d products in %.1f s", self.products(), self.build_seconds)
        return True

    async def build_until_done(self, conn, feed) -> None:
        while not await self.build(conn, feed):
            pass

    def products(self) -> int:
        return int(np.count_nonzero(self.where))

    def memory_bytes(self) -> int:
        total = self.where.nbytes
        for category in self.categories.values():
            total += category.bits.nbytes + category.ids.nbytes + category.price.nbytes + category.discount.nbytes
            total += sum(matrix.nbytes for _, matrix in category._bands.values())
        return total

    # ---- counting ---------------------------------------------------------------------------------

    def counts(
        self,
        category_ids: list[int] | None,
        filters: ListingFilters,
        price_bands: list[tuple[int | None, int | None]],
        *,
        size_filters: ListingFilters | None = None,
        matched: int | None = None,
    ) -> tuple[FacetCounts, dict[int, int]]:
        """The facets as select_facet_counts counts them (colour 0, a product without variants, is
        not a colour: it is never counted as one), and per category how many products the listing
        shows with `filters` (a category with 0 need not be read). `matched`: only these products
        (a search's matches; bit i = product id i). Call after catching the feed up, with its lock
        held (nothing here awaits)."""
        if filters.matching is not None or (size_filters is not None and size_filters.matching is not None):
            raise ValueError("the index cannot apply a FULLTEXT expression: pass the matched ids instead")
        sizes_filters = size_filters or filters
        bands = tuple(price_bands)
        wanted = list(self.categories) if category_ids is None else list(dict.fromkeys(category_ids))
        searched = None if matched is None else self._searched(matched, wanted)
        sizes: dict[int, int] = {}
        colours: dict[int, int] = {}
        band_counts = np.zeros(len(bands), np.int64)
        shown_in: dict[int, int] = {}
        for category_id in wanted:
            category = self.categories.get(category_id)
            if category is None or not category.used:
                shown_in[category_id] = 0
                continue
            masks = _Masks(category, None if searched is None else searched[category_id])
            for size, n in self._size_counts(category, sizes_filters, masks):
                sizes[size] = sizes.get(size, 0) + n
            for colour, n in self._colour_counts(category, filters, masks):
                colours[colour] = colours.get(colour, 0) + n
            shown = self._shown(category, filters, masks, prices=False)
            if bands:
                band_counts += _count(category.bands(bands) & shown)
            shown_in[category_id] = int(_count((shown & masks.prices(filters))[None])[0])
        return (
            FacetCounts(
                {k: v for k, v in sizes.items() if v},
                {k: v for k, v in colours.items() if v},
                {i: int(n) for i, n in enumerate(band_counts) if n},
            ),
            shown_in,
        )

    def _searched(self, matched: int, wanted: list[int]) -> dict[int, np.ndarray]:
        """category id -> the words of its products in the bitset `matched` (bit i = product id i),
        for the wanted categories: the matched ids are placed in one array of all their slots,
        category after category, packed once and cut into each category's words."""
        raw = np.frombuffer(matched.to_bytes((matched.bit_length() + 7) // 8, "little"), np.uint8)
        ids = np.flatnonzero(np.unpackbits(raw, bitorder="little").view(bool))  # (as bytes: 10x slower)
        places = self.where[ids[ids < len(self.where)]]
        places = places[places != 0]
        categories = places >> 32
        present = [(i, self.categories[i]) for i in wanted if i in self.categories]
        lookup = np.full(max([i for i, _ in present] + [int(categories.max(initial=0))]) + 1, -1, np.int64)
        starts = {}
        total = 0
        for category_id, category in present:
            lookup[category_id] = starts[category_id] = total
            total += category.capacity
        base = lookup[categories]
        keep = base >= 0
        flags = np.zeros(total, bool)
        flags[base[keep] + (places[keep] & 0xFFFFFFFF)] = True
        words = _pack(flags)
        return {i: words[starts[i] // 64 : (starts[i] + category.capacity) // 64] for i, category in present}

    @staticmethod
    def _size_rows(category: _Category, filters: ListingFilters, colour: int | None) -> list[int]:
        """The rows whose OR is "a facet row of this colour (any, for None) meets the filter's sizes
        and stock" (_facet_conditions' size condition)."""
        stock = filters.in_stock_only
        if filters.size_ids:
            size_mask(filters.size_ids)  # the same refusal of a size without a bit
            if colour is None:
                return [category.row(("S", stock, size)) for size in filters.size_ids]
            return [category.row(("s", stock, colour, size)) for size in filters.size_ids]
        return [category.row(("C", stock) if colour is None else ("c", stock, colour))]

    def _size_counts(self, category: _Category, filters: ListingFilters, masks: _Masks) -> list[tuple[int, int]]:
        sizes = category.sizes
        if not sizes:
            return []
        stock = filters.in_stock_only
        base = masks.products(filters)
        if filters.colour_ids:
            rows = np.array([[category.row(("s", stock, c, s)) for s in sizes] for c in filters.colour_ids])
            matrix = np.bitwise_or.reduce(category.bits[rows], axis=0)
        else:
            matrix = category.bits[[category.row(("S", stock, s)) for s in sizes]]
        return list(zip(sizes, _count(matrix & base).tolist(), strict=True))

    def _colour_counts(self, category: _Category, filters: ListingFilters, masks: _Masks) -> list[tuple[int, int]]:
        colours = category.colours
        if not colours:
            return []
        base = masks.products(filters)
        rows = np.array([self._size_rows(category, filters, c) for c in colours])
        matrix = np.bitwise_or.reduce(category.bits[rows], axis=1)
        return list(zip(colours, _count(matrix & base).tolist(), strict=True))

    def _shown(self, category: _Category, filters: ListingFilters, masks: _Masks, *, prices: bool) -> np.ndarray:
        """The products the listing shows with `filters` (without its price filter: `prices` False)."""
        base = masks.products(filters, prices=prices)
        if filters.colour_ids:
            rows = [row for c in filters.colour_ids for row in self._size_rows(category, filters, c)]
        else:
            rows = self._size_rows(category, filters, None)
        return base & np.bitwise_or.reduce(category.bits[rows], axis=0)

    # ---- what a listing's filters pass, and the facet rows' sort keys (search's pages) ------------

    def passing(self, category_ids: list[int] | None, filters: ListingFilters) -> np.ndarray:
        """A boolean array by product id (as long as `where`): the products the listing shows with
        `filters` in these categories (None: the whole shop), exactly as counts() counts them.
        Search narrows its matches with it (search.page), instead of checking them in SQL. Call
        with the feed's lock held, caught up (nothing here awaits)."""
        if filters.matching is not None:
            raise ValueError("the index cannot apply a FULLTEXT expression")
        flags = np.zeros(len(self.where), bool)
        wanted = list(self.categories) if category_ids is None else list(dict.fromkeys(category_ids))
        for category_id in wanted:
            category = self.categories.get(category_id)
            if category is None or not category.used:
                continue
            shown = self._shown(category, filters, _Masks(category, None), prices=True)
            slots = np.flatnonzero(np.unpackbits(shown.view(np.uint8), bitorder="little")[: category.used])
            flags[category.ids[slots]] = True
        return flags

    def _places(self, product_ids: np.ndarray) -> np.ndarray:
        ids = product_ids.astype(np.int64)
        places = np.zeros(len(ids), np.int64)
        inside = ids < len(self.where)
        places[inside] = self.where[ids[inside]]
        return places

    def sort_keys(self, product_ids: np.ndarray, column: str) -> np.ndarray:
        """Each product's "price" (price_paise: the listing's from_price_paise) or "discount"
        (discount_percent) from its facet rows, as int64; -1 for a product the index does not hold."""
        places = self._places(product_ids)
        found = np.full(len(places), -1, np.int64)
        present = places != 0
        categories, slots = places >> 32, places & 0xFFFFFFFF
        for category_id in np.unique(categories[present]).tolist():
            category = self.categories[category_id]
            mine = present & (categories == category_id)
            values = category.price if column == "price" else category.discount
            found[mine] = values[slots[mine]]
        return found

    def categories_of(self, product_ids: np.ndarray) -> dict[int, int] | None:
        """category id -> its products' slots handed out (about how many products it holds), for the
        categories these products are in; None when the index does not hold one of them."""
        places = self._places(product_ids)
        if not bool(places.all()):
            return None
        found = np.unique(places >> 32).tolist()
        return {category_id: self.categories[category_id].used for category_id in found}


class _Masks:
    """One category's product-level filters as words, each worked out once per count."""

    def __init__(self, category: _Category, searched: np.ndarray | None) -> None:
        self.category = category
        self.searched = searched
        self._prices: dict[tuple[int | None, int | None], np.ndarray] = {}
        self._products: dict[tuple, np.ndarray] = {}

    def prices(self, filters: ListingFilters) -> np.ndarray:
        """The products whose price is within the filter's (all ones: no price filter)."""
        key = (filters.min_paise, filters.max_paise)
        found = self._prices.get(key)
        if found is None:
            category = self.category
            if key == (None, None):
                found = np.full(category.bits.shape[1], np.uint64(0xFFFFFFFFFFFFFFFF))
            else:
                inside = np.ones(category.capacity, bool)
                if filters.min_paise is not None:
                    inside &= category.price >= filters.min_paise
                if filters.max_paise is not None:
                    inside &= category.price <= filters.max_paise
                found = _pack(inside)
            self._prices[key] = found
        return found

    def products(self, filters: ListingFilters, *, prices: bool = True) -> np.ndarray:
        """The product-level filters (here, price, discount, a search's matches) as words."""
        key = (
            prices,
            filters.min_paise if prices else None,
            filters.max_paise if prices else None,
            filters.min_discount,
        )
        found = self._products.get(key)
        if found is None:
            category = self.category
            found = category.bits[category.row(("C", False))].copy()
            if prices:
                found &= self.prices(filters)
            if filters.min_discount:
                found &= _pack(category.discount >= filters.min_discount)
            if self.searched is not None:
                found &= self.searched
            self._products[key] = found
        return found


# ---- the app's index ------------------------------------------------------------------------------


def index_of(app) -> FacetIndex:
    """The app's index, subscribed to its change feed."""
    index = app.extensions.get("facet_index")
    if index is None:
        index = app.extensions["facet_index"] = FacetIndex()
        feed_of(app).subscribe(index.consume)
    return index


async def indexed_counts(
    app,
    conn,
    category_ids: list[int] | None,
    filters: ListingFilters,
    price_bands: list[tuple[int | None, int | None]],
    *,
    size_filters: ListingFilters | None = None,
    matched: int | None = None,
) -> tuple[FacetCounts, dict[int, int]] | None:
    """FacetIndex.counts on the app's index, caught up with every change committed before now; None
    when the index cannot answer (turned off, still being built, or a FULLTEXT expression in the
    filters): count in SQL then.

    A serving app builds it in the background (init_app) and answers from SQL until it is ready; a
    test's app (one shared connection, inside the test's transaction) or an app without the shop's
    pool (bench/bare_app.py) builds it on `conn` at first use."""
    if not app.config.get("FACET_INDEX", True):
        return None
    if filters.matching is not None or (size_filters is not None and size_filters.matching is not None):
        return None
    return await with_ready_index(
        app,
        conn,
        lambda index: index.counts(category_ids, filters, price_bands, size_filters=size_filters, matched=matched),
    )


async def with_ready_index(app, conn, use: Callable[[FacetIndex], T]) -> T | None:
    """use(index) on the app's index caught up with every change committed before now, under the
    feed's lock; None when the index cannot answer yet (turned off, or still being built: a
    serving app builds it in the background, a test's app at first use, as indexed_counts)."""
    if not app.config.get("FACET_INDEX", True):
        return None
    index, feed = index_of(app), feed_of(app)
    for _ in range(2):  # a second time when the feed started over as we caught up: rebuild
        if not index.ready:
            if _in_background(app):
                start_building(app)
                return None
            await index.build_until_done(conn, feed)
        async with feed.lock:
            await feed.catch_up(conn)
            if index.ready:
                return use(index)
    return None


def _in_background(app) -> bool:
    """Whether the app builds its index in the background: it has the shop's pool, not a test's
    one shared connection."""
    db = app.extensions.get("db")
    return db is not None and db.shared_connection is None


def start_building(app) -> None:
    """Build the index in a background task on a pooled connection of its own (once at a time)."""
    index = index_of(app)
    if not _in_background(app) or (index.building is not None and not index.building.done()):
        return
    db = app.extensions["db"]
    loop = asyncio.get_running_loop()
    if index.failed_at is not None and loop.time() - index.failed_at < RETRY_SECONDS:
        return

    async def run() -> None:
        conn = None
        try:
            conn = await db.acquire()  # inside the try: with the database down, this is what fails
            await index.build_until_done(conn, feed_of(app))
        except asyncio.CancelledError:
            raise
        except Exception:  # requests go on counting in SQL; one after RETRY_SECONDS tries again
            index.failed_at = loop.time()
            log.exception("facet index build failed")
        finally:
            if conn is not None:
                db.release(conn)

    index.building = asyncio.create_task(run())


async def purge_changes_forever(app, every_seconds: float) -> None:
    """Delete the change feed's rows older than a day (changes.purge), every `every_seconds`, on a
    pooled connection borrowed each time; any instance may do it, and doing it twice is harmless."""
    db = app.extensions["db"]
    while True:
        await asyncio.sleep(every_seconds)
        try:
            conn = await db.acquire()
            try:
                await changes.purge(conn)
            finally:
                db.release(conn)
        except asyncio.CancelledError:
            raise
        except Exception:  # the shop goes on; the next round tries again
            log.exception("catalogue change feed purge failed")


def init_app(app) -> None:
    """While serving: build the facet index in the background from the start (so the first
    filtered listing need not wait for it), and purge the change feed now and then. A test's app
    (one shared connection) does neither: it builds at first use, and its rows roll back."""

    @app.while_serving
    async def facet_index_lifespan():
        tasks = []
        if _in_background(app):
            if app.config.get("FACET_INDEX", True):
                start_building(app)
            tasks.append(asyncio.create_task(purge_changes_forever(app, PURGE_SECONDS)))
        yield
        index = app.extensions.get("facet_index")
        if index is not None and index.building is not None:
            tasks.append(index.building)
        for task in tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
