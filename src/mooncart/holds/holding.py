"""Timed holds (issue 14). Opening checkout holds the bag's units for HOLD_MINUTES: held units
count as taken for everyone else (stock badges, add to bag, other checkouts) and come back by
themselves when the hold ends, because a hold past its time counts in no query (see
inventory/queries.py); a background task only tidies the rows away (waitlist.py).

Holds never exceed stock under any interleaving: every hold that adds units is written inside a
transaction that first locks the variant rows (in id order, as every stock change does, so no
two checkouts deadlock) and then checks stock - others' live holds >= wanted. Because the lock
comes before the transaction's first plain read, that read's snapshot already contains every
hold committed by whoever held the lock before. Giving units back (leaving, expiry) needs no
lock: it can only make more free. Placing the order turns the hold into the sale in the same
transaction (checkout/placement.py calls held_by_others() and convert())."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..db import retrying, transaction
from ..inventory.stock import lock_variants
from . import queries

try:
    SHOP_TIME = ZoneInfo("Asia/Kolkata")
except ZoneInfoNotFoundError:  # a system without tzdata: India keeps no daylight saving
    SHOP_TIME = timezone(timedelta(hours=5, minutes=30), "IST")  # type: ignore[assignment]


@dataclass(frozen=True)
class BagHold:
    """What opening checkout held: {variant id: units held}, the lines it could not hold in full
    ({variant id: units left for her}), the variants it looked at, and when the hold ends (UTC)."""

    held: dict[int, int] = field(default_factory=dict)
    short: dict[int, int] = field(default_factory=dict)
    changed: set[int] = field(default_factory=set)
    until: datetime | None = None


async def hold_bag(conn, user_id: int, wanted: dict[int, int], minutes: float) -> BagHold:
    """Hold {variant id: units} of her bag for `minutes`, or renew the hold she has (her own
    hold never counts against her). A line that cannot be held in full holds what is left and is
    named in `short`. One short transaction of four statements (lock, others' holds with the
    database's clock, upsert, let go of lines gone from the bag), retried on a deadlock."""
    wanted = {variant_id: quantity for variant_id, quantity in wanted.items() if quantity > 0}

    async def once() -> BagHold:
        """One try, in its own transaction."""
        async with transaction(conn):
            # the locks first: this transaction's snapshot (its first plain read) comes after them
            locked = await lock_variants(conn, wanted)
            if not locked:
                await queries.delete_checkout_holds_except(conn, user_id, [])
                return BagHold(short={variant_id: 0 for variant_id in wanted}, changed=set(wanted))
            others, now = await queries.select_held_and_now(conn, locked, except_user=user_id)
            held, short = {}, {}
            for variant_id, quantity in sorted(wanted.items()):
                free = max(0, locked.get(variant_id, 0) - others.get(variant_id, 0))
                if free < quantity:
                    short[variant_id] = free
                if min(free, quantity):
                    held[variant_id] = min(free, quantity)
            until = now + timedelta(minutes=minutes)
            if held:
                await queries.upsert_checkout_holds(conn, user_id, held, until)
            await queries.delete_checkout_holds_except(conn, user_id, held)
            return BagHold(held, short, set(wanted), until)

    return await retrying(once)


def with_holds(summary, hold: BagHold):
    """The bag as read before the hold was taken, with each line's hold as it now stands (a
    waitlist hold that lasts longer keeps its own end), so the page needs no second read."""
    lines = []
    for line in summary.lines:
        units = hold.held.get(line.variant_id)
        if units and hold.until is not None:
            until = max(line.held_until or hold.until, hold.until)
            line = replace(line, held_until=until, held_quantity=max(units, line.held_quantity or 0))
        else:
            line = replace(line, held_until=None, held_quantity=None)
        lines.append(line)
    return type(summary)(tuple(lines))


async def convert(conn, user_id: int, variant_ids) -> None:
    """The order is written: her holds on its variants (checkout or waitlist) are now the sale,
    in the caller's transaction. One statement."""
    variant_ids = sorted(set(variant_ids))
    if variant_ids:
        await queries.delete_holds_on(conn, user_id, variant_ids)


async def release(conn, user_id: int | None, variant_ids=None) -> list[int]:
    """She left (removed a line, emptied the bag, logged out): her checkout holds (on
    `variant_ids`, or all) let go; returns the variants whose units came back. A waitlist hold
    stays: it is hers for its hours whatever the bag does."""
    if user_id is None:
        return []
    return await queries.delete_holds(conn, user_id, variant_ids)


async def trim(conn, user_id: int | None, variant_id: int, quantity: int) -> bool:
    """Her line shrank to `quantity`: a hold of more shrinks with it."""
    if user_id is None:
        return False
    return await queries.trim_checkout_hold(conn, user_id, variant_id, quantity) > 0


def shop_time(utc: datetime | None) -> datetime | None:
    """A UTC time from the database (naive) in India's time, for the shopper."""
    if utc is None:
        return None
    return utc.replace(tzinfo=UTC).astimezone(SHOP_TIME)


def held_until_text(utc: datetime | None) -> str:
    """ "14:32" (India time) for "Held for you until 14:32"."""
    local = shop_time(utc)
    return "" if local is None else local.strftime("%H:%M")


def held_until_day_text(utc: datetime | None) -> str:
    """ "14:32 on 29 Nov" (India time), for holds that last past today (the waitlist's)."""
    local = shop_time(utc)
    return "" if local is None else f"{local:%H:%M} on {local.day} {local:%b}"


def iso_utc(utc: datetime | None) -> str:
    """The <time datetime> of a hold's end, in UTC, to the second: what the countdown counts to."""
    return "" if utc is None else utc.replace(tzinfo=UTC, microsecond=0).isoformat().replace("+00:00", "Z")


def seconds_left(utc: datetime | None, now: datetime | None = None) -> int:
    """Whole seconds until the hold ends (0 once it has)."""
    if utc is None:
        return 0
    now = now or datetime.now(UTC)
    return max(0, int((utc.replace(tzinfo=UTC) - now).total_seconds()))


def short_message(summary, short: dict[int, int]) -> str:
    """What she reads when lines could not be held in full: each line by name, with what is left."""
    parts = []
    for line in summary.lines:
        if line.variant_id in short:
            left = short[line.variant_id]
            parts.append(
                f"{line.product_name} ({line.colour}, {line.size}): "
                + (f"only {left} left, you asked for {line.quantity}" if left else "sold out")
            )
    return (
        "Some items could not be held for you: your hold ended or they sold out, and other shoppers "
        "have them now. " + "; ".join(parts) + ". Please change your bag."
    )
