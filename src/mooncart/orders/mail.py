"""The order e-mails: placed, shipped and cancelled, queued in the outbox inside the transaction
that changes the order, so the shopper is told exactly when the change commits, and once."""

from __future__ import annotations

from ..outbox import enqueue_email, enqueue_email_to_user
from ..outbox.render import render_email
from ..payments.settlement import when_paid
from . import queries

SUBJECTS = {
    "placed": "Your Mooncart order {number} is confirmed",
    "shipped": "Your Mooncart order {number} is on its way",
    "cancelled": "Your Mooncart order {number} is cancelled",
}


async def queue_order_email(conn, order_id: int, event: str) -> None:
    """Queue the e-mail of `event` ('placed', 'shipped', 'cancelled') for the order, with its
    lines, totals and delivery address; any other event (packed, delivered) sends nothing.
    Call it inside the transaction of the change. Once per order and event (the message key)."""
    if event not in SUBJECTS:
        return
    order = await queries.select_order_for_mail(conn, order_id)
    if order is None:
        return
    items = await queries.select_order_items(conn, order_id)
    text, html = render_email("order", event=event, order=order, items=items)
    await enqueue_email(
        conn,
        to=order["email"],
        subject=SUBJECTS[event].format(number=order["number"]),
        text=text,
        html=html,
        message_key=f"order-{event}:{order['number']}",
    )


async def queue_placed_email(conn, user_id: int, number: str, lines, totals, address: dict) -> None:
    """The 'placed' e-mail of an order being written by checkout (checkout/placement.py), from
    what it has in hand: the bag's lines as ordered, the totals and the delivery address. One
    statement (the shopper's address is read by the INSERT), since placing an order is a hot path
    whose statement count is watched."""
    order = {
        "number": number,
        "payment_status": "pending",
        "subtotal_paise": totals.subtotal_paise,
        "discount_paise": totals.discount_paise,
        "shipping_paise": totals.shipping_paise,
        "gst_paise": totals.gst_paise,
        "total_paise": totals.total_paise,
        **{key: address.get(key, "") for key in ("full_name", "line1", "line2", "city", "state", "pin_code", "mobile")},
    }
    items = [
        {
            "product_name": line.product_name,
            "colour_name": line.colour,
            "size_label": line.size,
            "quantity": line.quantity,
            "total_paise": line.price_paise * line.quantity,
        }
        for line in lines
    ]
    text, html = render_email("order", event="placed", order=order, items=items)
    await enqueue_email_to_user(
        conn,
        user_id=user_id,
        subject=SUBJECTS["placed"].format(number=number),
        text=text,
        html=html,
        message_key=f"order-placed:{number}",
    )


@when_paid
async def queue_paid_email(conn, order_id: int) -> None:
    """A card or UPI order is placed when its payment is confirmed: its confirmation e-mail then."""
    await queue_order_email(conn, order_id, "placed")
