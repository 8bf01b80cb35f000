"""The order e-mails: placed, shipped and cancelled, queued in the outbox inside the transaction
that changes the order, so the shopper is told exactly when the change commits, and once."""

from __future__ import annotations

from ..outbox import enqueue_email
from ..outbox.render import render_email
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
