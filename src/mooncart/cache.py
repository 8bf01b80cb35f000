"""A read cache in Redis (only when MOONCART_REDIS_URL is set) that never shows a shopper stock or
a price older than the event that changed it.

Every entry records the *generations* it was read under: counters in Redis that the writers bump
after their transaction commits, at the moment they announce the change (the same place that
publishes live-stock events). An entry is used only while every one of its generations is
unchanged, so a reader that starts after a change was announced never gets a value read before it:

- a reader takes the generations BEFORE it reads the database, so a value stored under a
  generation was read no earlier than the moment that generation was current;
- a writer bumps AFTER its commit, so once the bump has happened every later reader sees the new
  generation, misses, and reads the committed rows.

No entry is ever deleted to invalidate it (deleting races with a slow reader writing back an old
value); old entries simply stop matching and age out with their TTL. The generations are:

- `stock`: any stock change in the shop (listings filter and badge by stock; recommendation rows
  show only what is in stock);
- `v:<variant id>`: that variant's stock (a product page depends only on its own variants);
- `catalog`: any change staff make in the back office (prices, names, photos, categories...) or
  a command makes (seeding, analyses);
- `reviews`: any review written, voted on or moderated.

Timed holds (holds/) count in the stock a product page shows; a hold that lapses is no event of
its own, so until the background tidy deletes it and publishes (every MOONCART_HOLD_TIDY_SECONDS,
30 s) a cached page may still count it: for that long it shows fewer units free, never more.

If Redis is unreachable the cache reads through to the database (and says so in the log): a
cache that fails must cost speed, never correctness. A bump that fails is the one way an entry
could outlive its truth, so entries also carry a TTL (ENTRY_SECONDS) as the bound on that case."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("mooncart.cache")

PREFIX = "mc:"
ENTRY_SECONDS = 300
STOCK, CATALOG, REVIEWS = "stock", "catalog", "reviews"


def variant(variant_id: int) -> str:
    """The generation of one variant's stock."""
    return f"v:{int(variant_id)}"


# ---- values as JSON (never pickle: whoever can write to Redis must not be able to run code here)


def _plain(value: Any) -> Any:
    """value as JSON-able data that loads() turns back into equal Python values: dicts with keys
    that are not strings (a rating histogram's 5..1) and tuples, decimals and dates are tagged."""
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _plain(v) for k, v in value.items()}
        return {"$map": [[_plain(k), _plain(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [_plain(v) for v in value]}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(obj: dict) -> Any:
    if len(obj) == 1:
        ((tag, data),) = obj.items()
        if tag == "$map":
            return dict(data)  # a tuple key was decoded already, from its own {"$tuple": ...}
        if tag == "$tuple":
            return tuple(data)
        if tag == "$dec":
            return Decimal(data)
        if tag == "$dt":
            return dt.datetime.fromisoformat(data)
        if tag == "$date":
            return dt.date.fromisoformat(data)
    return obj


def dumps(value: Any) -> str:
    """A value as JSON, with decimals, dates, tuples and non-string keys kept as such."""
    return json.dumps(_plain(value), separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """The value dumps() wrote."""
    return json.loads(text, object_hook=_decode)


def key(kind: str, *parts: Any) -> str:
    """A key for a value of this kind read with these arguments (dataclasses by their fields),
    hashed so that whatever a query string held, the key stays short."""
    plain = [dataclasses.asdict(p) if dataclasses.is_dataclass(p) and not isinstance(p, type) else p for p in parts]
    return kind + ":" + hashlib.sha256(dumps(plain).encode()).hexdigest()[:32]


# One round trip for a lookup: the entry, and the generations of the fixed names (ARGV[2..],
# ARGV[1] being the prefix of generation keys) followed by those the entry's first line lists.
# The names are read inside Redis, so the entry and its generations come from one instant.
_READ_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
local names = {}
for i = 2, #ARGV do names[#names + 1] = ARGV[1] .. ARGV[i] end
if raw then
  local line_end = string.find(raw, '\\n', 1, true)
  if line_end then
    for name in string.gmatch(string.sub(raw, 1, line_end - 1), '%S+') do names[#names + 1] = ARGV[1] .. name end
  end
end
local gens = {}
if #names > 0 then gens = redis.call('MGET', unpack(names)) end
return {raw, gens}
"""


def _parse_entry(raw: bytes | str | None) -> tuple[dict | None, list[str]]:
    """An entry's JSON and the extra generation names on its first line; (None, []) for no entry
    or one in an older format (which is then read again and overwritten)."""
    if not raw:
        return None, []
    text = raw.decode() if isinstance(raw, bytes) else raw
    header, newline, body = text.partition("\n")
    if not newline:
        return None, []
    return loads(body), header.split()


class Cache:
    """The cache of one process; `redis` is None when no Redis is configured (then nothing is cached)."""

    def __init__(self, redis: Redis | None, namespace: str = ""):
        self.redis = redis
        # one Redis may serve several shops (or test databases): keys carry the database's name
        self.prefix = f"{PREFIX}{namespace}:"
        self.hits = 0
        self.misses = 0
        self._read_script: Any = None

    @property
    def enabled(self) -> bool:
        """Whether there is a Redis to cache in."""
        return self.redis is not None

    async def _read(self, full_key: str, fixed: list[str]) -> tuple[bytes | None, list[int]]:
        """The entry under full_key (its raw text) and the current generations of `fixed` then
        of the names its first line lists, in ONE round trip (a Lua script: GET, then MGET)."""
        assert self.redis is not None
        if self._read_script is None:
            self._read_script = self.redis.register_script(_READ_SCRIPT)
        raw, values = await self._read_script(keys=[full_key], args=[self.prefix + "gen:", *fixed])
        return raw, [int(v) if v is not None else 0 for v in values]

    async def get_or_load(
        self,
        key: str,
        load: Callable[[], Awaitable[Any]],
        generations: Iterable[str] = (),
        generations_of: Callable[[Any], Iterable[str]] | None = None,
    ) -> Any:
        """The value under `key`, or `await load()` stored for next time. `generations` are the
        counters the value depends on, known in advance; `generations_of(value)` adds those that
        only the value itself tells (a product page's variants). Those are learned from the entry
        a key had before: on a key's first load they are not known yet, so that value is not
        stored, only the names, and the next request reads and stores it safely.

        An entry is its extra generation names on a first line, then JSON: a hit is one round
        trip (the entry and every generation it names, read together by a script)."""
        if self.redis is None:
            return await load()
        full_key = self.prefix + key
        fixed = list(generations)
        try:
            raw, current = await self._read(full_key, fixed)
            entry, extra = _parse_entry(raw)
            names = fixed + extra
            current = current[: len(names)]
            if entry is not None and entry.get("gens") == current and entry.get("names") == names:
                self.hits += 1
                return entry["value"]
        except Exception:  # Redis down or an entry we cannot read: the database is the truth
            log.warning("cache read failed for %s; reading the database", key, exc_info=True)
            return await load()
        self.misses += 1
        value = await load()
        if value is None:
            return None  # a 404 is not worth keeping: a new product may take the name at any time
        new_extra = sorted(set(generations_of(value))) if generations_of else []
        known = entry is not None or generations_of is None
        stored: dict[str, Any] = {"names": fixed + new_extra}
        if known and new_extra == extra:
            stored.update(gens=current, value=value)  # read under these generations: safe to keep
        try:
            await self.redis.set(full_key, " ".join(new_extra) + "\n" + dumps(stored), ex=ENTRY_SECONDS)
        except Exception:
            log.warning("cache write failed for %s", key, exc_info=True)
        return value

    async def entry(self, key: str) -> dict | None:
        """The stored entry under key ({names, gens, value}), for tests and a look from a shell."""
        assert self.redis is not None
        return _parse_entry(await self.redis.get(self.prefix + key))[0]

    async def bump(self, names: Iterable[str]) -> None:
        """Announce that what these generations cover has changed (after the commit)."""
        names = list(dict.fromkeys(names))
        if self.redis is None or not names:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.incr(self.prefix + "gen:" + name)
                await pipe.execute()
        except Exception:  # entries expire within ENTRY_SECONDS: the bound on this failure
            log.error(
                "could not announce a change to the cache (%s); entries may be stale for up to %s s",
                ",".join(names),
                ENTRY_SECONDS,
                exc_info=True,
            )


def connect(url: str | None, database_url: str) -> Cache:
    """The cache of the shop whose database is at database_url, on the Redis at url, or a disabled
    one (redis is imported only when configured)."""
    if not url:
        return Cache(None)
    import redis.asyncio as redis

    from .config import DatabaseSettings

    return Cache(redis.from_url(url), namespace=DatabaseSettings.from_url(database_url).database)


def init_app(app) -> None:
    """The app's cache, closed when serving ends."""
    app.extensions["cache"] = connect(app.config.get("REDIS_URL"), app.config["DATABASE_URL"])

    @app.after_serving
    async def close_cache() -> None:
        """Close the cache's Redis connections."""
        cache = app.extensions["cache"]
        if cache.redis is not None:
            await cache.redis.aclose()

    @app.after_request
    async def staff_changed_the_catalogue(response):
        """Any back-office change that went through (prices, names, photos, stock, categories,
        looks...) may show on any shop page: one bump covers them all, whatever route made it."""
        from quart import request

        if request.method == "POST" and response.status_code < 400:
            if request.path.startswith("/admin/"):
                await app.extensions["cache"].bump([CATALOG])
            elif request.blueprint == "reviews":  # a review or a helpful vote: summaries, lists, scores
                await app.extensions["cache"].bump([REVIEWS])
        return response


NO_CACHE = Cache(None)


def current() -> Cache:
    """This app's cache; an app made without one (bench/bare_app.py) reads through."""
    from quart import current_app

    return current_app.extensions.get("cache", NO_CACHE)
