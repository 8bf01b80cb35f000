"""Checkout: review the bag, choose or add an address, choose how to pay, place the order."""

from __future__ import annotations

import re
import secrets

from quart import Blueprint, Response, current_app, flash, request, url_for

from ..accounts import forms as account_forms
from ..accounts import queries as account_queries
from ..accounts.auth import current_shopper, login_required
from ..accounts.india import STATES
from ..bag.summary import bag_summary
from ..bag.token import read_bag_cookie
from ..db import fetch_val, get_conn
from ..htmx import fragment, is_htmx, see_other
from ..pages import render_page
from ..parsing import parse_id
from ..inventory.events import publish
from . import confirmation
from . import queries as checkout_queries
from .payments import PROVIDERS, PaymentDetailsError
from .placement import CheckoutProblem, place_order

bp = Blueprint("checkout", __name__)

NOT_YOUR_ADDRESS = ("We could not find that address in your account. Please choose a delivery address below, "
                    "or add a new one.")


async def checkout_context(conn, shopper: dict, form=None, **extra) -> dict:
    token = read_bag_cookie().token
    summary = await bag_summary(conn, token)
    # the totals with the bag's voucher, and the signed record of them the form sends back (issue 12: 2, 6)
    money = await confirmation.page_money(conn, summary.lines, await checkout_queries.select_shoppers_cart_id(
        conn, token, shopper["id"]), shopper["id"])
    addresses = await account_queries.select_addresses(conn, shopper["id"])
    form = form or {}
    # the choice sent back, if it is still one on this page (another shopper's id, or an address removed
    # meanwhile, is not): otherwise her newest address, or a new one when she has none
    offered = {str(address["id"]) for address in addresses} | {"new"}
    chosen_address = form.get("address_id") if form.get("address_id") in offered else \
        (str(addresses[0]["id"]) if addresses else "new")
    context = dict(summary=summary, **money, addresses=addresses,
                   chosen_address=chosen_address, providers=PROVIDERS.values(),
                   chosen_payment=form.get("payment_method") or "cod", states=STATES,
                   idempotency_key=form.get("idempotency_key") or secrets.token_hex(16),
                   values={k: form.get(k, "") for k in ("full_name", "line1", "line2", "city", "state",
                                                        "pin_code", "mobile", "card_expiry")},
                   errors={}, problem=None, short={}, changes=[])
    context.update(extra)
    return context


async def saved_address(conn, address_id: str, user_id: int) -> dict | None:
    """One of this shopper's saved addresses, by the id the form sent; None for anything else
    (another shopper's address, one removed meanwhile, or not an id at all)."""
    parsed = parse_id(address_id)
    return None if parsed is None else await account_queries.select_address(conn, parsed, user_id)


async def already_saved(conn, user_id: int, address: dict) -> bool:
    """A new address typed at checkout that is the same as a saved one is not saved twice."""
    return any(all(saved[k] == v for k, v in address.items())
               for saved in await account_queries.select_addresses(conn, user_id))


async def refuse(conn, shopper, form, message: str, **extra):
    context = await checkout_context(conn, shopper, form, problem=message, **extra)
    if is_htmx():
        return await fragment("checkout/_checkout_form.html", status=422, **context)
    return await render_page("checkout/checkout.html", status=422, **context)


@bp.get("/checkout")
@login_required
async def show():
    conn = await get_conn()
    context = await checkout_context(conn, await current_shopper())
    if context["summary"].is_empty:
        await flash("Your bag is empty: add something you love first.")
        return see_other(url_for("bag.show"))
    return await render_page("checkout/checkout.html", **context)


@bp.post("/checkout")
@login_required
async def place():
    form = await request.form
    shopper = await current_shopper()
    conn = await get_conn()
    key = form.get("idempotency_key") or ""
    confirmed = confirmation.read(form.get(confirmation.FIELD))  # what the page showed (issue 12.2)
    if not re.fullmatch(r"[0-9a-f]{32}", key) or confirmed is None:
        return await refuse(conn, shopper, None, "This checkout page is out of date. Please check it and place the order again.")

    # every problem with the form at once; the new-address fields count only when a new address is
    # chosen (they stay in the page, hidden, when a saved one is)
    problems, errors = [], {}
    address_id = form.get("address_id", "new")
    if address_id == "new":
        address, address_errors = account_forms.address(form)
        if address_errors:
            problems.append("Please check the delivery address.")
            errors.update(address_errors)
    else:
        address = await saved_address(conn, address_id, shopper["id"])
        if address is None:
            problems.append(NOT_YOUR_ADDRESS)

    provider = PROVIDERS.get(form.get("payment_method", ""))
    payment_details = None
    if provider is None:
        problems.append("Please choose how you would like to pay.")
    else:
        try:
            payment_details = provider.check_details(form)
        except PaymentDetailsError as bad:
            problems.append(str(bad))
            errors["card"] = str(bad)
    if problems:
        return await refuse(conn, shopper, form, " ".join(problems), errors=errors)

    cart_id = await fetch_val(conn, "SELECT id FROM carts WHERE token = %s AND user_id = %s",
                              (read_bag_cookie().token or "", shopper["id"]))
    if cart_id is None:
        return await refuse(conn, shopper, form, "Your bag is empty, so there is nothing to order.")
    try:
        order = await place_order(conn, user_id=shopper["id"], cart_id=cart_id, address=address, provider=provider,
                                  payment_details=payment_details, idempotency_key=key,
                                  payment_timeout=current_app.config["PAYMENT_TIMEOUT_SECONDS"], confirmed=confirmed)
    except CheckoutProblem as problem:
        short = {line.variant_id: left for line, left in problem.short_lines}
        return await refuse(conn, shopper, form, str(problem), short=short, changes=problem.changes)

    if order.stock_levels:
        await publish(order.stock_levels)
    if address_id == "new" and not order.replayed and not await already_saved(conn, shopper["id"], address):
        await account_queries.insert_address(conn, shopper["id"], address)
    if not order.replayed:
        await flash(f"Thank you! Your order {order.number} is placed.")
    target = url_for("orders.show", number=order.number)
    if is_htmx():
        return Response("", 200, headers={"HX-Redirect": target})
    return see_other(target)


from . import voucher_views  # noqa: E402,F401 # the voucher box's routes (checkout/voucher_views.py) join this blueprint
