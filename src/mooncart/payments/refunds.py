"""Refunds through the provider. A refund is first written as a row ('requested') in the same
transaction that cancels the order or receives the return, so it can never be forgotten; it is
sent to the gateway after that transaction commits, with an idempotency key made of the order
number and the refund's reason, so sending it again (reconcile-payments, a retry) refunds once.

Cash on delivery has no gateway payment to refund: its refund rows stay 'requested' for the
shop's team to pay by bank transfer, and the shopper is told so."""

from __future__ import annotations

import logging

from . import queries

log = logging.getLogger("mooncart.payments")


async def request_refund(conn, order_id: int, reason_key: str, amount_paise: int) -> bool:
    """Write a refund to send (inside the caller's transaction); False when this reason was
    already refunded or there is nothing to give back."""
    if amount_paise <= 0:
        return False
    return await queries.insert_refund(conn, order_id, reason_key, amount_paise)


async def refund_remaining(conn, order_id: int, total_paise: int, reason_key: str) -> bool:
    """Refund whatever of the order's total has not been refunded yet (a cancel, or a whole
    return after a partial one), inside the caller's transaction."""
    remaining = total_paise - await queries.select_refunded_total(conn, order_id)
    return await request_refund(conn, order_id, reason_key, remaining)


async def send_refunds(conn, providers: dict, order_id: int) -> int:
    """Send the order's requested refunds to its provider (outside any transaction), or ask
    where the ones already sent have got to; then the order's payment status follows the
    processed ones. Returns how many refunds changed."""
    order = await queries.select_order_brief(conn, order_id)
    payment = await queries.select_payment(conn, order_id)
    if order is None or payment is None:
        return 0
    provider = providers.get(payment["provider"])
    if provider is None or payment["status"] != "captured" or not payment["gateway_payment_id"]:
        return 0
    changed = 0
    for refund in await queries.select_refunds(conn, order_id):
        if refund["status"] != "requested":
            continue
        if refund["gateway_refund_id"]:
            result = await provider.refund_status(refund["gateway_refund_id"])
        else:
            result = await provider.refund(
                payment["gateway_payment_id"],
                refund["amount_paise"],
                f"{order['number']}-refund-{refund['reason_key']}",
            )
        if result.state == "unknown":
            continue  # asked again by reconcile-payments; the same key refunds once
        if result.state != refund["status"] or result.refund_id != (refund["gateway_refund_id"] or ""):
            await queries.update_refund(conn, refund["id"], result.state, result.refund_id)
            changed += 1
        log.info(
            "refund sent", extra={"order": order["number"], "amount": refund["amount_paise"], "state": result.state}
        )
    await queries.update_payment_status_from_refunds(conn, order_id)
    return changed
