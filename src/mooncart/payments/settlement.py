"""Taking the money for an order whose stock is already reserved (status 'awaiting_payment').

Every provider call happens outside any database transaction, with an idempotency key derived
from the order number, so a retry (of a call, of the shopper's form, of a webhook, of
reconcile-payments) can never take the money twice. Between the calls, short transactions
that each lock the order's row first:

  claim    order still awaiting -> payment 'capturing' (only now may the capture be sent)
  confirm  captured             -> order 'placed', payment 'paid'
  release  failed / never paid  -> order 'cancelled', payment 'failed', stock back, bag back

A release is refused while a capture is claimed, so a slow capture and a reconcile (or a
"Fail" on the gateway's page) can never both win: whoever holds the claim finishes, and
anything that cannot tell asks the gateway (look_up) instead of guessing.

A card order calls the gateway 3 times (create order, authorise, capture); a UPI order twice
(create order; capture after the verified return). Stock rows are locked only inside the
reservation transaction that writes the order, never while the gateway thinks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..db import retrying, transaction
from ..ops import metrics
from . import queries
from .gateway import GatewayRefused, GatewayUnavailable
from .providers import Charge, PaymentProvider, redirecting
from .refunds import request_refund, send_refunds

# What happens when a card or UPI payment places its order, registered by the areas that care
# (orders/mail.py queues the confirmation e-mail): orders import payments, not the reverse.
_when_paid: list[Callable[[Any, int], Awaitable[None]]] = []


def when_paid(hook: Callable[[Any, int], Awaitable[None]]) -> Callable[[Any, int], Awaitable[None]]:
    """Register `async hook(conn, order_id)`, run inside the transaction that marks an order paid."""
    if hook not in _when_paid:
        _when_paid.append(hook)
    return hook


log = logging.getLogger("mooncart.payments")

# What a released order gives back besides its payment, registered by the areas that own it
# (orders: the stock; checkout: the voucher's use and the bag's lines), so that payments, below
# them, imports neither. Each step runs inside the release's transaction, in `rank` order (the
# stock's row locks first, as placing an order takes them); a step may return new stock levels.
ReleaseStep = Callable[[Any, dict], Awaitable[dict[int, int] | None]]
_release_steps: list[tuple[int, ReleaseStep]] = []


def on_release(rank: int) -> Callable[[ReleaseStep], ReleaseStep]:
    """Register `step(conn, order)` to run when an unpaid order is released."""

    def register(step: ReleaseStep) -> ReleaseStep:
        """Add the step to those run when an order is released, in rank order."""
        _release_steps.append((rank, step))
        _release_steps.sort(key=lambda ranked: ranked[0])
        return step

    return register


async def give_back(conn, order: dict) -> dict[int, int]:
    """Every registered release step; the stock levels they report."""
    if not _release_steps:  # releasing without giving the stock back would lose it: never silently
        raise RuntimeError("no release steps registered: import mooncart.orders and mooncart.checkout first")
    levels: dict[int, int] = {}
    for _, step in _release_steps:
        levels.update(await step(conn, order) or {})
    return levels


PENDING_MESSAGE = (
    "We are waiting for your bank to confirm the payment. Your items are kept for you; this page "
    "shows the result as soon as the bank answers, and if no money is taken the order is "
    "cancelled by itself."
)


@dataclass(frozen=True)
class Outcome:
    """Where the order's payment stands: 'paid', 'failed' (released), 'pending' (ask again
    later) or 'redirect' (the shopper pays on the gateway's page at redirect_url)."""

    state: str
    message: str = ""
    redirect_url: str = ""
    stock_levels: dict | None = None


def key(order_number: str, step: str) -> str:
    """The idempotency key of one step of one order's payment."""
    return f"{order_number}-{step}"


async def collect(
    conn, provider: PaymentProvider, order_id: int, details: dict | None, *, return_url: str = "", timeout: float = 15.0
) -> Outcome:
    """Ask for the money of a reserved order: make (or reuse) the gateway order, then either
    send the shopper to the gateway's page (UPI) or authorise the card and capture. Safe to
    call again for the same order (a re-sent form): every step reuses the first one's result."""
    order = await queries.order_brief(conn, order_id)
    if order["status"] != "awaiting_payment":
        return outcome_of(order)
    payment = await queries.payment_of(conn, order_id)
    gateway_order_id = payment["gateway_order_id"]
    if gateway_order_id is None:
        try:
            gateway_order_id = await asyncio.wait_for(
                provider.create(order["number"], payment["amount_paise"]), timeout
            )
        except (TimeoutError, GatewayUnavailable, GatewayRefused) as error:
            # no payment can exist without a gateway order, so "not charged" is true here
            log.warning("gateway order not created", extra={"order": order["number"], "error": str(error)})
            return await release(
                conn,
                order_id,
                "We could not reach the payment gateway, so your order was not "
                "placed and you have not been charged. Please try again.",
            )
        await queries.update_gateway_order(conn, payment["id"], gateway_order_id)
    if redirecting(provider):
        return Outcome("redirect", redirect_url=provider.checkout_url(gateway_order_id, return_url))
    if details is None:  # a card order resumed without the card (webhook, reconcile): look it up
        return await settle(conn, provider, order_id)
    try:
        charge = await asyncio.wait_for(
            provider.authorise(gateway_order_id, payment["amount_paise"], details, key(order["number"], "authorise")),
            timeout,
        )
    except TimeoutError:
        charge = Charge("unknown")
    return await finish(conn, provider, order_id, charge, timeout=timeout)


async def settle(
    conn,
    provider: PaymentProvider,
    order_id: int,
    *,
    hint: Charge | None = None,
    release_unpaid: bool = False,
    timeout: float = 15.0,
) -> Outcome:
    """Bring a reserved order in line with what the gateway knows (a return, a webhook,
    reconcile-payments, the shopper's "check again"). A signed, verified hint (authorised or
    captured) is used as it is; anything else is looked up. release_unpaid: nothing paid means
    the order is given up (the shopper came back with a failure, or the hold ran out)."""
    order = await queries.order_brief(conn, order_id)
    payment = await queries.select_payment(conn, order_id)
    if payment is None:
        return outcome_of(order)
    if order["status"] != "awaiting_payment" and payment["status"] in ("captured", "failed"):
        return outcome_of(order)  # settled before: nothing to ask
    charge = hint
    if charge is None or charge.state not in ("authorised", "captured"):
        if payment["gateway_order_id"] is None:
            charge = Charge("none")
        else:
            try:
                charge = await asyncio.wait_for(provider.look_up(payment["gateway_order_id"]), timeout)
            except TimeoutError:
                charge = Charge("unknown")
    if charge.state in ("none", "failed"):
        # a failed attempt is not the end of a UPI order: she may try again on the gateway's page
        if release_unpaid:
            return await release(
                conn, order_id, charge.message or "The payment did not go through.", even_if_capturing=True
            )
        return Outcome("pending", PENDING_MESSAGE)
    return await finish(conn, provider, order_id, charge, take_over=release_unpaid, timeout=timeout)


async def finish(
    conn, provider: PaymentProvider, order_id: int, charge: Charge, *, take_over: bool = False, timeout: float = 15.0
) -> Outcome:
    """Authorised: claim, capture, confirm. Captured: confirm. Failed: release. Else: pending.
    A capture that does not plainly succeed (a timeout, "already captured", a 5xx), or one that
    another request is already sending (a webhook racing the shopper's return), is followed by
    one look-up instead, which says what really happened to the money: a capture is sent once
    per order (again only by take_over, reconcile's, with the same idempotency key)."""
    if charge.state == "authorised":
        claimed = await retrying(lambda: claim(conn, order_id, charge.payment_id, take_over))
        if claimed is None:  # released meanwhile: this authorisation is never captured (it lapses)
            return outcome_of(await queries.order_brief(conn, order_id))
        if claimed["in_flight"]:
            settled = await wait_for_settlement(conn, order_id, timeout)
            if settled is not None:
                return settled
            charge = Charge("unknown")
        else:
            try:
                charge = await asyncio.wait_for(
                    provider.capture(charge.payment_id, claimed["amount_paise"], key(claimed["number"], "capture")),
                    timeout,
                )
            except TimeoutError:
                charge = Charge("unknown", charge.payment_id)
        if charge.state != "captured" and claimed["gateway_order_id"]:
            try:
                charge = await asyncio.wait_for(provider.look_up(claimed["gateway_order_id"]), timeout)
            except TimeoutError:
                charge = Charge("unknown")
            if charge.state == "authorised":  # the capture has not taken (yet); reconcile finishes it
                charge = Charge("unknown")
    if charge.state == "captured":
        return await confirm(conn, provider, order_id, charge.payment_id)
    if charge.state == "failed":
        return await release(
            conn, order_id, charge.message or "The payment did not go through.", even_if_capturing=True
        )
    return Outcome("pending", PENDING_MESSAGE)


async def wait_for_settlement(conn, order_id: int, timeout: float) -> Outcome | None:
    """Another request is capturing this order's payment (the gateway's webhook and the
    shopper's return arrive together): wait for it to confirm, reading the order row (no
    gateway call, no lock), rather than telling the shopper "still waiting" a moment too soon.
    None if it has not settled within the timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        order = await queries.order_brief(conn, order_id)
        if order["status"] != "awaiting_payment":
            return outcome_of(order)
        await asyncio.sleep(0.05)
    return None


async def claim(conn, order_id: int, payment_id: str, take_over: bool = False) -> dict | None:
    """Mark the payment 'capturing' while the order still awaits it; None when it does not.
    in_flight: another request holds the claim (only take_over captures again)."""
    async with transaction(conn):
        order = await queries.order_for_update(conn, order_id)
        payment = await queries.payment_of(conn, order_id, for_update=True)
        if order["status"] != "awaiting_payment" or payment["status"] not in ("created", "authorised", "capturing"):
            return None
        in_flight = payment["status"] == "capturing" and not take_over
        if not in_flight:
            await queries.update_payment(conn, payment["id"], "capturing", payment_id)
        return {
            "number": order["number"],
            "amount_paise": payment["amount_paise"],
            "gateway_order_id": payment["gateway_order_id"],
            "in_flight": in_flight,
        }


async def confirm(conn, provider, order_id: int, payment_id: str) -> Outcome:
    """The money is captured: the order is placed (once, however many confirm it). Money
    captured for an order released meanwhile is refunded in full, never kept."""

    async def once():
        """One try of confirming in its own transaction (retried on a deadlock)."""
        async with transaction(conn):
            order = await queries.order_for_update(conn, order_id)
            payment = await queries.payment_of(conn, order_id, for_update=True)
            if order["status"] == "awaiting_payment":
                await queries.update_payment(conn, payment["id"], "captured", payment_id)
                await queries.update_order_paid(conn, order_id, payment_id)
                for tell in _when_paid:  # the order's e-mail (orders/mail.py), in the transaction that places it
                    await tell(conn, order_id)
                return "placed", payment["amount_paise"]
            if payment["status"] == "captured":
                return "paid"
            await queries.update_payment(conn, payment["id"], "captured", payment_id)
            await request_refund(conn, order_id, "late-capture", payment["amount_paise"])
            return "refund"

    result = await retrying(once)
    if isinstance(result, tuple):  # this call moved the order to placed, and its transaction has committed
        metrics.order_placed(provider.code, result[1])
    elif result == "refund":
        log.warning("captured after release: refunding", extra={"order_id": order_id})
        await send_refunds(conn, {provider.code: provider}, order_id)
        return outcome_of(await queries.order_brief(conn, order_id))
    log.info("payment captured", extra={"order_id": order_id, "payment": payment_id})
    return Outcome("paid")


async def release(conn, order_id: int, message: str, *, even_if_capturing: bool = False) -> Outcome:
    """Give up an order whose payment failed: cancelled, its stock back (ledger 'release') and
    its lines back in the shopper's bag. Refused while a capture is claimed, unless the caller
    knows from the gateway that nothing was taken."""

    async def once():
        """One try of releasing in its own transaction (retried on a deadlock)."""
        async with transaction(conn):
            order = await queries.order_for_update(conn, order_id)
            if order["status"] != "awaiting_payment":
                return None
            payment = await queries.payment_of(conn, order_id, for_update=True)
            if payment["status"] == "capturing" and not even_if_capturing:
                return "pending"
            await queries.update_payment(conn, payment["id"], "failed", failure=message)
            await queries.update_order_released(conn, order_id)
            return await give_back(conn, order)

    levels = await retrying(once)
    if levels == "pending":
        return Outcome("pending", PENDING_MESSAGE)
    if levels is None:
        return outcome_of(await queries.order_brief(conn, order_id))
    log.info("payment failed: order released", extra={"order_id": order_id})
    return Outcome("failed", message, stock_levels=levels)


def outcome_of(order: dict) -> Outcome:
    """The outcome an order's row already shows."""
    if order["status"] == "awaiting_payment":
        return Outcome("pending", PENDING_MESSAGE)
    if order["status"] == "cancelled" and order["payment_status"] == "failed":
        return Outcome("failed", "The payment did not go through, so this order was cancelled.")
    return Outcome("paid" if order["payment_status"] != "pending" else "placed")


async def reconcile(conn, providers: dict, *, hold_seconds: int, timeout: float = 15.0) -> dict:
    """Settle every order still awaiting payment after hold_seconds (captured: placed; nothing
    paid: released), and ask again about refunds not yet processed. Returns counts."""
    counts = {"paid": 0, "failed": 0, "pending": 0, "placed": 0, "refunds": 0}
    for row in await queries.select_unsettled(conn, hold_seconds):
        payment = await queries.payment_of(conn, row["order_id"])
        provider = providers.get(payment["provider"])
        if provider is None:
            counts["pending"] += 1
            continue
        outcome = await settle(conn, provider, row["order_id"], release_unpaid=True, timeout=timeout)
        counts[outcome.state] = counts.get(outcome.state, 0) + 1
    for order_id in await queries.select_open_refund_orders(conn):
        counts["refunds"] += await send_refunds(conn, providers, order_id)
    return counts
