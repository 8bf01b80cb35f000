"""Staff moving an order through its states; cancelled and returned orders give their stock back."""

from __future__ import annotations

from ..db import execute, fetch_all, fetch_one, transaction
from ..inventory.stock import lock_variants, move_stock
from .status import RESTOCKING, check_transition


async def change_status(conn, order_id: int, new_status: str, staff_id: int) -> dict:
    """Returns the new stock levels (empty unless stock came back). Raises IllegalTransition."""
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
        items = await fetch_all(conn, "SELECT variant_id, quantity FROM order_items "
                                      "WHERE order_id = %s AND variant_id IS NOT NULL", (order_id,))
        restock: dict[int, int] = {}
        for item in items:
            restock[item["variant_id"]] = restock.get(item["variant_id"], 0) + item["quantity"]
        locked = await lock_variants(conn, restock)
        return await move_stock(conn, {v: q for v, q in restock.items() if v in locked}, locked,
                                RESTOCKING[new_status], order_id=order_id, staff_id=staff_id)
