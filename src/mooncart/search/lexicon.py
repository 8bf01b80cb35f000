"""What search knows besides the products: the synonyms, the catalogue's vocabulary for "Did you
mean" and the popular categories. They change rarely, so each worker keeps them for
SEARCH_CACHE_SECONDS (5 minutes unless configured) and loads each only when first needed: the
type-ahead then costs one statement. A staff edit of the synonyms clears this worker's copy at
once; other workers catch up within the TTL."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from quart import current_app

from . import queries
from .rules import Synonyms, Vocabulary

DEFAULT_TTL = 300.0
VOCABULARY_PRODUCTS = 20_000  # the newest products' names and fabrics (more than SUGGESTION_WINDOW)
POPULAR_DAYS = 30
# The type-ahead looks for a query's words in the titles of the newest SUGGESTION_WINDOW products
# first (queries.select_newest_title_matches): on a shop with more products than that, a common
# word costs a few rows read instead of ranking every product that has it.
SUGGESTION_WINDOW = 5_000


async def _cached(name: str, load: Callable[[], Awaitable[Any]]) -> Any:
    cache = current_app.extensions.setdefault("search_cache", {})
    ttl = current_app.config.get("SEARCH_CACHE_SECONDS", DEFAULT_TTL)
    now = time.monotonic()
    entry = cache.get(name)
    if entry is None or now - entry[0] > ttl:
        entry = cache[name] = (now, await load())
    return entry[1]


async def synonyms(conn) -> Synonyms:
    """The synonym groups."""

    async def load() -> Synonyms:
        return Synonyms.from_rows(await queries.select_synonyms(conn))

    return await _cached("synonyms", load)


async def vocabulary(conn) -> Vocabulary:
    """The catalogue's words, with the synonym terms (so 'chuni' is corrected to 'chunni')."""

    async def load() -> Vocabulary:
        texts = await queries.select_vocabulary_texts(conn, VOCABULARY_PRODUCTS)
        groups = await synonyms(conn)
        return Vocabulary.from_texts([*texts, *groups.group_of])

    return await _cached("vocabulary", load)


async def popular_category_ids(conn) -> list[int]:
    """The most viewed categories of the last month."""

    async def load() -> list[int]:
        return await queries.select_popular_category_ids(conn, POPULAR_DAYS, 8)

    return await _cached("popular", load)


async def newest_window_floor(conn) -> int | None:
    """The product id after which the type-ahead's window of newest titles starts, or None when
    the catalogue is no bigger than the window (FULLTEXT is then as quick, and ranks better).
    Products added since this worker read the ids are newer, so they are inside the window too."""

    async def load() -> tuple[int, int]:
        return await queries.select_search_id_range(conn)

    low, high = await _cached("id_range", load)
    floor = high - SUGGESTION_WINDOW
    return floor if floor > low else None


def forget_search_cache() -> None:
    """Drop this worker's copies (after staff change the synonyms)."""
    current_app.extensions["search_cache"] = {}
