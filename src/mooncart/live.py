"""Live stock on open pages, by server-sent events read by htmx 4's SSE extension.

A product page listens on /live/product/<id>, the bag page on /live/bag. When a variant they
show changes stock, the stream sends an htmx fragment of <hx-partial>s (the stock badges and
the add button, or the bag lines and summary), rendered for this viewer's bag. The database
is touched only when something changed, with a connection borrowed for that moment."""

from __future__ import annotations

import asyncio

from quart import Blueprint, Response, abort, current_app, render_template, stream_with_context

from .bag.picker import picker
from .bag.summary import bag_summary
from .bag.token import read_bag_cookie
from .db import get_conn

bp = Blueprint("live", __name__, url_prefix="/live")
HEARTBEAT_SECONDS = 15


def sse_message(html: str) -> str:
    return "".join(f"data: {line}\n" for line in html.splitlines() or [""]) + "\n"


async def with_connection(work):
    """Run work(conn) on a pooled connection held only for that moment."""
    db = current_app.extensions["db"]
    conn = await db.acquire()
    try:
        return await work(conn)
    finally:
        db.release(conn)


def event_stream(variant_ids: set[int], render) -> Response:
    events = current_app.extensions["stock_events"]

    @stream_with_context
    async def generate():
        async with events.subscribe(variant_ids) as subscription:
            yield ": listening for stock changes\n\n"
            while True:
                try:
                    changed = await asyncio.wait_for(subscription.queue.get(), HEARTBEAT_SECONDS)
                except asyncio.TimeoutError:
                    yield ": still here\n\n"  # lets a dead connection be noticed and closed
                    continue
                while not subscription.queue.empty():  # several changes at once: one message
                    changed |= subscription.queue.get_nowait()
                yield sse_message(await with_connection(lambda conn: render(conn, changed)))

    response = Response(generate(), content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response


@bp.get("/product/<int(max=4294967295):product_id>")
async def product(product_id: int):
    """A product page's stock badges and add button, kept current for this shopper's bag."""
    token = read_bag_cookie().token
    ids = {variant["id"] for variant in (await picker(await get_conn(), product_id, token)).variants}
    if not ids:
        abort(404)

    async def render(conn, changed: set[int]) -> str:
        return await render_template("bag/replies/live_product.html", picker=await picker(conn, product_id, token),
                                     changed=changed)

    return event_stream(ids, render)


@bp.get("/bag")
async def bag():
    """The bag page's lines and summary, kept current as stock moves."""
    token = read_bag_cookie().token
    ids = {line.variant_id for line in (await bag_summary(await get_conn(), token)).lines}
    if not ids:
        return Response(status=204)  # nothing to watch; htmx does not retry a 204

    async def render(conn, changed: set[int]) -> str:
        return await render_template("bag/replies/live_bag.html", summary=await bag_summary(conn, token),
                                     changed=changed)

    return event_stream(ids, render)
