"""Staff moving an order through its states; cancelled and returned orders give their stock back."""

from __future__ import annotations

from ..db import execute, fetch_one, retrying, transaction
from .cancellation import restock_order
from .status import RESTOCKING, check_transition


async def change_status(conn, order_id: int, new_status: str, staff_id: int) -> dict:
    """Returns the new stock levels (empty unless stock came back). Raises IllegalTransition."""
    return await retrying(lambda: _change_once(conn, order_id, new_status, staff_id))


async def _change_once(conn, order_id: int, new_status: str, staff_id: int) -> dict:
    async with transaction(conn):
        order = await fetch_one(conn, "SELECT status, payment_status FROM orders WHERE id = %s FOR UPDATE",
                                (order_id,))
        check_transition(order["status"], new_status)
        payment = order["payment_status"]
        if new_status == "delivered" and payment == "pending":
            payment = "paid"  # cash collected at the door
        elif new_status in RESTOCKING and payment == "paid":
            payment = "refunded"
        elif new_status in RESTOCKING and payment == "pending":
            payment = "failed"
        await execute(conn, "UPDATE orders SET status = %s, payment_status = %s WHERE id = %s",
                      (new_status, payment, order_id))
        if new_status not in RESTOCKING:
            return {}
        return await restock_order(conn, order_id, RESTOCKING[new_status], staff_id)
