"""The event recorder: requests append to an in-process queue (no statement, no waiting) and a
background task writes the queue in batches with a connection of its own. A slow or absent
database delays the writing, never a request; a graceful shutdown writes what is left."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from . import queries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    occurred_at: datetime
    visitor_id: str
    kind: str  # view, search, add, checkout, order
    device: str  # mobile, tablet, desktop
    product_id: int | None = None
    category_id: int | None = None
    variant_id: int | None = None
    quantity: int | None = None
    query: str | None = None
    results: int | None = None
    step: str | None = None
    order_number: str | None = None  # an order event names its order; the writer expands it into its lines


class EventRecorder:
    """record() is synchronous and cheap; flush() writes everything queued so far."""

    def __init__(
        self,
        database,
        flush_seconds: float = 1.0,
        max_pending: int = 100_000,
        retention_days: int = 90,
        purge_every_seconds: float = 3600.0,
    ):
        self.database = database
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self.retention_days = retention_days
        self.purge_every_seconds = purge_every_seconds
        self.pending: deque[Event] = deque()
        self.dropped = 0
        self.written = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        self._last_purge: float | None = None  # the first pass purges: loop.time() may start near 0 (uptime)
        self._stopping = False

    def record(self, event: Event) -> None:
        """Queue an event. When the database has been away so long that the queue is full, the
        oldest events make room (counted, and logged at the next write) rather than memory running out."""
        if len(self.pending) >= self.max_pending:
            self.pending.popleft()
            self.dropped += 1
        self.pending.append(event)
        if len(self.pending) >= 500:
            self._wake.set()

    async def flush(self) -> int:
        """Write every queued event; returns how many. On a database error the batch goes back to
        the front of the queue for the next try."""
        async with self._lock:
            if not self.pending:
                return 0
            batch = list(self.pending)
            self.pending.clear()
            try:
                conn = await self.database.acquire()
            except BaseException:
                self.pending.extendleft(reversed(batch))
                raise
            try:
                await queries.insert_events(conn, batch)
            except BaseException:  # cancelled too: the batch is not lost
                self.pending.extendleft(reversed(batch))
                raise
            finally:
                self.database.release(conn)
            self.written += len(batch)
            if self.dropped:
                log.warning("events dropped while the database was unreachable", extra={"reason": str(self.dropped)})
                self.dropped = 0
            return len(batch)

    async def purge(self) -> int:
        """Delete events older than the retention period."""
        conn = await self.database.acquire()
        try:
            return await queries.delete_old_events(conn, self.retention_days)
        finally:
            self.database.release(conn)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), self.flush_seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._stopping:
                break
            try:
                await self.flush()
                if self._last_purge is None or loop.time() - self._last_purge >= self.purge_every_seconds:
                    self._last_purge = loop.time()
                    await self.purge()
            except Exception:
                log.exception("could not write events; they stay queued")
                await asyncio.sleep(self.flush_seconds)

    def start(self) -> None:
        """Write in the background from now on (when serving with a pool)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the background writer and write what is left (a graceful shutdown loses nothing).
        The writer is not cancelled: it finishes the batch it is writing (a cancelled INSERT would
        leave its connection mid-statement), then sees the stop and ends."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        for attempt in range(3):
            try:
                await self.flush()
                return
            except Exception:
                log.exception("could not write events at shutdown")
                await asyncio.sleep(0.5 * (attempt + 1))
        log.error("events lost at shutdown: the database did not answer", extra={"reason": str(len(self.pending))})
