"""The size waitlist (issue 14.2). A signed-in shopper joins the list of a sold-out variant. When
staff restock it, waiting shoppers are served in the order they joined, in the restock's own
transaction: each gets a hold on one unit for WAITLIST_HOLD_HOURS (her own hold, on her
account), a notification in her account and an e-mail through the outbox (queued in the same
transaction, so a restock rolled back tells nobody and one committed is never lost or sent
twice). A waitlist hold nobody claims lapses like any hold, and its unit passes to the next in
line at the next promotion: the background tidy (tidy()) or the next restock."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from quart import render_template, url_for

from ..db import retrying, transaction
from ..inventory.events import publish
from ..inventory.stock import InsufficientStock, lock_variants, move_stock
from ..outbox import enqueue_email
from . import queries
from .holding import held_until_day_text

log = logging.getLogger("mooncart.holds")


@dataclass(frozen=True)
class Served:
    """One waiter given a hold by a promotion."""

    user_id: int
    variant_id: int


@dataclass(frozen=True)
class Restocked:
    """A restock's outcome: the new stock levels (for open pages) and who was served."""

    levels: dict[int, int]
    served: list[Served]


async def join(conn, variant_id: int, user_id: int) -> tuple[str, dict | None]:
    """Put her on the variant's list. Returns (outcome, variant): "joined", "already" (nothing
    changed), "in_stock" (there is one for her now: nothing to wait for) or "gone" (no such variant)."""
    variant = await queries.select_variant_for_waitlist(conn, variant_id, user_id)
    if variant is None:
        return "gone", None
    if variant["free"] > 0:
        return "in_stock", variant
    return ("joined" if await queries.insert_waitlist_entry(conn, variant_id, user_id) else "already"), variant


async def promote(conn, variant_id: int, stock: int, hours: float) -> list[Served]:
    """Serve the variant's waiters in join order while units are free, inside the caller's
    transaction, which has locked the variant (`stock` is its level under that lock). Free means
    stock less every live hold: a unit in someone's checkout hold is not given away."""
    held = (await queries.select_held(conn, [variant_id])).get(variant_id, 0)
    free = stock - held
    if free <= 0:
        return []
    waiters = await queries.select_waiting_for_update(conn, variant_id, free)
    if not waiters:
        return []
    # the database's clock, as everywhere holds are read (one statement, not one per waiter)
    until = await queries.select_utc_now(conn) + timedelta(hours=hours)
    await queries.insert_waitlist_holds(conn, variant_id, [w["user_id"] for w in waiters], until)
    await queries.update_entries_served(conn, [w["id"] for w in waiters])
    variant = await queries.select_variant_for_waitlist(conn, variant_id, None)
    notes, served = [], []
    for waiter in waiters:
        message = (
            f"Your size {variant['size']} is back and held for you until {held_until_day_text(until)}: "
            f"{variant['product_name']} ({variant['colour']})."
            if variant
            else "Your size is back and held for you."
        )
        notes.append((waiter["user_id"], variant_id, message[:300]))
        served.append(Served(waiter["user_id"], variant_id))
        await send_back_in_stock_email(conn, waiter, variant, until, message)
    await queries.insert_notifications(conn, notes)
    log.info("waitlist served", extra={"variant": variant_id, "served": len(served)})
    return served


async def send_back_in_stock_email(conn, waiter: dict, variant: dict | None, until, message: str) -> None:
    """Her "your size is back" e-mail, queued in the outbox in the promotion's transaction. The
    message key names this serving (entry id), so the same promotion never queues it twice."""
    link = ""
    if variant:
        try:  # a request knows the shop's address; the background tidy may not (no SERVER_NAME)
            link = url_for("catalog.product", slug=variant["product_slug"], _external=True)
        except RuntimeError:
            link = "/products/" + quote(variant["product_slug"])
    context = dict(waiter=waiter, variant=variant, until_text=held_until_day_text(until), message=message, link=link)
    await enqueue_email(
        conn,
        to=waiter["email"],
        subject=f"Your size {variant['size']} is back at Mooncart" if variant else "Your size is back at Mooncart",
        text=await render_template("holds/email/back_in_stock.txt", **context),
        html=await render_template("holds/email/back_in_stock.html", **context),
        message_key=f"waitlist-served:{waiter['id']}",
    )


async def restock(
    conn, variant_id: int, change: int, reason: str, *, hours: float, staff_id: int | None = None, note: str = ""
) -> Restocked:
    """A staff stock adjustment (issue 14's replacement for inventory.stock.adjust_stock in the back
    office): in one transaction, lock the variant, move its stock through the ledger, and serve
    its waiters. Stock never goes under what live holds keep: taking away held units is refused
    (InsufficientStock names the units not held). Retried on a deadlock, never shown."""

    async def once() -> Restocked:
        """One try, in its own transaction."""
        async with transaction(conn):
            locked = await lock_variants(conn, [variant_id])
            if change < 0 and variant_id in locked:
                held = (await queries.select_held(conn, [variant_id])).get(variant_id, 0)
                if locked[variant_id] + change < held:
                    raise InsufficientStock({variant_id: max(0, locked[variant_id] - held)})
            levels = await move_stock(conn, {variant_id: change}, locked, reason, staff_id=staff_id, note=note)
            served = await promote(conn, variant_id, levels[variant_id], hours) if change > 0 else []
            return Restocked(levels, served)

    return await retrying(once)


async def promote_waiting(conn, hours: float) -> dict[int, int]:
    """Serve waiters wherever units are free (a waitlist or checkout hold lapsed, stock came back
    some other way): each variant in its own short transaction under its lock. Returns the
    variants whose holds changed, for open pages."""
    changed: dict[int, int] = {}
    for variant_id in await queries.select_variants_with_waiters_and_stock(conn):

        async def once(variant_id=variant_id) -> list[Served]:
            """One variant, in its own transaction."""
            async with transaction(conn):
                locked = await lock_variants(conn, [variant_id])
                return await promote(conn, variant_id, locked[variant_id], hours) if variant_id in locked else []

        if await retrying(once):
            changed[variant_id] = 0
    return changed


async def tidy(conn, hours: float) -> dict[int, int]:
    """The background tidy: delete lapsed holds (they already count nowhere), then pass free units
    to the next in line. Returns the variants whose free stock changed, for open pages."""
    changed: dict[int, int] = {}
    for row in await queries.select_lapsed_keys(conn):
        if await queries.delete_lapsed(conn, row["user_id"], row["variant_id"]):
            changed[row["variant_id"]] = 0
    changed.update(await promote_waiting(conn, hours))
    return changed


async def run_tidy_forever(db, app, every_seconds: float) -> None:
    """The tidy every `every_seconds` while the app serves, on a pooled connection borrowed each time."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            async with app.app_context():
                conn = await db.acquire()
                try:
                    changed = await tidy(conn, app.config["WAITLIST_HOLD_HOURS"])
                finally:
                    db.release(conn)
                if changed:
                    await publish(changed)
        except asyncio.CancelledError:
            raise
        except Exception:  # the shop goes on; the next round tries again
            log.exception("hold tidy failed")
