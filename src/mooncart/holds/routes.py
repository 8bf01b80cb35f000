"""The waitlist's and holds' pages (issue 14): "Notify me when my size is back" on a sold-out size,
and the shopper's holds and notifications in her account. The holds themselves are taken by
checkout (checkout/routes.py calls holding.hold_bag) and let go by the bag's routes."""

from __future__ import annotations

import asyncio
from contextlib import suppress

from quart import Blueprint, abort, flash, g, url_for

from ..accounts.auth import login_required, on_sign_out, signed_in_shopper
from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..inventory.events import publish
from ..pages import render_page
from . import bag_parts, holding, queries, waitlist  # noqa: F401 # bag_parts registers with the bag
from .holding import held_until_day_text, held_until_text, iso_utc, seconds_left, shop_time

bp = Blueprint("holds", __name__)

MESSAGES = {
    "joined": "You're on the list: when your size is back we'll hold one for you and let you know.",
    "already": "You're already on the list.",
    "in_stock": "Good news: this size is in stock now, so you can add it to your bag.",
}


@bp.post("/waitlist/<int(max=4294967295):variant_id>")
@login_required
async def join(variant_id: int):
    """Join a sold-out size's waitlist; twice changes nothing ("You're already on the list"). A
    guest is sent to log in first and comes back to the product page."""
    shopper = await signed_in_shopper()
    conn = await get_conn()
    outcome, variant = await waitlist.join(conn, variant_id, shopper["id"])
    if variant is None:
        abort(404)
    message = MESSAGES[outcome]
    if is_htmx():
        return await fragment("holds/replies/joined.html", variant_id=variant_id, message=message, outcome=outcome)
    await flash(message)
    return see_other(url_for("catalog.product", slug=variant["product_slug"]) + f"#waitlist-{variant_id}")


@bp.get("/account/holds")
@login_required
async def mine():
    """What the shop holds for her (a size back from the waitlist, her checkout hold) and what it has told her."""
    shopper = await signed_in_shopper()
    conn = await get_conn()
    holds = await queries.select_own_holds(conn, shopper["id"])
    notifications = await queries.select_notifications(conn, shopper["id"])
    return await render_page("holds/mine.html", holds=holds, notifications=notifications)


@on_sign_out
async def release_at_log_out() -> None:
    """Logging out lets go of her checkout hold (a waitlist hold stays hers for its hours)."""
    released = await holding.release(await get_conn(), g.get("signed_out_id"))
    if released:
        await publish(dict.fromkeys(released, 0))


def init_app(app) -> None:
    """The time filters the bag and checkout pages show holds with, and the background tidy."""
    app.jinja_env.filters["held_until"] = held_until_text
    app.jinja_env.filters["held_until_day"] = held_until_day_text
    app.jinja_env.filters["iso_utc"] = iso_utc
    app.jinja_env.filters["seconds_left"] = seconds_left
    app.jinja_env.filters["shop_time"] = shop_time

    @app.while_serving
    async def tidy_lifespan():
        """Tidy lapsed holds and pass their units to the next in line while the app serves (a
        test's shared connection is never used from the background)."""
        db = app.extensions["db"]
        task = None
        if db.shared_connection is None and app.config["HOLD_TIDY_SECONDS"] > 0:
            task = asyncio.create_task(waitlist.run_tidy_forever(db, app, app.config["HOLD_TIDY_SECONDS"]))
        yield
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
