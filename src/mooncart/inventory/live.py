"""Stock changes as a server-sent-event stream, read by htmx 4's SSE extension. A stream names
the variants its page shows; when one of them changes stock, it renders the page's changed
regions for that viewer and sends them as one message. The database is touched only when
something changed, with a connection borrowed for that moment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart import Response, current_app, stream_with_context

from ..draining import RECONNECT, Draining, next_change  # mooncart serve's draining (SIGTERM)

HEARTBEAT_SECONDS = 15

Render = Callable[[Any, set[int]], Awaitable[str]]


def sse_message(html: str) -> str:
    """One SSE message whose data is `html` (one `data:` line per line of it)."""
    return "".join(f"data: {line}\n" for line in html.splitlines() or [""]) + "\n"


async def with_connection(work):
    """Run work(conn) on a pooled connection held only for that moment."""
    db = current_app.extensions["db"]
    conn = await db.acquire()
    try:
        return await work(conn)
    finally:
        db.release(conn)


def event_stream(variant_ids: set[int], render: Render) -> Response:
    """A streaming response that sends `await render(conn, changed_ids)` whenever any of
    `variant_ids` changes stock, until the page is closed."""
    events = current_app.extensions["stock_events"]
    drain = current_app.extensions["drain"]

    @stream_with_context
    async def generate():
        """The event stream: a heartbeat, then one event per stock change of these variants until the server drains."""
        async with events.subscribe(variant_ids) as subscription:
            yield ": listening for stock changes\n\n"
            while True:
                try:
                    changed = await next_change(subscription.queue, drain, HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": still here\n\n"  # lets a dead connection be noticed and closed
                    continue
                except Draining:  # the browser reconnects, through the balancer, to another instance
                    yield RECONNECT
                    return
                while not subscription.queue.empty():  # several changes at once: one message
                    changed |= subscription.queue.get_nowait()
                yield sse_message(await with_connection(lambda conn, changed=changed: render(conn, changed)))

    response = Response(generate(), content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response
