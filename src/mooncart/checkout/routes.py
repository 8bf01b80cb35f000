"""Checkout: review the bag, choose or add an address, choose how to pay, place the order; and
the payment gateway's two ways back to the shop: the shopper's return from its page (UPI) and
its signed webhooks."""

from __future__ import annotations

import json
import logging
import re
import secrets
from urllib.parse import urlsplit

from quart import Blueprint, Response, abort, current_app, flash, request, url_for

from ..accounts import forms as account_forms
from ..accounts import queries as account_queries
from ..accounts.auth import login_required, signed_in_shopper
from ..accounts.india import STATES
from ..bag.summary import bag_summary
from ..bag.token import read_bag_cookie
from ..db import get_conn
from ..delivery.check import cod_note, order_refusal
from ..holds import holding
from ..htmx import fragment, is_htmx, see_other
from ..inventory.events import publish
from ..orders import queries as order_queries
from ..pages import render_page
from ..parsing import parse_id
from ..payments import queries as payment_queries
from ..payments.gateway import signature_ok
from ..payments.providers import Charge, PaymentDetailsError, TestCardGateway, providers_of, redirecting
from ..payments.refunds import send_refunds
from ..payments.settlement import settle
from ..security import CONTENT_SECURITY_POLICY, csp_nonce, signed_by_sender
from . import confirmation, queries
from .placement import EMPTY_BAG, CheckoutProblem, place_order

bp = Blueprint("checkout", __name__)
log = logging.getLogger("mooncart.checkout")


@bp.after_request
async def allow_the_gateways_page(response: Response) -> Response:
    """Without JavaScript, "Place order" with UPI is a form whose answer is a 303 to the
    gateway's page, and browsers hold redirects after a form to its page's form-action: the
    checkout's pages allow the gateway's origin there, and nothing else changes."""
    gateway = current_app.config.get("GATEWAY_URL")
    if gateway and "Content-Security-Policy" not in response.headers:
        parts = urlsplit(gateway)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(nonce=csp_nonce()).replace(
            "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}"
        )
    return response


NOT_YOUR_ADDRESS = (
    "We could not find that address in your account. Please choose a delivery address below, or add a new one."
)


async def checkout_context(conn, shopper: dict, form=None, **extra) -> dict:
    """Everything the checkout page shows: the bag, addresses, the totals with the voucher and their signed record."""
    token = read_bag_cookie().token
    summary = await bag_summary(conn, token, shopper["id"])
    # the totals with the bag's voucher, and the signed record of them the form sends back (issue 12: 2, 6)
    money = await confirmation.page_money(
        conn, summary.lines, await queries.select_shoppers_cart_id(conn, token, shopper["id"]), shopper["id"]
    )
    addresses = await account_queries.select_addresses(conn, shopper["id"])
    form = form or {}
    providers = providers_of(current_app)
    # the choice sent back, if it is still one on this page (another shopper's id, or an address removed
    # meanwhile, is not): otherwise her newest address, or a new one when she has none
    offered = {str(address["id"]) for address in addresses} | {"new"}
    chosen_address = (
        form.get("address_id")
        if form.get("address_id") in offered
        else (str(addresses[0]["id"]) if addresses else "new")
    )
    context = dict(
        summary=summary,
        **money,
        addresses=addresses,
        chosen_address=chosen_address,
        providers=providers.values(),
        provider_codes=set(providers),
        test_cards=isinstance(providers.get("card"), TestCardGateway),
        chosen_payment=form.get("payment_method") or "cod",
        states=STATES,
        idempotency_key=form.get("idempotency_key") or secrets.token_hex(16),
        values={
            k: form.get(k, "")
            for k in ("full_name", "line1", "line2", "city", "state", "pin_code", "mobile", "card_expiry")
        },
        errors={},
        problem=None,
        short={},
        changes=[],
    )
    # why cash on delivery is not offered to the chosen address (its PIN and this total), if it is not
    chosen_pin = (
        form.get("pin_code")
        if chosen_address == "new"
        else next((a["pin_code"] for a in addresses if str(a["id"]) == chosen_address), None)
    )
    context["cod_unavailable"] = await cod_note(conn, chosen_pin, money["totals"].total_paise)
    context.update(extra)
    return context


async def saved_address(conn, address_id: str, user_id: int) -> dict | None:
    """One of this shopper's saved addresses, by the id the form sent; None for anything else
    (another shopper's address, one removed meanwhile, or not an id at all)."""
    parsed = parse_id(address_id)
    return None if parsed is None else await account_queries.select_address(conn, parsed, user_id)


async def already_saved(conn, user_id: int, address: dict) -> bool:
    """A new address typed at checkout that is the same as a saved one is not saved twice."""
    return any(
        all(saved[k] == v for k, v in address.items())
        for saved in await account_queries.select_addresses(conn, user_id)
    )


async def refuse(conn, shopper, form, message: str, **extra):
    """The checkout form again with what was wrong (422), keeping what the shopper typed."""
    context = await checkout_context(conn, shopper, form, problem=message, **extra)
    if is_htmx():
        return await fragment("checkout/_checkout_form.html", status=422, **context)
    return await render_page("checkout/checkout.html", status=422, **context)


@bp.get("/checkout")
@login_required
async def show():
    """The checkout page; an empty bag goes back to the bag page instead. Opening it holds the
    bag's units for HOLD_MINUTES (reopening it renews the hold): a line that cannot be held in
    full (her hold lapsed and the units went to someone else) is named, with what is left."""
    conn = await get_conn()
    shopper = await signed_in_shopper()
    context = await checkout_context(conn, shopper)
    summary = context["summary"]
    if summary.is_empty:
        await flash("Your bag is empty: add something you love first.")
        return see_other(url_for("bag.show"))
    wanted: dict[int, int] = {}
    for line in summary.lines:
        wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity
    held = await holding.hold_bag(conn, shopper["id"], wanted, current_app.config["HOLD_MINUTES"])
    await publish(dict.fromkeys(held.changed, 0))  # others' badges and bags count her hold now
    context["summary"] = holding.with_holds(summary, held)
    if held.short:
        context.update(short=held.short, problem=holding.short_message(summary, held.short))
    return await render_page("checkout/checkout.html", **context)


@bp.post("/checkout")
@login_required
async def place():
    """Place the order: check the totals the page showed, reserve the stock and take the payment,
    once however often the form is sent."""
    form = await request.form
    shopper = await signed_in_shopper()
    conn = await get_conn()
    key = form.get("idempotency_key") or ""
    confirmed = confirmation.read(form.get(confirmation.FIELD))  # what the page showed (issue 12.2)
    if not re.fullmatch(r"[0-9a-f]{32}", key) or confirmed is None:
        return await refuse(
            conn, shopper, None, "This checkout page is out of date. Please check it and place the order again."
        )

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

    provider = providers_of(current_app).get(form.get("payment_method", ""))
    payment_details = None
    if provider is None:
        problems.append("Please choose how you would like to pay.")
    else:
        try:
            payment_details = provider.check_details(form)
        except PaymentDetailsError as bad:
            problems.append(str(bad))
            errors["card"] = str(bad)
    if not problems and address is not None and provider is not None:  # where we deliver and take cash (issue 13.5)
        refusal = await order_refusal(conn, address["pin_code"], provider.code == "cod", confirmed["t"])
        if refusal is not None:
            problems.append(refusal)
    if problems:
        return await refuse(conn, shopper, form, " ".join(problems), errors=errors)

    cart_id = await queries.select_shoppers_cart_id(conn, read_bag_cookie().token, shopper["id"])
    if cart_id is None:
        return await refuse(conn, shopper, form, EMPTY_BAG)
    try:
        order = await place_order(
            conn,
            user_id=shopper["id"],
            cart_id=cart_id,
            address=address,
            provider=provider,
            payment_details=payment_details,
            idempotency_key=key,
            payment_timeout=current_app.config["PAYMENT_TIMEOUT_SECONDS"],
            return_url=lambda number: url_for("checkout.payment_return", number=number, _external=True),
            confirmed=confirmed,
        )
    except CheckoutProblem as problem:
        if problem.stock_levels:  # a payment failed and its reservation came back
            await publish(problem.stock_levels)
        short = {line.variant_id: left for line, left in problem.short_lines}
        return await refuse(conn, shopper, form, str(problem), short=short, changes=problem.changes)

    if order.stock_levels:
        await publish(order.stock_levels)
    if address_id == "new" and not order.replayed and not await already_saved(conn, shopper["id"], address):
        await account_queries.insert_address(conn, shopper["id"], address)
    if order.payment is not None and order.payment.state == "redirect":
        return go_to(order.payment.redirect_url)  # UPI: the gateway's page, then back to payment_return
    if order.payment is not None and order.payment.state == "pending":
        await flash(order.payment.message)
    elif not order.replayed:
        await flash(f"Thank you! Your order {order.number} is placed.")
    return go_to(url_for("orders.show", number=order.number))


def go_to(target: str) -> Response:
    """A full-page move: HX-Redirect for htmx, 303 See Other without JavaScript."""
    if is_htmx():
        return Response("", 200, headers={"HX-Redirect": target})
    return see_other(target)


@bp.get("/checkout/return/<number>")
@login_required
async def payment_return(number: str):
    """The shopper back from the gateway's page. A return signed by the gateway (HMAC over its
    order id and payment id) is captured at once; anything else (she chose "Fail", pressed
    back, or the link was tampered with) is looked up at the gateway: nothing paid releases the
    order and puts her bag back. A webhook may have settled it already; either way, once."""
    shopper = await signed_in_shopper()
    conn = await get_conn()
    order = await order_queries.select_order_for(conn, number[:20], shopper["id"])
    payment = await payment_queries.select_payment(conn, order["id"]) if order else None
    if order is None or payment is None:
        abort(404)
    provider = providers_of(current_app).get(payment["provider"])
    if provider is None or not redirecting(provider):
        abort(404)
    verified = provider.verified_return(request.args)
    hint = None
    if verified is not None and verified[0] == payment["gateway_order_id"]:
        hint = Charge("authorised", verified[1])
    outcome = await settle(
        conn,
        provider,
        order["id"],
        hint=hint,
        release_unpaid=hint is None,
        timeout=current_app.config["PAYMENT_TIMEOUT_SECONDS"],
    )
    if outcome.stock_levels:
        await publish(outcome.stock_levels)
    if outcome.state == "failed":
        await flash(
            "Your UPI payment did not go through, so you have not been charged and order "
            f"{order['number']} was cancelled. Your bag is as it was: please try again."
        )
        return see_other(url_for("checkout.show"))
    await flash(
        outcome.message if outcome.state == "pending" else f"Thank you! Your order {order['number']} is placed."
    )
    return see_other(url_for("orders.show", number=order["number"]))


@bp.post("/payments/webhook")
@signed_by_sender
async def webhook():
    """The gateway's signed events: a payment authorised, captured or failed, a refund processed
    or failed. The signature is an HMAC-SHA256 of the raw body under the webhook secret; each
    event id is handled once (the gateway delivers again until it gets a 2xx, and out of
    order), and what it says is settled through the same steps as the shopper's return."""
    body = await request.get_data()
    secret = current_app.config.get("GATEWAY_WEBHOOK_SECRET") or ""
    if not signature_ok(secret, body, request.headers.get("X-Razorpay-Signature")):
        return Response("bad signature", 400, mimetype="text/plain")
    try:
        event = json.loads(body)
        name = str(event["event"])
        payload = event.get("payload") or {}
    except (ValueError, KeyError, TypeError):
        return Response("not an event", 400, mimetype="text/plain")
    event_id = request.headers.get("X-Razorpay-Event-Id") or str(event.get("id") or "")
    if not event_id:
        return Response("no event id", 400, mimetype="text/plain")
    conn = await get_conn()
    if not await payment_queries.insert_event(conn, event_id, name):
        return Response("already handled", 200, mimetype="text/plain")
    try:
        await handle_event(conn, name, payload)
    except Exception:
        await payment_queries.delete_event(conn, event_id)  # let the gateway's next delivery try again
        raise
    return Response("ok", 200, mimetype="text/plain")


async def handle_event(conn, name: str, payload: dict) -> None:
    """Settle the order (payment events) or refresh the refund (refund events) the event names."""
    providers = providers_of(current_app)
    if name.startswith("payment.") or name == "order.paid":
        entity = (payload.get("payment") or {}).get("entity") or {}
        payment = await payment_queries.select_payment_by_gateway_order(conn, str(entity.get("order_id") or ""))
        provider = providers.get(payment["provider"]) if payment else None
        if payment is None or provider is None:
            log.warning("webhook for an unknown payment", extra={"event": name})
            return
        state = {"payment.authorized": "authorised", "payment.captured": "captured", "order.paid": "captured"}.get(name)
        hint = Charge(state, str(entity.get("id") or "")) if state and entity.get("id") else None
        outcome = await settle(
            conn, provider, payment["order_id"], hint=hint, timeout=current_app.config["PAYMENT_TIMEOUT_SECONDS"]
        )
        if outcome.stock_levels:
            await publish(outcome.stock_levels)
    elif name.startswith("refund."):
        entity = (payload.get("refund") or {}).get("entity") or {}
        refund = await payment_queries.select_refund_by_gateway_id(conn, str(entity.get("id") or ""))
        if refund is not None:
            await send_refunds(conn, providers, refund["order_id"])


from . import voucher_views  # noqa: E402,F401 # the voucher box's routes (checkout/voucher_views.py) join this blueprint
