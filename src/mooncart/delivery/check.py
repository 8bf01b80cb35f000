"""The "Check delivery" box: the PIN a shopper checked is remembered in her session (the signed
Quart session cookie that already carries the CSRF token, so no new cookie) and shown again on
every product page she opens. The product page region and the htmx answer both come from
delivery_check(), so they cannot drift apart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quart import session

from . import queries
from .rules import cod_refusal, delivery_refusal, estimate, parse_pin

SESSION_KEY = "delivery_pin"
EMPTY_PIN = "Enter your 6-digit PIN code, like 560001."


def remembered_pin() -> str | None:
    """The PIN this session last checked (well-formed, or nothing: the cookie is signed, but an
    old value is checked again all the same)."""
    pin, _ = parse_pin(session.get(SESSION_KEY) if isinstance(session.get(SESSION_KEY), str) else None)
    return pin


async def delivery_check(conn, product: dict, typed: str | None, now: datetime | None = None) -> dict[str, Any]:
    """The region's context for a product: `typed` is the ?pin= the form sent (None when the
    page was opened without one: then the remembered PIN, if any). One statement when there is
    a PIN to look up, none otherwise."""
    error = None
    if typed is None:
        pin = remembered_pin()
    else:
        pin, error = parse_pin(typed)
        if pin is None and error is None:
            error = EMPTY_PIN
    answer = None
    if pin is not None:
        if session.get(SESSION_KEY) != pin:  # unchanged: no new session cookie on every page
            session[SESSION_KEY] = pin
        answer = estimate(pin, await queries.select_zone(conn, pin), product["from_price_paise"], now)
    return {
        "delivery_pin_value": typed if error else (pin or ""),
        "delivery_error": error,
        "delivery": answer,
    }


async def order_refusal(conn, pin: str, cash_on_delivery: bool, total_paise: int) -> str | None:
    """Why checkout must refuse an order to this PIN (not delivered there; or cash on delivery
    chosen where it is not offered, or above the zone's limit); None when it may go ahead. The
    same rules as the product page's check, in one statement."""
    zone = await queries.select_zone(conn, pin)
    refusal = delivery_refusal(pin, zone)
    if refusal is None and cash_on_delivery:
        refusal = cod_refusal(pin, zone, total_paise)
        if refusal is not None:
            refusal += " Please choose another way to pay."
    return refusal


async def cod_note(conn, raw_pin: str | None, total_paise: int) -> str | None:
    """Why the checkout's "Cash on delivery" choice is not available for the chosen address's
    PIN and this total; None when it is, or when there is no well-formed PIN yet."""
    pin, _ = parse_pin(raw_pin)
    if pin is None:
        return None
    return cod_refusal(pin, await queries.select_zone(conn, pin), total_paise)
