"""Applying and removing a voucher on the checkout page. The voucher box is its own form beside
the checkout form (forms cannot nest): over htmx it replaces itself and the totals (with the
signed record of them the checkout form sends), so nothing typed into the checkout form is lost;
without JavaScript it answers 303 to the checkout page, or that page with the reason (422)."""

from __future__ import annotations

from quart import flash, request, url_for

from ..accounts.auth import current_shopper, login_required
from ..bag.token import read_bag_cookie
from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..limits import VOUCHER_CODES_PER_HOUR, account_key, hourly_limit
from ..pages import render_page
from . import queries, vouchers
from .routes import bp, checkout_context


async def answer(shopper: dict, ok: bool, message: str, code: str = ""):
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
    token = read_bag_cookie().token
    cart_id = await queries.select_shoppers_cart_id(conn, token, shopper["id"])
    return cart_id, (await queries.select_lines_for_order(conn, cart_id) if cart_id else [])


@bp.post("/checkout/voucher")
@hourly_limit("VOUCHER_CODES_PER_HOUR", account_key, VOUCHER_CODES_PER_HOUR)
@login_required
async def apply_voucher():
    typed = (await request.form).get("code")
    shopper = await current_shopper()
    conn = await get_conn()
    cart_id, lines = await shoppers_bag(conn, shopper)
    ok, message = await vouchers.apply_code(conn, cart_id, lines, typed, shopper["id"])
    return await answer(shopper, ok, message, "" if ok else vouchers.clean_code(typed)[:vouchers.MAX_CODE_LENGTH])


@bp.post("/checkout/voucher/remove")
@login_required
async def remove_voucher():
    shopper = await current_shopper()
    conn = await get_conn()
    cart_id, _lines = await shoppers_bag(conn, shopper)
    removed = await vouchers.remove_from_bag(conn, cart_id)
    return await answer(shopper, True, "Voucher removed." if removed else "There was no voucher on your bag.")
