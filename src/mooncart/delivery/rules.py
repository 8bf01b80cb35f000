"""The delivery rules, pure: a PIN code as typed, the date a parcel arrives, and whether a PIN
is delivered to and may pay cash on delivery for an order of some total. The product page's
"Check delivery" box and checkout both ask these same functions, so they cannot disagree.

The date rule: couriers deliver Monday to Saturday. An order placed today (in India's time,
Asia/Kolkata, whatever the server's clock zone) leaves tomorrow; each of the zone's
delivery_days is a day that is not a Sunday, counted from tomorrow. So with 2 days an order
placed on a Friday arrives on Monday (Saturday is day 1, Sunday is skipped, Monday is day 2),
and one placed on a Sunday arrives on Tuesday. The promised date is never a Sunday. (Public
holidays differ by state and are not counted.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..formatting import inr

INDIA = ZoneInfo("Asia/Kolkata")
SUNDAY = 6  # date.weekday()
PIN_PATTERN = re.compile(r"[1-9][0-9]{5}")
MALFORMED_PIN = "A PIN code has 6 digits and does not start with 0, like 560001."


@dataclass(frozen=True)
class Zone:
    """One row of the serviceability table: the longest prefix that a PIN starts with."""

    pin_prefix: str
    zone: str
    delivery_days: int | None  # None: we do not deliver there
    cod_allowed: bool
    cod_limit_paise: int | None  # None: no limit

    @property
    def delivers(self) -> bool:
        return self.delivery_days is not None


def parse_pin(raw: str | None) -> tuple[str | None, str | None]:
    """(pin, None) for a well-formed PIN (spaces as typed are dropped); (None, message) for a
    malformed one; (None, None) when nothing was typed."""
    typed = re.sub(r"\s", "", raw or "")
    if not typed:
        return None, None
    if len(typed) <= 12 and typed.isascii() and PIN_PATTERN.fullmatch(typed):
        return typed, None
    return None, MALFORMED_PIN


def prefixes(pin: str) -> list[str]:
    """Every prefix a table row may have for this PIN, longest first: '560001' -> '560001' … '5'."""
    return [pin[:n] for n in range(len(pin), 0, -1)]


def longest_match(pin: str, zones: list[Zone]) -> Zone | None:
    """The zone whose prefix is the longest one the PIN starts with; None when none matches."""
    best = None
    for zone in zones:
        if pin.startswith(zone.pin_prefix) and (best is None or len(zone.pin_prefix) > len(best.pin_prefix)):
            best = zone
    return best


def today_in_india(now: datetime | None = None) -> date:
    """Today's date in Asia/Kolkata: at 20:00 UTC it is already tomorrow in India."""
    now = now or datetime.now(INDIA)
    if now.tzinfo is None:
        raise ValueError("a naive datetime has no zone: pass an aware one")
    return now.astimezone(INDIA).date()


def delivery_date(ordered_on: date, delivery_days: int) -> date:
    """The day a parcel ordered on `ordered_on` (an Indian date) arrives: delivery_days days
    that are not Sundays, counted from the next day (the module's docstring has the rule)."""
    day, left = ordered_on, delivery_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() != SUNDAY:
            left -= 1
    return day


def short_date(day: date) -> str:
    """'Tue, 3 Dec': the weekday and the day without a leading zero, on every platform."""
    return f"{day:%a}, {day.day} {day:%b}"


def delivery_refusal(pin: str, zone: Zone | None) -> str | None:
    """Why an order cannot be delivered to this PIN; None when it can."""
    if zone is None or not zone.delivers:
        return f"We don't deliver to {pin} yet."
    return None


def cod_refusal(pin: str, zone: Zone | None, total_paise: int | None) -> str | None:
    """Why cash on delivery is not offered for this PIN and order total (None: it is). A total
    of None asks about the PIN alone (the product page's check before there is an order)."""
    if zone is None or not zone.delivers:
        return f"We don't deliver to {pin} yet."
    if not zone.cod_allowed:
        return f"Cash on delivery is not available for {pin}."
    if zone.cod_limit_paise is not None and total_paise is not None and total_paise > zone.cod_limit_paise:
        return f"Cash on delivery is not available for orders over {inr(zone.cod_limit_paise)}."
    return None


@dataclass(frozen=True)
class Estimate:
    """What the "Check delivery" region says about one PIN for one product."""

    pin: str
    zone: Zone | None
    arrives: date | None
    cod_problem: str | None

    @property
    def delivers(self) -> bool:
        return self.arrives is not None

    @property
    def arrives_text(self) -> str:
        return short_date(self.arrives) if self.arrives else ""


def estimate(pin: str, zone: Zone | None, price_paise: int | None, now: datetime | None = None) -> Estimate:
    """The answer for a PIN: by when, and whether cash on delivery is offered for this price."""
    if zone is None or zone.delivery_days is None:
        return Estimate(pin, zone, None, delivery_refusal(pin, zone))
    arrives = delivery_date(today_in_india(now), zone.delivery_days)
    return Estimate(pin, zone, arrives, cod_refusal(pin, zone, price_paise))
