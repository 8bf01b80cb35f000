"""Staff moving an order through its states; cancelled and returned orders give their stock back
and their money (through the provider, after the transaction)."""

from __future__ import annotations

from ..db import retrying, transaction
from ..payments import queries as payment_queries
from ..payments.refunds import refund_remaining, send_refunds
from . import queries
from .cancellation import restock_order
from .mail import queue_order_email
from .status import RESTOCKING, check_transition


async def change_status(conn, order_id: int, new_status: str, staff_id: int, providers: dict | None = None) -> dict:
    """Returns the new stock levels (empty unless stock came back). Raises IllegalTransition.
    A cancelled or returned paid order is refunded (what has not been refunded yet)."""
    levels = await retrying(lambda: _change_once(conn, order_id, new_status, staff_id))
    if new_status in RESTOCKING and providers:
        await send_refunds(conn, providers, order_id)
    return levels


def payment_status_after(new_status: str, payment: str) -> str:
    """What the payment becomes with the order: cash is collected at the door on delivery, and
    an order that gives its stock back cancels a promised one (a paid one becomes refunded
    when the provider has processed its refund: see payments/refunds.py)."""
    if new_status == "delivered" and payment == "pending":
        return "paid"
    if new_status in RESTOCKING and payment == "pending":
        return "failed"
    return payment


async def _change_once(conn, order_id: int, new_status: str, staff_id: int) -> dict:
    async with transaction(conn):
        order = await payment_queries.order_for_update(conn, order_id)
        check_transition(order["status"], new_status)
        await queries.update_order_status(
            conn, order_id, new_status, payment_status_after(new_status, order["payment_status"])
        )
        await queue_order_email(conn, order_id, new_status)  # shipped, cancelled: the shopper is told
        if new_status not in RESTOCKING:
            return {}
        if order["payment_status"] in ("paid", "partly_refunded"):
            await refund_remaining(conn, order_id, order["total_paise"], new_status)
        return await restock_order(conn, order_id, RESTOCKING[new_status], staff_id)
