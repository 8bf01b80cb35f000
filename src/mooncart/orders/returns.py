"""Returns and exchanges within 15 days of delivery (the window the shop promises).

The shopper asks from her order page: which lines, how many, a reason, and for each line a
refund or another size of the same piece. An exchange reserves the new size at once (stock
ledger 'exchange'), so it cannot sell out while the parcel travels back. Staff approve (or
reject, which gives an exchange's reservation back), then mark it received: the returned units
come back into stock (ledger 'return'), the refund lines are refunded through the provider,
and an order whose every unit came back for a refund becomes 'returned'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..db import retrying, transaction
from ..inventory.stock import InsufficientStock, lock_variants, move_stock
from ..payments import queries as payment_queries
from ..payments.refunds import refund_remaining, request_refund, send_refunds
from . import queries

RETURN_WINDOW = timedelta(days=15)
REASONS = {
    "fit": "It doesn't fit",
    "not_as_pictured": "It looks different from the pictures",
    "quality": "Poor quality or a fault",
    "damaged": "It arrived damaged",
    "changed_mind": "I changed my mind",
}
STAFF_MOVES = {"requested": ("approved", "rejected"), "approved": ("received", "rejected")}
STATUS_LABELS = {
    "requested": "Requested",
    "approved": "Approved: please hand the parcel to our courier",
    "received": "Received",
    "rejected": "Not accepted",
}


class ReturnProblem(ValueError):
    """The request cannot be made as sent; str() is the message for the shopper (or staff)."""


@dataclass(frozen=True)
class Choice:
    """One line of a request: so many units of an order line, back for a refund
    (exchange_variant_id None) or for another size."""

    order_item_id: int
    quantity: int
    exchange_variant_id: int | None = None


def window_closes(order: dict) -> datetime | None:
    """When the return window of a delivered order closes (None: not delivered)."""
    if order["status"] != "delivered" or order.get("delivered_at") is None:
        return None
    return order["delivered_at"] + RETURN_WINDOW


def window_open(order: dict) -> bool:
    """Delivered no more than 15 days ago, by the database's clock (orders.queries' return_open)."""
    return bool(order.get("return_open"))


def returnable_lines(items: list[dict], options: list[dict]) -> list[dict]:
    """The lines with units left to return, each with its exchange sizes."""
    sizes: dict[int, list[dict]] = {}
    for option in options:
        sizes.setdefault(option["order_item_id"], []).append(option)
    lines = []
    for item in items:
        left = item["quantity"] - int(item["in_returns"])
        if left > 0 and item["variant_id"] is not None:
            lines.append(dict(item, left=left, sizes=sizes.get(item["id"], [])))
    return lines


def parse_choices(form, lines: list[dict]) -> list[Choice]:
    """Read qty-<line id> and action-<line id> ('return' or 'exchange-<variant id>') for the
    lines on offer; anything else is ignored, a wrong number is a ReturnProblem."""
    choices = []
    for line in lines:
        raw = (form.get(f"qty-{line['id']}") or "0").strip()
        if not (raw.isascii() and raw.isdigit() and len(raw) < 4):
            raise ReturnProblem(f"Please choose how many of {line['product_name']} to send back.")
        quantity = int(raw)
        if quantity == 0:
            continue
        if quantity > line["left"]:
            raise ReturnProblem(f"You can send back at most {line['left']} of {line['product_name']}.")
        action = form.get(f"action-{line['id']}") or "return"
        exchange = None
        if action.startswith("exchange-"):
            wanted = action.removeprefix("exchange-")
            offered = {str(size["variant_id"]): size["variant_id"] for size in line["sizes"]}
            if wanted not in offered:
                raise ReturnProblem(f"That size of {line['product_name']} is not available for an exchange.")
            exchange = offered[wanted]
        elif action != "return":
            raise ReturnProblem("Please choose a refund or another size for each piece.")
        choices.append(Choice(line["id"], quantity, exchange))
    if not choices:
        raise ReturnProblem("Please choose at least one piece to return or exchange.")
    return choices


async def request_return(
    conn, order_id: int, user_id: int, choices: list[Choice], reason: str, note: str = ""
) -> tuple[int, dict]:
    """Write the request (and reserve exchange sizes) in one transaction, checked again under the
    order's row lock; returns (return id, new stock levels). Raises ReturnProblem."""
    if reason not in REASONS:
        raise ReturnProblem("Please tell us why you are sending it back.")

    async def once():
        """One try of the return request in its own transaction (retried on a deadlock)."""
        async with transaction(conn):
            order = await payment_queries.select_order_for_update(conn, order_id)
            full = await queries.select_order_for(conn, order["number"], user_id) if order else None
            if full is None or not window_open(full):
                raise ReturnProblem(
                    "This order can no longer be returned: returns are open for 15 days after delivery."
                )
            lines = {
                line["id"]: line
                for line in returnable_lines(
                    await queries.select_returnable_items(conn, order_id),
                    await queries.select_exchange_options(conn, order_id),
                )
            }
            for choice in choices:
                line = lines.get(choice.order_item_id)
                if line is None or choice.quantity > line["left"]:
                    raise ReturnProblem("Some of these pieces are already on their way back. Please check the order.")
            wanted = {}
            for choice in choices:
                if choice.exchange_variant_id is not None:
                    wanted[choice.exchange_variant_id] = wanted.get(choice.exchange_variant_id, 0) - choice.quantity
            locked = await lock_variants(conn, wanted)
            try:
                levels = await move_stock(conn, wanted, locked, "exchange", order_id=order_id)
            except InsufficientStock:
                raise ReturnProblem(
                    "The size you asked for has just sold out. Please choose another or a refund."
                ) from None
            kind = "exchange" if wanted else "return"
            return_id = await queries.insert_return(
                conn,
                order_id,
                kind,
                reason,
                note,
                [(c.order_item_id, c.quantity, c.exchange_variant_id) for c in choices],
            )
            return return_id, levels

    return await retrying(once)


async def move_return(
    conn, order_id: int, return_id: int, new_status: str, staff_id: int, providers: dict | None = None
) -> dict:
    """Staff move a return on (approve, reject, receive); returns new stock levels. Raises
    ReturnProblem for a move that is not allowed from where it is."""

    async def once():
        """One try of moving the return in its own transaction (retried on a deadlock)."""
        async with transaction(conn):
            order = await payment_queries.select_order_for_update(conn, order_id)
            found = await queries.select_return_for_update(conn, return_id, order_id)
            if found is None:
                raise ReturnProblem("There is no such return on this order.")
            if new_status not in STAFF_MOVES.get(found["status"], ()):
                raise ReturnProblem(f"A return that is {found['status']} cannot become {new_status}.")
            await queries.update_return_status(conn, return_id, new_status)
            lines = await queries.select_return_lines(conn, return_id)
            if new_status == "rejected":  # the reserved sizes go back on sale
                back = {}
                for line in lines:
                    if line["exchange_variant_id"] is not None:
                        back[line["exchange_variant_id"]] = back.get(line["exchange_variant_id"], 0) + line["quantity"]
                locked = await lock_variants(conn, back)
                return await move_stock(
                    conn,
                    {v: q for v, q in back.items() if v in locked},
                    locked,
                    "exchange",
                    order_id=order_id,
                    staff_id=staff_id,
                    note=f"return {return_id} rejected",
                )
            if new_status != "received":
                return {}
            back = {}
            for line in lines:
                if line["variant_id"] is not None:
                    back[line["variant_id"]] = back.get(line["variant_id"], 0) + line["quantity"]
            locked = await lock_variants(conn, back)
            levels = await move_stock(
                conn,
                {v: q for v, q in back.items() if v in locked},
                locked,
                "return",
                order_id=order_id,
                staff_id=staff_id,
                note=f"return {return_id}",
            )
            sold, returned = await queries.select_units_returned_for_refund(conn, order_id)
            everything = bool(sold) and returned >= sold
            if everything:
                await queries.update_order_returned(conn, order_id)
            if order["payment_status"] in ("paid", "partly_refunded"):
                if everything:  # delivery too is refunded
                    await refund_remaining(conn, order_id, order["total_paise"], f"return-{return_id}")
                else:
                    await request_refund(
                        conn,
                        order_id,
                        f"return-{return_id}",
                        sum(
                            ln["unit_price_paise"] * ln["quantity"] for ln in lines if ln["exchange_variant_id"] is None
                        ),
                    )
            return levels

    levels = await retrying(once)
    if new_status == "received" and providers:
        await send_refunds(conn, providers, order_id)
    return levels
