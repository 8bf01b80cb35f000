"""Stock changes, told to every open page. A change is published after its transaction commits;
each subscriber (one server-sent-event stream) names the variants it shows and is woken only
for those. With MOONCART_REDIS_URL set, changes go through Redis pub/sub so every worker on every
machine hears them; without it, delivery stays inside this one process."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

from ..ops import metrics

log = logging.getLogger("mooncart.events")
CHANNEL = "mooncart:stock"


class Subscription:
    """One open stream's interest: the variants its page shows and a queue of changes to them."""

    def __init__(self, variant_ids: set[int]):
        self.variant_ids = variant_ids
        self.queue: asyncio.Queue[set[int]] = asyncio.Queue(maxsize=100)

    def offer(self, changed: set[int]) -> None:
        """Queue the changed variants this page shows; never blocks the seller (a full queue
        is dropped: the reader re-reads every variant when it wakes)."""
        touched = changed & self.variant_ids
        if touched:
            try:
                self.queue.put_nowait(touched)
            except asyncio.QueueFull:  # a stalled reader; it will re-read everything on its next wake
                pass


class StockEvents:
    """In-process fan-out; RedisStockEvents adds the hop through Redis."""

    def __init__(self) -> None:
        self.subscriptions: set[Subscription] = set()

    async def start(self) -> None:
        """Nothing to connect to in one process."""
        pass

    async def stop(self) -> None:
        """Nothing to disconnect."""
        pass

    async def publish(self, levels: dict[int, int]) -> None:
        """Tell every subscriber here which variants changed (the levels are re-read by each page)."""
        if levels:
            self.deliver(set(levels))

    def deliver(self, changed: set[int]) -> None:
        """Offer the change to each subscription; a copy of the set, as streams end meanwhile."""
        for subscription in list(self.subscriptions):
            subscription.offer(changed)

    @asynccontextmanager
    async def subscribe(self, variant_ids):
        """Listen for changes to these variants for as long as the block runs."""
        subscription = Subscription(set(variant_ids))
        self.subscriptions.add(subscription)
        metrics.LIVE_STREAMS.inc()
        try:
            yield subscription
        finally:  # a closed tab ends the stream, and with it the subscription
            self.subscriptions.discard(subscription)
            metrics.LIVE_STREAMS.dec()


class RedisStockEvents(StockEvents):
    """Stock events through Redis pub/sub, so every worker on every machine hears every sale."""

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.redis: Redis | None = None
        self.listener: asyncio.Task | None = None

    async def start(self) -> None:
        """Connect and listen in the background (redis is imported only when configured)."""
        import redis.asyncio as redis

        self.redis = redis.from_url(self.url)
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(CHANNEL)
        self.listener = asyncio.create_task(self._listen(pubsub))

    async def _listen(self, pubsub) -> None:
        while True:
            try:
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self.deliver({int(v) for v in json.loads(message["data"])})
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except Exception:  # Redis went away: keep serving pages, try again shortly
                log.exception("stock event listener lost Redis; retrying")
                await asyncio.sleep(1)

    async def stop(self) -> None:
        """Stop listening and close the connection when serving stops."""
        if self.listener:
            self.listener.cancel()
            try:
                await self.listener
            except asyncio.CancelledError:
                pass
        if self.redis is not None:
            await self.redis.aclose()

    async def publish(self, levels: dict[int, int]) -> None:
        """Publish the changed variant ids; if Redis is down, at least this worker's pages hear it."""
        if not levels:
            return
        try:
            if self.redis is None:
                raise ConnectionError("not connected to Redis: serving has not started")
            await self.redis.publish(CHANNEL, json.dumps(sorted(levels)))
        except Exception:  # the sale stands; open pages will catch up on their next reload
            log.exception("could not publish a stock change")
            self.deliver(set(levels))


def init_app(app) -> None:
    """In-process events, or Redis ones when MOONCART_REDIS_URL is set; started with the app."""
    url = app.config.get("REDIS_URL")
    app.extensions["stock_events"] = RedisStockEvents(url) if url else StockEvents()

    @app.before_serving
    async def start_events() -> None:
        """Start listening for stock changes when serving starts."""
        await app.extensions["stock_events"].start()

    @app.after_serving
    async def stop_events() -> None:
        """Stop listening for stock changes when serving ends."""
        await app.extensions["stock_events"].stop()


async def publish(levels: dict[int, int]) -> None:
    """Tell open pages about new stock levels; call it after the transaction has committed,
    so no page shows stock that a rollback took back."""
    from quart import current_app

    from .. import cache

    if levels:  # first the cache, so a page woken by the event below reads the new stock
        await cache.current().bump([cache.STOCK, *(cache.variant(v) for v in levels)])
    await current_app.extensions["stock_events"].publish(levels)
