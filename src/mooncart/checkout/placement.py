"""Placing an order: reserve, then pay, then confirm, never holding a lock while a bank thinks.

1. One short transaction: lock the bag, replay a re-sent form (idempotency key), lock the
   variants in id order, check every line, write the order with price snapshots (cash on
   delivery: 'placed'; card or UPI: 'awaiting_payment'), move the stock with a ledger row per
   line, empty the bag, commit. If any line is short, nothing is written and the shopper is
   told which lines and how many are left. A deadlock or lock wait is retried, never shown.
2. Card or UPI: the gateway is asked outside any transaction (payments/settlement.py), with
   idempotency keys derived from the order number, and a second short transaction confirms
   the order or releases it (stock and bag back). A re-sent form resumes the same order's
   payment instead of starting another, so nothing is ever charged twice."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from pymysql.err import IntegrityError

from ..bag.summary import BagLine
from ..db import retrying, transaction
from ..holds import holding
from ..inventory.stock import InsufficientStock, lock_variants, move_stock
from ..ops import metrics
from ..orders import queries as order_queries
from ..orders.mail import queue_placed_email
from ..payments import queries as payment_queries
from ..payments import settlement
from ..payments.providers import PaymentProvider
from ..payments.settlement import Outcome, collect
from . import confirmation, queries, vouchers

log = logging.getLogger("mooncart.checkout")


class CheckoutProblem(Exception):
    """Nothing was written (or what was written is released); str() is the message,
    short_lines lists (line, units left), changes what differs from the page the shopper
    confirmed (confirmation.Change), stock_levels the stock given back, for live pages."""

    def __init__(
        self,
        message: str,
        short_lines: list[tuple[BagLine, int]] | None = None,
        changes: list | None = None,
        stock_levels: dict | None = None,
    ):
        super().__init__(message)
        self.short_lines = short_lines or []
        self.changes = changes or []
        self.stock_levels = stock_levels


@dataclass(frozen=True)
class PlacedOrder:
    """What the shopper is shown after placing: the order, whether this was a re-sent form
    answered with the earlier order, the new stock levels to tell open pages, and where its
    payment stands (None for cash on delivery)."""

    id: int
    number: str
    replayed: bool = False
    stock_levels: dict | None = None  # variant id -> stock after this order, for live pages
    status: str = "placed"
    total_paise: int = 0
    payment: Outcome | None = None


# Crockford's base 32: no I, L, O or U, so a number read over the phone cannot be misheard as another
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# a second tab's "Place order" after the first placed the bag meets an empty bag: she must be
# able to tell that her order did go through (once), and where to find it
EMPTY_BAG = (
    "Your bag is empty now, so nothing was ordered from this page and you have not been charged. "
    "If you placed this order in another tab or window, it is in your orders."
)


def new_order_number(now: datetime | None = None) -> str:
    """A number to read over the phone, e.g. MC261128-7KQ9-XB2D: the date, then 40 random bits
    in two groups of four. At 1,000 orders a day two share a number once in about 6,000 years
    (n^2/2 / 2^40 a day); and should it happen, the order is written again with another number
    before anything is charged. A guessed number finds nothing: orders are looked up with their owner."""
    now = now or datetime.now(UTC)
    code = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return "MC" + now.strftime("%y%m%d") + "-" + code[:4] + "-" + code[4:]


async def place_order(
    conn,
    *,
    user_id: int,
    cart_id: int,
    address: dict,
    provider: PaymentProvider,
    payment_details: dict,
    idempotency_key: str,
    payment_timeout: float = 15.0,
    return_url: Callable[[str], str] | None = None,
    confirmed: dict | None = None,
) -> PlacedOrder:
    """Reserve the bag as an order, then take the payment (see the module's docstring). Raises
    CheckoutProblem with the shopper's message when no order stands; the same form sent twice
    gives back the first order (and finishes its payment if that was cut short). confirmed:
    what the checkout page showed (confirmation.read()); when given, an order at any other
    price is never placed."""
    placed = await reserve(
        conn,
        user_id=user_id,
        cart_id=cart_id,
        address=address,
        provider=provider,
        idempotency_key=idempotency_key,
        confirmed=confirmed,
    )
    if placed.status != "awaiting_payment":
        return placed
    outcome = await collect(
        conn,
        provider,
        placed.id,
        payment_details,
        return_url=return_url(placed.number) if return_url else "",
        timeout=payment_timeout,
    )
    if outcome.state == "failed":
        raise CheckoutProblem(
            outcome.message or "The payment did not go through; you have not been charged.",
            stock_levels=outcome.stock_levels,
        )
    return replace(placed, payment=outcome, status="placed" if outcome.state == "paid" else placed.status)


async def reserve(
    conn,
    *,
    user_id: int,
    cart_id: int,
    address: dict,
    provider: PaymentProvider,
    idempotency_key: str,
    confirmed: dict | None = None,
) -> PlacedOrder:
    """Step 1, retried on a deadlock; a clash of order numbers (see new_order_number) is written
    again with a new one. An order placed outright (cash on delivery) is counted once it has
    committed; one awaiting payment is counted when its payment is confirmed (settlement.confirm)."""
    for attempt in range(3):
        try:
            placed = await retrying(
                lambda: _reserve_once(conn, user_id, cart_id, address, provider, idempotency_key, confirmed)
            )
        except IntegrityError as error:
            # the same form placed a moment ago on another connection: answer with that order
            existing = await order_queries.select_order_by_key(conn, user_id, idempotency_key)
            if existing is not None:
                return PlacedOrder(existing["id"], existing["number"], replayed=True, status=existing["status"])
            if "uq_orders_number" not in str(error) or attempt == 2:
                raise
            log.warning("order number taken, drawing another", extra={"user": user_id})
            continue
        if not placed.replayed and placed.status == "placed":  # committed: _reserve_once's transaction has closed
            metrics.order_placed(provider.code, placed.total_paise)
        return placed
    raise AssertionError("unreachable")


async def _reserve_once(conn, user_id, cart_id, address, provider, idempotency_key, confirmed) -> PlacedOrder:
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
        lines = await queries.select_lines_for_order(conn, cart_id, user_id)
        if existing is not None:
            if lines:  # the bag was filled again since: this form belongs to the earlier order
                raise CheckoutProblem(
                    f"This checkout page was already used for order {existing['number']}. "
                    "Please check your bag and place the new order from a fresh checkout page."
                )
            return PlacedOrder(existing["id"], existing["number"], replayed=True, status=existing["status"])
        if not lines:  # ordered from another tab, emptied there, or its products deleted by staff
            gone = (
                await confirmation.compare(conn, confirmed, [], await vouchers.price_bag(conn, [], None, user_id))
                if confirmed is not None and confirmed["l"]
                else []
            )
            raise CheckoutProblem(EMPTY_BAG, changes=gone)
        # -- the price the shopper confirmed is the price charged; the voucher's discount (issue 12: 2, 6)
        # (a voucher put on the bag after hot_voucher was read is not seen: the confirmed record
        # then differs, so nothing is placed at a price the shopper did not see)
        priced = await vouchers.price_bag(conn, lines, cart_id if hot_voucher is not None else None, user_id)
        if confirmed is not None and (changes := await confirmation.compare(conn, confirmed, lines, priced)):
            raise CheckoutProblem(confirmation.MESSAGE, changes=changes)
        # --
        locked = {
            **locked_first,
            **await lock_variants(  # only a line added since hot_variants were read
                conn, [line.variant_id for line in lines if line.variant_id not in locked_first]
            ),
        }
        # what others' live holds keep is not hers to buy; her own hold is (issue 14). Read with the
        # lines, after the hot variants' locks: every hold that adds units is written under those
        # locks (holds/holding.py). A line added since hot_variants were read changes the
        # confirmed record, so nothing is placed on its older reading.
        others = {line.variant_id: int(line.others_held) for line in lines}
        free = {variant_id: max(0, stock - others.get(variant_id, 0)) for variant_id, stock in locked.items()}
        short = [(line, free.get(line.variant_id, 0)) for line in lines if free.get(line.variant_id, 0) < line.quantity]
        if short:
            raise CheckoutProblem(
                "Some items in your bag have sold out or run low since you added them "
                "(a hold that ended lets other shoppers have them): "
                + "; ".join(
                    f"{line.product_name} ({line.colour}, {line.size}): "
                    + (f"only {left} left" if left else "sold out")
                    for line, left in short
                )
                + ".",
                short,
            )
        totals = priced.totals
        if voucher_problem := await vouchers.claim_use(conn, priced, user_id):  # before any payment (12.6)
            raise CheckoutProblem(voucher_problem)
        number = new_order_number()
        status = "placed" if provider.collects_later else "awaiting_payment"
        order_id = await order_queries.insert_order(
            conn,
            number=number,
            user_id=user_id,
            idempotency_key=idempotency_key,
            payment_method=provider.code,
            payment_status="pending",
            payment_reference="COD" if provider.collects_later else "",
            address=address,
            totals=totals,
            status=status,
        )
        if not provider.collects_later:
            await payment_queries.insert_payment(conn, order_id, provider.code, totals.total_paise)
        await order_queries.insert_order_items(conn, order_id, lines)
        await vouchers.record_use(conn, priced, user_id, order_id, cart_id)  # (12.6)
        try:
            levels = await move_stock(
                conn, {line.variant_id: -line.quantity for line in lines}, locked, "order", order_id=order_id
            )
        except InsufficientStock:  # cannot happen under the locks above; abort everything if it does
            raise CheckoutProblem("Some items in your bag have just sold out.") from None
        await holding.convert(conn, user_id, [line.variant_id for line in lines])  # her hold is now the sale
        # only the lines ordered, each by its unique key (why: see delete_ordered_lines)
        await queries.delete_ordered_lines(conn, cart_id, [line.variant_id for line in lines])
        if status == "placed":  # the e-mail, in this transaction; a card order's is queued when it is paid
            await queue_placed_email(conn, user_id, number, lines, totals, address)
        log.info(
            "order reserved" if status == "awaiting_payment" else "order placed",
            extra={"order": number, "user": user_id, "total": totals.total_paise, "lines": len(lines)},
        )
        return PlacedOrder(order_id, number, stock_levels=levels, status=status, total_paise=totals.total_paise)


@settlement.on_release(rank=2)
async def give_back_voucher_use(conn, order: dict) -> None:
    """The voucher's use an unpaid order counted is given back (issue 12, item 6)."""
    await vouchers.release_use(conn, order["id"])


@settlement.on_release(rank=3)
async def put_lines_back_in_the_bag(conn, order: dict) -> None:
    """The shopper finds her lines back in the bag, to try paying again."""
    await queries.restore_lines(conn, order["user_id"], order["id"])
