"""What holds add to the bag (issue 14): a line removed lets go of its checkout hold and a line
made smaller shrinks it (one statement, only for a signed-in shopper); the bag page lists the
sizes the waitlist holds for her ("Your size M is back and held for you until ..."). The bag may
not import this area, so these register with the bag (bag/extras.py)."""

from __future__ import annotations

from ..accounts.auth import shopper_id
from ..bag.extras import add_page_region, on_line_change
from ..inventory.events import publish
from . import queries


@on_line_change
async def follow_the_bag_line(conn, user_id: int, variant_id: int, quantity: int) -> None:
    """The line left the bag (quantity 0): its checkout hold goes; it shrank: the hold shrinks."""
    if quantity == 0:
        changed = await queries.delete_checkout_hold(conn, user_id, variant_id)
    else:
        changed = await queries.trim_checkout_hold(conn, user_id, variant_id, quantity)
    if changed:
        await publish({variant_id: 0})  # the units are free for others' pages now


@add_page_region
async def waitlist_holds(conn, summary, **message) -> dict:
    """The sizes the waitlist holds for her, for the bag page (a statement only when signed in)."""
    user_id = await shopper_id()
    if user_id is None:
        return {}
    return {"waitlist_holds": await queries.select_own_holds(conn, user_id, "waitlist")}
