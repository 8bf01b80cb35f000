"""Applying and removing a voucher, on the bag page and on the checkout page.

On the bag page the voucher box is a region the bag registers for (bag/extras.py: the bag may
not import checkout); over htmx it replaces itself (422 with the reason when a code gives
nothing), and the replies that change a line bring it along, as its discount follows the bag.
On the checkout page it is its own form beside the checkout form (forms cannot nest): over htmx
it replaces itself and the totals (with the signed record of them the checkout form sends), so
nothing typed into the checkout form is lost. Without JavaScript both answer 303 to their page,
or that page with the reason (422)."""

from __future__ import annotations

from quart import flash, request, url_for

from ..accounts.auth import account_key, current_shopper, login_required, shopper_id
from ..bag.extras import add_page_region
from ..bag.routes import bag_page
from ..bag.summary import BagSummary, bag_summary
from ..bag.token import read_bag_cookie
from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..limits import VOUCHER_CODES_PER_HOUR, address_key, hourly_limit
from ..pages import render_page
from . import queries, vouchers
from .routes import bp, checkout_context

# ---- the bag page -------------------------------------------------------------------------------


@add_page_region
async def bag_voucher_box(
    conn, summary: BagSummary, message: str | None = None, failed: bool = False, code: str = ""
) -> dict:
    """The bag page's voucher box: the bag priced with its voucher (priced), and a message after
    applying or removing one (failed: it is a refusal, and code is what was typed)."""
    user_id = await shopper_id()
    cart_id = await queries.select_cart_id(conn, read_bag_cookie().token, user_id)
    priced = await vouchers.price_bag(conn, summary.lines, cart_id, user_id)
    return dict(priced=priced, voucher_message=message, voucher_failed=failed, voucher_code=code)


async def bag_answer(ok: bool, message: str, code: str = ""):
    """The answer to a voucher change on the bag page: the voucher box for htmx, else back to the bag."""
    conn = await get_conn()
    if is_htmx():
        summary = await bag_summary(conn, read_bag_cookie().token, await shopper_id())
        box = await bag_voucher_box(conn, summary, message, failed=not ok, code=code)
        return await fragment("bag/_voucher.html", status=200 if ok else 422, **box)
    if not ok:
        return await bag_page(status=422, message=message, failed=True, code=code)
    await flash(message)
    return see_other(url_for("bag.show"))


@bp.post("/bag/voucher")
@hourly_limit("VOUCHER_CODES_PER_HOUR", address_key, VOUCHER_CODES_PER_HOUR)
async def apply_bag_voucher():
    """Put a code on the bag; a code that gives nothing now (unknown, ended, used up, not for
    these items, below its minimum) changes nothing and says why."""
    typed = (await request.form).get("code")
    conn = await get_conn()
    token = read_bag_cookie().token
    user_id = await shopper_id()
    cart_id = await queries.select_cart_id(conn, token, user_id)
    lines = (await bag_summary(conn, token, user_id)).lines
    ok, message = await vouchers.apply_code(conn, cart_id, lines, typed, user_id)
    return await bag_answer(ok, message, "" if ok else vouchers.clean_code(typed)[: vouchers.MAX_CODE_LENGTH])


@bp.post("/bag/voucher/remove")
async def remove_bag_voucher():
    """Take the voucher off the bag from the bag page."""
    conn = await get_conn()
    cart_id = await queries.select_cart_id(conn, read_bag_cookie().token, await shopper_id())
    removed = await vouchers.remove_from_bag(conn, cart_id)
    return await bag_answer(True, "Voucher removed." if removed else "There was no voucher on your bag.")


# ---- the checkout page ---------------------------------------------------------------------------


async def answer(shopper: dict, ok: bool, message: str, code: str = ""):
    """The answer to a voucher change at checkout: the checkout form for htmx or an error, else back to checkout."""
    conn = await get_conn()
    if ok and not is_htmx():
        await flash(message)
        return see_other(url_for("checkout.show"))
    context = await checkout_context(conn, shopper, voucher_message=message, voucher_failed=not ok, voucher_code=code)
    status = 200 if ok else 422
    if is_htmx():
        return await fragment("checkout/replies/voucher.html", status=status, **context)
    return await render_page("checkout/checkout.html", status=status, **context)


async def shoppers_bag(conn, shopper: dict) -> tuple[int | None, list]:
    """The signed-in shopper's bag id and its lines, for pricing a voucher."""
    token = read_bag_cookie().token
    cart_id = await queries.select_shoppers_cart_id(conn, token, shopper["id"])
    return cart_id, (await queries.select_lines_for_order(conn, cart_id) if cart_id else [])


@bp.post("/checkout/voucher")
@hourly_limit("VOUCHER_CODES_PER_HOUR", account_key, VOUCHER_CODES_PER_HOUR)
@login_required
async def apply_voucher():
    """Apply a voucher code at checkout (rate-limited against guessing codes)."""
    typed = (await request.form).get("code")
    shopper = await current_shopper()
    conn = await get_conn()
    cart_id, lines = await shoppers_bag(conn, shopper)
    ok, message = await vouchers.apply_code(conn, cart_id, lines, typed, shopper["id"])
    return await answer(shopper, ok, message, "" if ok else vouchers.clean_code(typed)[: vouchers.MAX_CODE_LENGTH])


@bp.post("/checkout/voucher/remove")
@login_required
async def remove_voucher():
    """Take the voucher off the bag at checkout."""
    shopper = await current_shopper()
    conn = await get_conn()
    cart_id, _lines = await shoppers_bag(conn, shopper)
    removed = await vouchers.remove_from_bag(conn, cart_id)
    return await answer(shopper, True, "Voucher removed." if removed else "There was no voucher on your bag.")
