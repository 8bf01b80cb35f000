"""Staff moving an order through its states; cancelled and returned orders give their stock back."""

from __future__ import annotations

from ..db import retrying, transaction
from . import queries
from .cancellation import restock_order
from .status import RESTOCKING, check_transition


async def change_status(conn, order_id: int, new_status: str, staff_id: int) -> dict:
    """Returns the new stock levels (empty unless stock came back). Raises IllegalTransition."""
    return await retrying(lambda: _change_once(conn, order_id, new_status, staff_id))


def payment_status_after(new_status: str, payment: str) -> str:
    """What the payment becomes with the order: cash is collected at the door on delivery, and
    an order that gives its stock back refunds a payment or cancels a promised one."""
    if new_status == "delivered" and payment == "pending":
        return "paid"
    if new_status in RESTOCKING and payment == "paid":
        return "refunded"
    if new_status in RESTOCKING and payment == "pending":
        return "failed"
    return payment


async def _change_once(conn, order_id: int, new_status: str, staff_id: int) -> dict:
    async with transaction(conn):
        order = await queries.select_order_status_for_update(conn, order_id)
        check_transition(order["status"], new_status)
        await queries.update_order_status(conn, order_id, new_status,
                                          payment_status_after(new_status, order["payment_status"]))
        if new_status not in RESTOCKING:
            return {}
        return await restock_order(conn, order_id, RESTOCKING[new_status], staff_id)
