"""A shopper's orders: the list, one order, cancelling before it ships, asking again about a
payment the bank has not confirmed, and returning or exchanging within 15 days of delivery."""

from __future__ import annotations

from quart import Blueprint, Response, abort, current_app, flash, request, url_for

from ..accounts.auth import login_required, signed_in_shopper
from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..inventory.events import publish
from ..pages import render_page
from ..payments import queries as payment_queries
from ..payments.providers import providers_of
from ..payments.settlement import settle
from . import queries
from .cancellation import cancel_order
from .returns import REASONS, STATUS_LABELS, ReturnProblem, parse_choices, request_return, returnable_lines, window_open
from .status import LABELS

bp = Blueprint("orders", __name__, url_prefix="/orders")

CANCELLABLE = ("placed", "packed")
REFUND_LABELS = {"requested": "On its way", "processed": "Refunded", "failed": "Failed: our team will contact you"}


async def get_order(number: str) -> dict:
    """The signed-in shopper's order, or 404: another shopper's order looks exactly like none."""
    shopper = await signed_in_shopper()
    order = await queries.select_order_for(await get_conn(), number[:20], shopper["id"])
    if order is None:
        abort(404)
    return order


def payment_label(order: dict) -> str:
    """How the order is paid and where that stands, in the shopper's words."""
    method = {"cod": "Cash on delivery", "upi": "UPI", "card": "Card"}.get(order["payment_method"], "Card")
    status = {
        "pending": "to pay on delivery" if order["payment_method"] == "cod" else "waiting for the bank",
        "paid": "paid",
        "partly_refunded": "paid, partly refunded",
        "refunded": "refunded",
        "failed": "not paid",
    }.get(order["payment_status"], order["payment_status"])
    return f"{method} ({status})"


@bp.get("")
@login_required
async def list_orders():
    """The signed-in shopper's orders, newest first."""
    shopper = await signed_in_shopper()
    orders = await queries.select_orders_of(await get_conn(), shopper["id"])
    return await render_page("orders/list.html", orders=orders, labels=LABELS)


@bp.get("/<number>")
@login_required
async def show(number: str):
    """One of the shopper's orders with its lines, its payment and refunds, its returns, and the
    buttons that apply: cancel while it has not shipped, return within 15 days of delivery."""
    order = await get_order(number)
    conn = await get_conn()
    items = await queries.select_order_items(conn, order["id"])
    returnable = window_open(order) and any(
        line for line in returnable_lines(await queries.select_returnable_items(conn, order["id"]), [])
    )
    return await render_page(
        "orders/detail.html",
        order=order,
        items=items,
        labels=LABELS,
        cancellable=order["status"] in CANCELLABLE,
        payment=payment_label(order),
        refunds=await payment_queries.select_refunds(conn, order["id"]),
        refund_labels=REFUND_LABELS,
        returns=await queries.select_returns(conn, order["id"]),
        return_labels=STATUS_LABELS,
        reasons=REASONS,
        returnable=returnable,
    )


@bp.post("/<number>/cancel")
@login_required
async def cancel(number: str):
    """Cancel before shipping: the stock goes back for other shoppers at once (and open pages
    hear it), and a paid order's money goes back through its provider. A second click, or an
    order that has shipped, changes nothing and says why."""
    order = await get_order(number)
    shopper = await signed_in_shopper()
    conn = await get_conn()
    levels = await cancel_order(conn, order["id"], shopper["id"], providers_of(current_app))
    if levels is not None:
        await publish(levels)
        refunds = await payment_queries.select_refunds(conn, order["id"])
        refunded = any(r["status"] == "processed" for r in refunds)
        await flash(
            f"Order {order['number']} is cancelled and your items are back in stock for others."
            + (
                " Your refund has been sent to your bank; it shows in your account in 5-7 working days."
                if refunded
                else " Your refund is being sent to your bank."
                if refunds
                else ""
            )
        )
    else:
        await flash("This order can no longer be cancelled: it has already been cancelled or has shipped.")
    return see_other(url_for("orders.show", number=order["number"]))


@bp.post("/<number>/payment")
@login_required
async def check_payment(number: str):
    """ "Check again" on an order whose bank has not answered: ask the gateway (never charges)."""
    order = await get_order(number)
    conn = await get_conn()
    payment = await payment_queries.select_payment(conn, order["id"])
    provider = providers_of(current_app).get(payment["provider"]) if payment else None
    if order["status"] == "awaiting_payment" and provider is not None:
        outcome = await settle(conn, provider, order["id"], timeout=current_app.config["PAYMENT_TIMEOUT_SECONDS"])
        if outcome.stock_levels:
            await publish(outcome.stock_levels)
        await flash(
            {
                "paid": f"Your payment is confirmed: order {order['number']} is placed.",
                "failed": "The payment did not go through, so you have not been charged and the order is "
                "cancelled. Your items are back in your bag.",
            }.get(outcome.state, outcome.message)
        )
    return see_other(url_for("orders.show", number=order["number"]))


async def return_context(conn, order: dict, **extra) -> dict:
    """What the return form shows for an order: its returnable lines, exchange options and the reasons."""
    lines = returnable_lines(
        await queries.select_returnable_items(conn, order["id"]),
        await queries.select_exchange_options(conn, order["id"]),
    )
    return dict(order=order, lines=lines, reasons=REASONS, values={}, problem=None) | extra


@bp.get("/<number>/return")
@login_required
async def return_form(number: str):
    """Choose what to send back: how many of each piece, a refund or another size, and why."""
    order = await get_order(number)
    context = await return_context(await get_conn(), order)
    if not window_open(order):
        context["closed"] = (
            "This order can't be returned: returns and exchanges are open for 15 days after delivery."
            if order["status"] != "returned"
            else "This order has been returned."
        )
    elif not context["lines"]:
        # a line left is one whose product staff deleted since (it cannot be taken back into stock)
        gone = [
            item["product_name"]
            for item in await queries.select_returnable_items(await get_conn(), order["id"])
            if item["variant_id"] is None and item["quantity"] > int(item["in_returns"])
        ]
        context["closed"] = (
            f"{', '.join(gone)}: no longer sold in our shop, so it can't be returned or exchanged here."
            if gone
            else "Everything in this order is already on its way back."
        )
    return await render_page("orders/return.html", **context)


@bp.post("/<number>/return")
@login_required
async def request_return_view(number: str):
    """Ask for the return or exchange. A problem is a 422 with the form and the message (the
    form's fragment for htmx); an exchange's size is reserved at once."""
    order = await get_order(number)
    conn = await get_conn()
    shopper = await signed_in_shopper()
    form = await request.form
    context = await return_context(conn, order, values=form)
    try:
        if not window_open(order):
            raise ReturnProblem("This order can no longer be returned: returns are open for 15 days after delivery.")
        choices = parse_choices(form, context["lines"])
        return_id, levels = await request_return(
            conn, order["id"], shopper["id"], choices, form.get("reason", ""), (form.get("note") or "").strip()[:500]
        )
    except ReturnProblem as problem:
        context["problem"] = str(problem)
        if is_htmx():
            return await fragment("orders/_return_form.html", status=422, **context)
        return await render_page("orders/return.html", status=422, **context)
    await publish(levels)
    exchange = any(c.exchange_variant_id for c in choices)
    await flash(
        "Your " + ("exchange" if exchange else "return") + " is requested. We will email you when our "
        "courier can collect it" + (" (your new size is kept for you)." if exchange else ".")
    )
    target = url_for("orders.show", number=order["number"])
    if is_htmx():
        return Response("", 200, headers={"HX-Redirect": target})
    return see_other(target)
