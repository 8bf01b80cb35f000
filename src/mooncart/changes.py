"""The catalogue's change feed: which products changed, for the indexes a process keeps in memory.

A listing's facet counts and a search's matches on a million products cannot be counted from the
database on every request (they would read every product of the category, or every product a
common word matches). The facet and search indexes keep that data in the process instead, and this
feed keeps them exact: every writer that changes what a product shows in listings or search adds a
row to `catalog_changes` in its own transaction (`record`), so the row becomes visible exactly when
the change does; before an index answers, `CatalogFeed.catch_up` reads the rows after the last one
it applied and hands the changed product ids to each index, which re-reads those products.

So a request that starts after a change was committed never gets an answer older than the change,
on any instance of the shop, with or without Redis.

Sequence numbers come from AUTO_INCREMENT, which hands them out in insert order, not commit order:
a transaction that took seq 7 may commit after the one that took seq 8. Numbers below the highest
seen that are not visible yet are kept as gaps (runs of numbers: a burst of rolled-back
transactions leaves thousands) and looked for again on each catch-up for GAP_SECONDS (a
rolled-back transaction never shows, and a bulk insert may skip numbers, so gaps expire)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from .db import execute, execute_many, fetch_all, fetch_val

GAP_SECONDS = 300.0  # how long a missing sequence number may still turn up (a writer's open transaction,
# waiting on locks: InnoDB alone waits 50 s)
STALE_SECONDS = 43_200.0  # a feed that has not looked for this long starts over (rows are kept a day)
KEEP_SECONDS = 86_400  # purge() deletes rows older than this
MAX_GAPS = 1000  # more runs of missing numbers than this: start over rather than re-read a long tail
EVERY_PRODUCT = (0, 4_294_967_295)  # the row record_everything() writes
START_WINDOW = 200  # on start, missing numbers among the last this many may be open transactions


_INSERT = "INSERT INTO catalog_changes (first_product_id, last_product_id) VALUES (%s, %s)"


def product_ranges(product_ids: Iterable[int]) -> list[tuple[int, int]]:
    """Runs of consecutive ids, as (first, last): a batch of new products is one row."""
    runs: list[tuple[int, int]] = []
    for product_id in sorted(set(product_ids)):
        if runs and product_id == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], product_id)
        else:
            runs.append((product_id, product_id))
    return runs


async def record(conn, product_ids: Iterable[int]) -> None:
    """Call inside the writer's transaction, for every product whose facet rows or search text it
    changed (or deleted). No ids: no statement."""
    rows = product_ranges(product_ids)
    if rows:
        await execute_many(conn, _INSERT, rows)


async def record_range(conn, first_id: int, last_id: int) -> None:
    """Products first_id..last_id changed (the demo catalogue's batches)."""
    await execute(conn, _INSERT, (first_id, last_id))


async def record_everything(conn) -> None:
    """Too many products changed to list (a category renamed): every index rebuilds."""
    await record_range(conn, *EVERY_PRODUCT)


async def purge(conn, keep_seconds: int = KEEP_SECONDS) -> int:
    """Delete rows older than keep_seconds, in bounded batches; returns how many went. The newest
    row always stays: it is how a feed that starts later knows where the numbers are."""
    newest = await fetch_val(conn, "SELECT MAX(seq) FROM catalog_changes")
    if newest is None:
        return 0
    total = 0
    while True:
        deleted, _ = await execute(
            conn,
            "DELETE FROM catalog_changes WHERE seq < %s AND changed_at < NOW() - INTERVAL %s SECOND "
            "ORDER BY seq LIMIT 10000",
            (int(newest), int(keep_seconds)),
        )
        total += deleted
        if deleted < 10000:
            return total


@dataclass(frozen=True)
class Changes:
    """What changed since the last catch-up: `everything` (the index must be rebuilt: the feed
    has just started, or lost track) or the ranges of product ids to re-read."""

    everything: bool = False
    ranges: tuple[tuple[int, int], ...] = ()

    def __bool__(self) -> bool:
        return self.everything or bool(self.ranges)

    def product_ids(self) -> set[int]:
        return {product_id for first, last in self.ranges for product_id in range(first, last + 1)}


Consumer = Callable[[object, Changes], Awaitable[None]]


@dataclass
class CatalogFeed:
    """One process's (one app's) reader of the feed. Indexes subscribe; before answering, an index
    awaits catch_up(conn) and builds or patches itself while holding `lock`, so no two requests
    patch at once and none reads a half-patched index."""

    clock: Callable[[], float] = time.monotonic
    consumers: list[Consumer] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    high: int | None = None  # the highest sequence number applied
    # runs of numbers below high not seen yet, as (first, last, when first missed)
    gaps: list[tuple[int, int, float]] = field(default_factory=list)
    last_poll: float = 0.0

    def subscribe(self, consumer: Consumer) -> None:
        self.consumers.append(consumer)

    async def catch_up(self, conn) -> Changes:
        """Apply every change committed before now to every subscribed index. Call with `lock`
        held (the caller then reads its index under the same lock, or after)."""
        before = (self.high, list(self.gaps), self.last_poll)
        try:
            changes = await self._poll(conn)
            if changes:
                for consumer in self.consumers:
                    await consumer(conn, changes)
        except BaseException:
            # an index failed or the request was cancelled while patching: nothing counts as
            # applied, so the next catch-up hands the same changes over again (indexes re-read
            # the products, so one that had applied them already is none the worse)
            self.high, self.gaps, self.last_poll = before
            raise
        return changes

    def waiting_for(self, seq: int) -> bool:
        """Whether `seq` is a number below the top not seen yet (a transaction maybe still open)."""
        return any(first <= seq <= last for first, last, _ in self.gaps)

    async def _poll(self, conn) -> Changes:
        now = self.clock()
        if self.high is None or now - self.last_poll > STALE_SECONDS:
            await self._start(conn, now)
            return Changes(everything=True)
        self.last_poll = now
        low = min((first for first, _, _ in self.gaps), default=self.high + 1)
        rows = await fetch_all(
            conn,
            "SELECT seq, first_product_id, last_product_id FROM catalog_changes WHERE seq >= %s ORDER BY seq",
            (low,),
        )
        found = []
        present = [int(row["seq"]) for row in rows]
        for seq, row in zip(present, rows, strict=True):
            if seq > self.high or self.waiting_for(seq):
                found.append((int(row["first_product_id"]), int(row["last_product_id"])))
        everything = EVERY_PRODUCT in found
        gaps = [hole for first, last, since in self.gaps for hole in _holes(first, last, present, since)]
        top = max(present, default=self.high)
        if top > self.high:
            gaps += _holes(self.high + 1, top - 1, present, now)
            self.high = top
        self.gaps = [gap for gap in gaps if now - gap[2] <= GAP_SECONDS]
        if len(self.gaps) > MAX_GAPS:
            await self._start(conn, now)
            return Changes(everything=True)
        return Changes(everything=everything, ranges=() if everything else tuple(found))

    async def _start(self, conn, now: float) -> None:
        """Take the current position; the numbers missing just below it may be transactions still
        open, so they are gaps from the start."""
        high = int(await fetch_val(conn, "SELECT COALESCE(MAX(seq), 0) FROM catalog_changes"))
        first = max(1, high - START_WINDOW + 1)
        rows = await fetch_all(conn, "SELECT seq FROM catalog_changes WHERE seq >= %s ORDER BY seq", (first,))
        self.gaps = _holes(first, high - 1, [int(row["seq"]) for row in rows], now)
        self.high, self.last_poll = high, now


def _holes(first: int, last: int, present: list[int], since: float) -> list[tuple[int, int, float]]:
    """The runs of numbers first..last not in `present` (sorted), each as (first, last, since)."""
    holes, start = [], first
    for seq in present:
        if seq > last:
            break
        if seq >= start:
            if seq > start:
                holes.append((start, seq - 1, since))
            start = seq + 1
    if start <= last:
        holes.append((start, last, since))
    return holes


def feed_of(app) -> CatalogFeed:
    """The app's feed (one per app: each app may have a database of its own, as tests do)."""
    feed = app.extensions.get("catalog_feed")
    if feed is None:
        feed = app.extensions["catalog_feed"] = CatalogFeed()
    return feed
