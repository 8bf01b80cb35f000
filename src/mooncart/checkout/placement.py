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
from ..db import retrying, transaction
from ..inventory.stock import InsufficientStock, lock_variants, move_stock
from ..ops import metrics
from ..orders import queries as order_queries
from . import confirmation, queries, vouchers
from .payments import PaymentProvider

log = logging.getLogger("mooncart.checkout")


class CheckoutProblem(Exception):
    """Nothing was written; str() is the message, short_lines lists (line, units left), changes
    what differs from the page the shopper confirmed (confirmation.Change)."""

    def __init__(self, message: str, short_lines: list[tuple[BagLine, int]] | None = None,
                 changes: list | None = None):
        super().__init__(message)
        self.short_lines = short_lines or []
        self.changes = changes or []


@dataclass(frozen=True)
class PlacedOrder:
    """What the shopper is shown after placing: the order, whether this was a re-sent form
    answered with the earlier order, and the new stock levels to tell open pages."""
    id: int
    number: str
    replayed: bool = False
    stock_levels: dict | None = None  # variant id -> stock after this order, for live pages
    total_paise: int = 0


def new_order_number(now: datetime | None = None) -> str:
    """A number to read over the phone, e.g. MC261128-3FA9C1: the date, then 24 random bits
    (a guessed number finds nothing: orders are looked up with their owner)."""
    now = now or datetime.now(timezone.utc)
    return "MC" + now.strftime("%y%m%d") + "-" + secrets.token_hex(3).upper()


async def place_order(conn, *, user_id: int, cart_id: int, address: dict, provider: PaymentProvider,
                      payment_details: dict, idempotency_key: str, payment_timeout: float = 20.0,
                      confirmed: dict | None = None) -> PlacedOrder:
    """Place the bag as an order in one transaction (see the module's docstring), retried on
    a deadlock. Raises CheckoutProblem with the shopper's message when nothing was written;
    the same form sent twice gives back the first order. confirmed: what the checkout page
    showed (confirmation.read()); when given, an order at any other price is never placed."""
    try:
        order = await retrying(lambda: _place_once(conn, user_id, cart_id, address, provider, payment_details,
                                                   idempotency_key, payment_timeout, confirmed))
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
                      payment_timeout, confirmed) -> PlacedOrder:
    # -- (issue 12.7) Under snapshot isolation (MariaDB 11.6.2+'s default) a locking read of a row
    # that changed after this transaction's first plain read fails with 1020. Every buyer in a
    # flash sale waits for the same variant (and voucher) row, so each commit failed all the
    # waiters and 8 retries were not enough (seen: 300 checkouts, 1020 reached the callers).
    # So the hot rows are locked first, before any plain read takes the snapshot: read their ids
    # outside the transaction, lock them, then read the bag (a line added meanwhile is locked
    # below as before; the confirmed record catches any change).
    hot_variants, hot_voucher = await queries.select_hot_rows(conn, cart_id)
    # --
    async with transaction(conn):
        # one checkout at a time per bag: a double-click waits here, then sees the first order
        await queries.select_cart_for_update(conn, cart_id)
        locked_first = await lock_variants(conn, hot_variants)  # in id order, as below (12.7)
        if hot_voucher is not None:
            await queries.lock_voucher(conn, hot_voucher)
        existing = await order_queries.select_order_by_key(conn, user_id, idempotency_key)
        lines = await queries.select_lines_for_order(conn, cart_id)
        if existing is not None:
            if lines:  # the bag was filled again since: this form belongs to the earlier order
                raise CheckoutProblem(f"This checkout page was already used for order {existing['number']}. "
                                      "Please check your bag and place the new order from a fresh checkout page.")
            return PlacedOrder(existing["id"], existing["number"], replayed=True)
        if not lines:
            raise CheckoutProblem("Your bag is empty, so there is nothing to order.")
        # -- the price the shopper confirmed is the price charged; the voucher's discount (issue 12: 2, 6)
        # (a voucher put on the bag after hot_voucher was read is not seen: the confirmed record
        # then differs, so nothing is placed at a price the shopper did not see)
        priced = await vouchers.price_bag(conn, lines, cart_id if hot_voucher is not None else None, user_id)
        if confirmed is not None and (changes := await confirmation.compare(conn, confirmed, lines, priced)):
            raise CheckoutProblem(confirmation.MESSAGE, changes=changes)
        # --
        locked = {**locked_first, **await lock_variants(  # only a line added since hot_variants were read
            conn, [line.variant_id for line in lines if line.variant_id not in locked_first])}
        short = [(line, locked.get(line.variant_id, 0)) for line in lines
                 if locked.get(line.variant_id, 0) < line.quantity]
        if short:
            raise CheckoutProblem("Some items in your bag have sold out or run low since you added them.", short)
        totals = priced.totals
        if (voucher_problem := await vouchers.claim_use(conn, priced, user_id)):  # before any payment (12.6)
            raise CheckoutProblem(voucher_problem)
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
        await vouchers.record_use(conn, priced, user_id, order_id, cart_id)  # (12.6)
        try:
            levels = await move_stock(conn, {line.variant_id: -line.quantity for line in lines}, locked, "order",
                                      order_id=order_id)
        except InsufficientStock:  # cannot happen under the locks above; abort everything if it does
            raise CheckoutProblem("Some items in your bag have just sold out.") from None
        # only the lines ordered, each by its unique key (why: see delete_ordered_lines)
        await queries.delete_ordered_lines(conn, cart_id, [line.variant_id for line in lines])
        log.info("order placed", extra={"order": number, "user": user_id, "total": totals.total_paise,
                                        "lines": len(lines)})
        return PlacedOrder(order_id, number, stock_levels=levels, total_paise=totals.total_paise)
