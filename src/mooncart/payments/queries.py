"""Payments' SQL: an order's gateway payment, its refunds, and the webhook events already handled.
The order row itself is changed by orders/queries.py."""

from __future__ import annotations

from ..db import execute, fetch_all, fetch_one, fetch_val

PAYMENT_COLUMNS = (
    "p.id, p.order_id, p.provider, p.amount_paise, p.status, p.gateway_order_id, "
    "p.gateway_payment_id, p.failure, p.created_at"
)


async def insert_payment(conn, order_id: int, provider: str, amount_paise: int) -> int:
    """The order's payment, before the gateway has been asked anything."""
    _, payment_id = await execute(
        conn,
        "INSERT INTO payments (order_id, provider, amount_paise) VALUES (%s, %s, %s)",
        (order_id, provider, amount_paise),
    )
    return payment_id


async def select_payment(conn, order_id: int, *, for_update: bool = False) -> dict | None:
    """The order's payment (locked until the transaction ends with for_update)."""
    return await fetch_one(
        conn,
        "SELECT "
        + PAYMENT_COLUMNS
        + " FROM payments p WHERE p.order_id = %s"  # nosec B608 # fixed text
        + (" FOR UPDATE" if for_update else ""),
        (order_id,),
    )


async def select_payment_by_gateway_order(conn, gateway_order_id: str) -> dict | None:
    """The payment a webhook or a return speaks of, by the gateway's order id."""
    return await fetch_one(
        conn,
        "SELECT " + PAYMENT_COLUMNS + " FROM payments p WHERE p.gateway_order_id = %s",  # nosec B608 # fixed text
        (gateway_order_id,),
    )


async def update_gateway_order(conn, payment_id: int, gateway_order_id: str) -> None:
    """Remember the gateway's order as soon as it exists: a retry then reuses it."""
    await execute(
        conn,
        "UPDATE payments SET gateway_order_id = %s WHERE id = %s AND gateway_order_id IS NULL",
        (gateway_order_id, payment_id),
    )


async def update_payment(
    conn, payment_id: int, status: str, gateway_payment_id: str | None = None, failure: str = ""
) -> None:
    """Move the payment on (the caller holds the order's row lock)."""
    await execute(
        conn,
        "UPDATE payments SET status = %s, gateway_payment_id = COALESCE(%s, gateway_payment_id), "
        "failure = %s WHERE id = %s",
        (status, gateway_payment_id or None, failure[:200], payment_id),
    )


async def select_unsettled(conn, older_than_seconds: int, limit: int = 500) -> list[dict]:
    """Orders still awaiting their payment after this long (reconcile-payments settles them),
    oldest first."""
    return await fetch_all(
        conn,
        "SELECT p.order_id FROM payments p JOIN orders o ON o.id = p.order_id "
        "WHERE p.status IN ('created', 'authorised', 'capturing') AND o.status = 'awaiting_payment' "
        "AND p.created_at < NOW(6) - INTERVAL %s SECOND ORDER BY p.created_at LIMIT %s",
        (older_than_seconds, limit),
    )


async def insert_event(conn, event_id: str, event: str) -> bool:
    """Record a webhook's event id; False when it was handled before (a duplicate delivery)."""
    affected, _ = await execute(
        conn, "INSERT IGNORE INTO payment_events (event_id, event) VALUES (%s, %s)", (event_id[:64], event[:40])
    )
    return affected == 1


async def delete_event(conn, event_id: str) -> None:
    """Forget an event whose handling failed, so the gateway's next delivery is handled."""
    await execute(conn, "DELETE FROM payment_events WHERE event_id = %s", (event_id[:64],))


async def insert_refund(conn, order_id: int, reason_key: str, amount_paise: int) -> bool:
    """A refund to send (once per reason: 'cancel', 'return-<id>', ...); False when it exists."""
    affected, _ = await execute(
        conn,
        "INSERT IGNORE INTO refunds (order_id, reason_key, amount_paise) VALUES (%s, %s, %s)",
        (order_id, reason_key, amount_paise),
    )
    return affected == 1


async def select_refunds(conn, order_id: int) -> list[dict]:
    """The order's refunds, oldest first, for the order pages and for sending."""
    return await fetch_all(
        conn,
        "SELECT id, order_id, reason_key, amount_paise, status, gateway_refund_id, created_at "
        "FROM refunds WHERE order_id = %s ORDER BY id",
        (order_id,),
    )


async def select_refunded_total(conn, order_id: int) -> int:
    """Money already promised back (every refund that has not failed), in paise."""
    return int(
        await fetch_val(
            conn,
            "SELECT COALESCE(SUM(amount_paise), 0) FROM refunds WHERE order_id = %s AND status <> 'failed'",
            (order_id,),
        )
    )


async def update_refund(conn, refund_id: int, status: str, gateway_refund_id: str | None = None) -> None:
    """What the gateway said; a processed refund never goes back to requested."""
    await execute(
        conn,
        "UPDATE refunds SET status = IF(status = 'processed', status, %s), "
        "gateway_refund_id = COALESCE(gateway_refund_id, %s) WHERE id = %s",
        (status, gateway_refund_id or None, refund_id),
    )


async def select_refund_by_gateway_id(conn, gateway_refund_id: str) -> dict | None:
    """Our refund for a gateway refund id (from a webhook), or None."""
    return await fetch_one(
        conn, "SELECT id, order_id, status FROM refunds WHERE gateway_refund_id = %s", (gateway_refund_id,)
    )


async def select_open_refund_orders(conn, limit: int = 500) -> list[int]:
    """Orders with a refund the gateway has not yet confirmed (reconcile-payments asks again)."""
    rows = await fetch_all(
        conn, "SELECT DISTINCT order_id FROM refunds WHERE status = 'requested' ORDER BY order_id LIMIT %s", (limit,)
    )
    return [row["order_id"] for row in rows]


# ---- the order row's payment state (read and moved by settlement and refunds; orders reads it too) ----


async def select_order_for_update(conn, order_id: int) -> dict | None:
    """What settling a payment or a refund needs to know, with the order's row locked (always
    the first lock these transactions take, so they queue instead of deadlocking)."""
    return await fetch_one(
        conn,
        "SELECT id, number, user_id, status, payment_method, payment_status, "
        "subtotal_paise + shipping_paise AS total_paise FROM orders WHERE id = %s FOR UPDATE",
        (order_id,),
    )


async def select_order_brief(conn, order_id: int) -> dict | None:
    """The same, without a lock, for deciding what to ask the gateway."""
    return await fetch_one(
        conn,
        "SELECT id, number, user_id, status, payment_method, payment_status, "
        "subtotal_paise + shipping_paise AS total_paise FROM orders WHERE id = %s",
        (order_id,),
    )


async def order_brief(conn, order_id: int) -> dict:
    """select_order_brief for an order the caller knows exists (settling, refunding): a missing
    row is a LookupError that names it, never a None indexed further on."""
    order = await select_order_brief(conn, order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    return order


async def order_for_update(conn, order_id: int) -> dict:
    """select_order_for_update for an order the caller knows exists; LookupError when it does not."""
    order = await select_order_for_update(conn, order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    return order


async def payment_of(conn, order_id: int, *, for_update: bool = False) -> dict:
    """select_payment for an order that was paid for online (every one has its payment row from
    the moment it is reserved); LookupError when there is none."""
    payment = await select_payment(conn, order_id, for_update=for_update)
    if payment is None:
        raise LookupError(f"order {order_id} has no payment")
    return payment


async def update_order_paid(conn, order_id: int, reference: str) -> None:
    """The gateway captured the money: the order is placed for the warehouse."""
    await execute(
        conn,
        "UPDATE orders SET status = 'placed', payment_status = 'paid', payment_reference = %s "
        "WHERE id = %s AND status = 'awaiting_payment'",
        (reference[:64], order_id),
    )


async def update_order_released(conn, order_id: int) -> None:
    """The payment failed: the order is cancelled and its checkout key freed, so the same
    checkout page may try again (with another card, say)."""
    await execute(
        conn,
        "UPDATE orders SET status = 'cancelled', payment_status = 'failed', idempotency_key = NULL "
        "WHERE id = %s AND status = 'awaiting_payment'",
        (order_id,),
    )


async def update_payment_status_from_refunds(conn, order_id: int) -> None:
    """A paid order whose processed refunds cover its total is refunded; partly, partly_refunded."""
    await execute(
        conn,
        "UPDATE orders o JOIN (SELECT COALESCE(SUM(amount_paise), 0) AS back FROM refunds "
        "WHERE order_id = %s AND status = 'processed') r "
        "SET o.payment_status = IF(r.back >= o.subtotal_paise + o.shipping_paise, 'refunded', "
        "IF(r.back > 0, 'partly_refunded', o.payment_status)) "
        "WHERE o.id = %s AND o.payment_status IN ('paid', 'partly_refunded')",
        (order_id, order_id),
    )
