"""A shopper's orders: the list, one order, and cancelling before it ships."""

from __future__ import annotations

from quart import Blueprint, abort, flash, url_for

from ..accounts.auth import current_shopper, login_required
from ..db import get_conn
from ..htmx import see_other
from ..pages import render_page
from . import queries
from ..inventory.events import publish
from .cancellation import cancel_order

bp = Blueprint("orders", __name__, url_prefix="/orders")

CANCELLABLE = ("placed", "packed")


async def get_order(number: str) -> dict:
    """The signed-in shopper's order, or 404: another shopper's order looks exactly like none."""
    shopper = await current_shopper()
    order = await queries.select_order_for(await get_conn(), number[:20], shopper["id"])
    if order is None:
        abort(404)
    return order


@bp.get("")
@login_required
async def list_orders():
    """The signed-in shopper's orders, newest first."""
    shopper = await current_shopper()
    orders = await queries.select_orders_of(await get_conn(), shopper["id"])
    return await render_page("orders/list.html", orders=orders)


@bp.get("/<number>")
@login_required
async def show(number: str):
    """One of the shopper's orders with its lines, and a cancel button while it has not shipped."""
    order = await get_order(number)
    items = await queries.select_order_items(await get_conn(), order["id"])
    return await render_page("orders/detail.html", order=order, items=items,
                             cancellable=order["status"] in CANCELLABLE)


@bp.post("/<number>/cancel")
@login_required
async def cancel(number: str):
    """Cancel before shipping: the stock goes back for other shoppers at once (and open pages
    hear it). A second click, or an order that has shipped, changes nothing and says why."""
    order = await get_order(number)
    shopper = await current_shopper()
    levels = await cancel_order(await get_conn(), order["id"], shopper["id"])
    if levels is not None:
        await publish(levels)
        await flash(f"Order {order['number']} is cancelled and your items are back in stock for others."
                    + (" Your refund is on its way." if order["payment_status"] == "paid" else ""))
    else:
        await flash("This order can no longer be cancelled: it has already been cancelled or has shipped.")
    return see_other(url_for("orders.show", number=order["number"]))
