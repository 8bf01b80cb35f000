"""Placing an order: one database transaction, all or nothing.

Lock the bag, replay a re-sent form (idempotency key), lock the variants in id order, check
every line, take the payment, write the order with price snapshots, move the stock with a
ledger row per line, empty the bag, commit. If any line is short, nothing is written and the
shopper is told which lines and how many are left. A deadlock or lock wait is retried, never
shown to the shopper."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from pymysql.err import IntegrityError

from ..bag.summary import BagLine
from ..db import execute, fetch_all, fetch_one, retrying, transaction
from ..inventory.stock import InsufficientStock, lock_variants, move_stock
from ..ops import metrics
from ..orders import queries as order_queries
from .payments import PaymentProvider
from .pricing import order_totals

log = logging.getLogger("mooncart.checkout")


class CheckoutProblem(Exception):
    """Nothing was written; str() is the message, short_lines lists (line, units left)."""

    def __init__(self, message: str, short_lines: list[tuple[BagLine, int]] | None = None):
        super().__init__(message)
        self.short_lines = short_lines or []


@dataclass(frozen=True)
class PlacedOrder:
    id: int
    number: str
    replayed: bool = False
    stock_levels: dict | None = None  # variant id -> stock after this order, for live pages
    total_paise: int = 0


def new_order_number(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return "MC" + now.strftime("%y%m%d") + "-" + secrets.token_hex(3).upper()


async def select_lines_for_order(conn, cart_id: int) -> list[BagLine]:
    rows = await fetch_all(
        conn,
        "SELECT ci.variant_id, ci.quantity, v.stock, v.sku, v.price_paise, s.label AS size, co.name AS colour, "
        "p.name AS product_name, p.slug AS product_slug, NULL AS image_path "
        "FROM cart_items ci JOIN variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id "
        "JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
        "WHERE ci.cart_id = %s ORDER BY ci.variant_id",
        (cart_id,))
    return [BagLine(**row) for row in rows]


async def place_order(conn, *, user_id: int, cart_id: int, address: dict, provider: PaymentProvider,
                      payment_details: dict, idempotency_key: str, payment_timeout: float = 20.0) -> PlacedOrder:
    try:
        order = await retrying(lambda: _place_once(conn, user_id, cart_id, address, provider, payment_details,
                                                   idempotency_key, payment_timeout))
    except IntegrityError:
        # the same form placed a moment ago on another connection: answer with that order
        existing = await order_queries.select_order_by_key(conn, user_id, idempotency_key)
        if existing is None:
            raise
        return PlacedOrder(existing["id"], existing["number"], replayed=True)
    if not order.replayed:  # committed: _place_once's transaction has closed
        metrics.order_placed(provider.code, order.total_paise)
    return order


async def _place_once(conn, user_id, cart_id, address, provider, payment_details, idempotency_key,
                      payment_timeout) -> PlacedOrder:
    async with transaction(conn):
        # one checkout at a time per bag: a double-click waits here, then sees the first order
        await fetch_one(conn, "SELECT id FROM carts WHERE id = %s FOR UPDATE", (cart_id,))
        existing = await order_queries.select_order_by_key(conn, user_id, idempotency_key)
        lines = await select_lines_for_order(conn, cart_id)
        if existing is not None:
            if lines:  # the bag was filled again since: this form belongs to the earlier order
                raise CheckoutProblem(f"This checkout page was already used for order {existing['number']}. "
                                      "Please check your bag and place the new order from a fresh checkout page.")
            return PlacedOrder(existing["id"], existing["number"], replayed=True)
        if not lines:
            raise CheckoutProblem("Your bag is empty, so there is nothing to order.")
        locked = await lock_variants(conn, [line.variant_id for line in lines])
        short = [(line, locked.get(line.variant_id, 0)) for line in lines
                 if locked.get(line.variant_id, 0) < line.quantity]
        if short:
            raise CheckoutProblem("Some items in your bag have sold out or run low since you added them.", short)
        totals = order_totals(lines)
        number = new_order_number()
        try:
            result = await asyncio.wait_for(provider.charge(totals.total_paise, number, payment_details),
                                            payment_timeout)
        except asyncio.TimeoutError:
            raise CheckoutProblem("The bank did not answer in time, so your order was not placed and you have "
                                  "not been charged. Please try again.") from None
        if not result.ok:
            raise CheckoutProblem(result.message or "The payment did not go through; you have not been charged.")
        order_id = await order_queries.insert_order(
            conn, number=number, user_id=user_id, idempotency_key=idempotency_key, payment_method=provider.code,
            payment_status=result.status, payment_reference=result.reference, address=address, totals=totals)
        await order_queries.insert_order_items(conn, order_id, lines)
        try:
            levels = await move_stock(conn, {line.variant_id: -line.quantity for line in lines}, locked, "order",
                                      order_id=order_id)
        except InsufficientStock:  # cannot happen under the locks above; abort everything if it does
            raise CheckoutProblem("Some items in your bag have just sold out.") from None
        # only the lines ordered, each by its unique key: a scan of cart_items here would lock
        # other shoppers' lines and deadlock with their adds (seen under the random-history test)
        ordered = [line.variant_id for line in lines]
        await execute(conn, "DELETE FROM cart_items WHERE cart_id = %s AND variant_id IN ("  # nosec B608 # values are %s parameters
                            + ", ".join(["%s"] * len(ordered)) + ")", [cart_id, *ordered])
        log.info("order placed", extra={"order": number, "user": user_id, "total": totals.total_paise,
                                        "lines": len(lines)})
        return PlacedOrder(order_id, number, stock_levels=levels, total_paise=totals.total_paise)
