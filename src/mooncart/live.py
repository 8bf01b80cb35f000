"""Live stock on open pages, by server-sent events read by htmx 4's SSE extension.

A product page listens on /live/product/<id>, the bag page on /live/bag. When a variant they
show changes stock, the stream sends an htmx fragment of <hx-partial>s (the stock badges and
the add button, or the bag lines and summary), rendered for this viewer's bag. The database
is touched only when something changed, with a connection borrowed for that moment."""

from __future__ import annotations

import asyncio

from quart import Blueprint, Response, abort, current_app, render_template, stream_with_context

from .bag.queries import select_bag_lines
from .bag.summary import BagSummary
from .bag.token import read_bag_cookie
from .catalog import queries as catalog_queries
from .catalog.availability import Availability
from .db import fetch_all, get_conn
from .draining import RECONNECT, Draining, next_change  # mooncart serve's draining (SIGTERM)

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
    drain = current_app.extensions["drain"]

    @stream_with_context
    async def generate():
        async with events.subscribe(variant_ids) as subscription:
            yield ": listening for stock changes\n\n"
            while True:
                try:
                    changed = await next_change(subscription.queue, drain, HEARTBEAT_SECONDS)
                except asyncio.TimeoutError:
                    yield ": still here\n\n"  # lets a dead connection be noticed and closed
                    continue
                except Draining:
                    yield RECONNECT
                    return
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
    token = read_bag_cookie().token
    conn = await get_conn()
    ids = {row["id"] for row in await fetch_all(conn, "SELECT id FROM variants WHERE product_id = %s", (product_id,))}
    if not ids:
        abort(404)

    async def render(conn, changed: set[int]) -> str:
        variants = await catalog_queries.select_variants(conn, product_id, token)
        for variant in variants:
            variant["availability"] = Availability(variant["stock"], variant["in_bag"])
        first_choice = next((v for v in variants if v["availability"].can_add_more), None)
        return await render_template("catalog/_live_product.html", first_choice=first_choice,
                                     variants=[v for v in variants if v["id"] in changed])

    return event_stream(ids, render)


@bp.get("/bag")
async def bag():
    token = read_bag_cookie().token
    conn = await get_conn()
    ids = {line["variant_id"] for line in await select_bag_lines(conn, token)}
    if not ids:
        return Response(status=204)  # nothing to watch; htmx does not retry a 204

    async def render(conn, changed: set[int]) -> str:
        summary = BagSummary.from_rows(await select_bag_lines(conn, token))
        return await render_template("bag/_live_bag.html", summary=summary, bag_count=summary.count,
                                     lines=[line for line in summary.lines if line.variant_id in changed])

    return event_stream(ids, render)
