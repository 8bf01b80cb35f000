"""Live stock on open pages, as the shopper's bag sees it. A product page listens on
/live/product/<id>, the bag page on /live/bag; when a variant they show changes stock, the
stream sends <hx-partial>s of the regions that show it (the stock badges and the add button, or
the bag lines and summary), built by the same functions as the page (picker(), bag_summary())."""

from __future__ import annotations

from quart import Blueprint, Response, abort, render_template

from ..accounts.auth import shopper_id
from ..db import get_conn
from ..inventory.live import event_stream
from .picker import picker
from .summary import bag_summary
from .token import read_bag_cookie

bp = Blueprint("live", __name__, url_prefix="/live")


@bp.get("/product/<int(max=4294967295):product_id>")
async def product(product_id: int):
    """A product page's stock badges and add button, kept current for this shopper's bag."""
    token, user_id = read_bag_cookie().token, await shopper_id()
    ids = {variant["id"] for variant in (await picker(await get_conn(), product_id, token, user_id)).variants}
    if not ids:
        abort(404)

    async def render(conn, changed: set[int]) -> str:
        """The product's size picker as it is now, for the live stock update."""
        return await render_template(
            "bag/replies/live_product.html", picker=await picker(conn, product_id, token, user_id), changed=changed
        )

    return event_stream(ids, render)


@bp.get("/bag")
async def bag():
    """The bag page's lines and summary, kept current as stock moves."""
    token, user_id = read_bag_cookie().token, await shopper_id()
    ids = {line.variant_id for line in (await bag_summary(await get_conn(), token, user_id)).lines}
    if not ids:
        return Response(status=204)  # nothing to watch; htmx does not retry a 204

    async def render(conn, changed: set[int]) -> str:
        """The bag as it is now, for the live stock update."""
        return await render_template(
            "bag/replies/live_bag.html", summary=await bag_summary(conn, token, user_id), changed=changed
        )

    return event_stream(ids, render)
