"""The back office's orders: find them, read one, move it through its states, and approve,
reject or receive the shopper's returns and exchanges."""

from __future__ import annotations

from quart import abort, current_app, flash, request, url_for

from ..accounts.auth import signed_in_shopper
from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..inventory.events import publish
from ..orders import queries as order_queries
from ..orders.returns import STATUS_LABELS as RETURN_LABELS
from ..orders.returns import ReturnProblem, move_return
from ..orders.staff import change_status
from ..orders.status import LABELS, TRANSITIONS, IllegalTransition
from ..pages import render_page
from ..payments import queries as payment_queries
from ..payments.providers import providers_of
from . import queries
from .access import staff_required
from .blueprint import bp


async def order_context(conn, number: str) -> dict:
    """The order (any shopper's: this is staff), its lines and the statuses it may move to; 404
    when there is no such order."""
    order = await queries.select_order(conn, number[:20])
    if order is None:
        abort(404)
    return dict(
        order=order,
        items=await order_queries.select_order_items(conn, order["id"]),
        next_statuses=TRANSITIONS[order["status"]],
        labels=LABELS,
        returns=await order_queries.select_returns(conn, order["id"]),
        return_labels=RETURN_LABELS,
        refunds=await payment_queries.select_refunds(conn, order["id"]),
    )


@bp.get("/orders")
@staff_required
async def orders():
    """Newest orders first, by status (an unknown status shows all) or by number or email."""
    status = request.args.get("status") or None
    if status not in TRANSITIONS:
        status = None
    query = (request.args.get("q") or "").strip()[:254]
    return await render_page(
        "admin/orders.html",
        orders=await queries.search_orders(await get_conn(), status, query),
        chosen_status=status,
        query=query,
        labels=LABELS,
    )


@bp.get("/orders/<number>")
@staff_required
async def order(number: str):
    """One order with its address, lines, payment and the buttons for its next statuses."""
    return await render_page("admin/order.html", **await order_context(await get_conn(), number))


@bp.post("/orders/<number>/status")
@staff_required
async def order_status(number: str):
    """Move the order on (placed, packed, shipped, delivered; or cancelled, returned, which give
    the stock back). A move the state machine forbids is a 422 that says what is allowed."""
    conn = await get_conn()
    context = await order_context(conn, number)
    new_status = (await request.form).get("status", "")
    staff = await signed_in_shopper()
    try:
        levels = await change_status(conn, context["order"]["id"], new_status, staff["id"], providers_of(current_app))
    except IllegalTransition as illegal:
        context["status_error"] = str(illegal)
        if is_htmx():
            return await fragment("admin/_order_status.html", status=422, **context)
        return await render_page("admin/order.html", status=422, **context)
    await publish(levels)
    message = f"Order {number} is now {LABELS[new_status].lower()}."
    if is_htmx():
        context = await order_context(conn, number)
        return await fragment("admin/_order_status.html", status_message=message, **context)
    await flash(message)
    return see_other(url_for("admin.order", number=number))


@bp.post("/orders/<number>/returns/<int:return_id>")
@staff_required
async def order_return(number: str, return_id: int):
    """Approve, reject or receive a return (receiving puts the pieces back in stock and refunds
    the refund lines through the provider). A move that is not allowed says why (422)."""
    conn = await get_conn()
    context = await order_context(conn, number)
    new_status = (await request.form).get("status", "")
    staff = await signed_in_shopper()
    try:
        levels = await move_return(
            conn, context["order"]["id"], return_id, new_status, staff["id"], providers_of(current_app)
        )
    except ReturnProblem as problem:
        context["status_error"] = str(problem)
        return await render_page("admin/order.html", status=422, **context)
    await publish(levels)
    await flash(f"Return {return_id} is now {new_status}.")
    return see_other(url_for("admin.order", number=number))
