"""Applying and removing a voucher on the bag page. With htmx the voucher box replaces itself
(422 with the reason when a code gives nothing); without JavaScript the same URLs answer 303 to
the bag page, or the bag page with the reason (422)."""

from __future__ import annotations

from quart import flash, request, url_for

from ..accounts.auth import current_shopper
from ..checkout import queries as checkout_queries
from ..checkout import vouchers
from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..limits import VOUCHER_CODES_PER_HOUR, address_key, hourly_limit
from . import queries
from .routes import bag_page, bp
from .summary import BagSummary
from .token import read_bag_cookie
from .voucher_box import voucher_box


async def answer(ok: bool, message: str, code: str = ""):
    conn = await get_conn()
    if is_htmx():
        summary = BagSummary.from_rows(await queries.select_bag_lines(conn, read_bag_cookie().token))
        box = await voucher_box(conn, summary, message, failed=not ok, code=code)
        return await fragment("bag/_voucher.html", status=200 if ok else 422, **box)
    if not ok:
        return await bag_page(status=422, message=message, failed=True, code=code)
    await flash(message)
    return see_other(url_for("bag.show"))


@bp.post("/bag/voucher")
@hourly_limit("VOUCHER_CODES_PER_HOUR", address_key, VOUCHER_CODES_PER_HOUR)
async def apply_voucher():
    """Put a code on the bag; a code that gives nothing now (unknown, ended, used up, not for
    these items, below its minimum) changes nothing and says why."""
    typed = (await request.form).get("code")
    conn = await get_conn()
    token = read_bag_cookie().token
    cart_id = await checkout_queries.select_cart_id(conn, token)
    lines = BagSummary.from_rows(await queries.select_bag_lines(conn, token)).lines
    shopper = await current_shopper()
    ok, message = await vouchers.apply_code(conn, cart_id, lines, typed, shopper["id"] if shopper else None)
    return await answer(ok, message, "" if ok else vouchers.clean_code(typed)[:vouchers.MAX_CODE_LENGTH])


@bp.post("/bag/voucher/remove")
async def remove_voucher():
    conn = await get_conn()
    cart_id = await checkout_queries.select_cart_id(conn, read_bag_cookie().token)
    removed = await vouchers.remove_from_bag(conn, cart_id)
    return await answer(True, "Voucher removed." if removed else "There was no voucher on your bag.")
