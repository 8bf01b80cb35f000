"""Ways to pay, behind one interface that follows Indian gateways (create a gateway order,
authorise, capture, look up, refund):

- Cash on delivery: nothing to call; the order is placed at once and paid at the door.
- Card and UPI through the gateway at MOONCART_GATEWAY_URL (gateway.py). A card is authorised
  server-to-server from the checkout form; UPI sends the shopper to the gateway's own page and
  back to a return URL the shop verifies (no JavaScript needed either way).
- Without a gateway configured, a test card gateway in the process approves, declines or times
  out by card number, like gateways' sandbox cards, and UPI is not offered (it needs the
  gateway's page). No card number is ever stored: only the last four digits, in the reference.

Providers never touch the database; payments/settlement.py calls them outside any transaction.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeGuard

from .gateway import GatewayClient, GatewayRefused, GatewaySettings, GatewayUnavailable, payment_signature_ok

APPROVE, DECLINE, TIMEOUT = "4111111111111111", "4000000000000002", "4000000000000119"


@dataclass(frozen=True)
class Charge:
    """What the provider says about an order's money. state: 'none' (nothing paid yet),
    'authorised' (held, not yet taken), 'captured' (taken), 'failed', or 'unknown' (no answer:
    ask again later)."""

    state: str
    payment_id: str = ""
    message: str = ""


@dataclass(frozen=True)
class RefundResult:
    """'processed' (money sent back), 'requested' (the gateway is on it; a webhook or reconcile
    finds out), 'failed', or 'unknown' (no answer)."""

    state: str
    refund_id: str = ""


class PaymentDetailsError(ValueError):
    """The payment form is incomplete or wrong; str() is the message for the shopper."""


class PaymentProvider(Protocol):
    code: str
    label: str
    collects_later: bool  # cash on delivery: the order is placed without calling anyone
    redirects: bool  # the shopper pays on the gateway's page (UPI)

    def check_details(self, form) -> dict:
        """Validate the payment fields before anything is reserved; raise PaymentDetailsError."""

    async def create(self, order_number: str, amount_paise: int) -> str:
        """The gateway's order for this shop order (the same one however often it is asked)."""

    async def authorise(self, gateway_order_id: str, amount_paise: int, details: dict, key: str) -> Charge:
        """Hold the money on the card (card only)."""

    async def capture(self, payment_id: str, amount_paise: int, key: str) -> Charge:
        """Take the authorised money."""

    async def look_up(self, gateway_order_id: str) -> Charge:
        """The best thing that happened to this gateway order: captured, authorised, failed or none."""

    async def refund(self, payment_id: str, amount_paise: int, key: str) -> RefundResult:
        """Send (part of) a captured payment back."""

    async def refund_status(self, refund_id: str) -> RefundResult:
        """Where a refund the gateway accepted has got to."""


class RedirectingProvider(PaymentProvider, Protocol):
    """A provider whose shopper pays on the gateway's own page (UPI): it has the page's address
    and checks the signed return from it."""

    def checkout_url(self, gateway_order_id: str, return_url: str) -> str:
        """The gateway's page for this gateway order, which sends the shopper back to return_url."""

    def verified_return(self, args) -> tuple[str, str] | None:
        """(gateway order id, payment id) when the return URL is signed by the gateway; None otherwise."""


def redirecting(provider: PaymentProvider) -> TypeGuard[RedirectingProvider]:
    """Whether the shopper pays on the gateway's page: then the provider has checkout_url and
    verified_return (the flag redirects says so, as every provider declares it)."""
    return provider.redirects


def luhn_ok(number: str) -> bool:
    """The card number's own check digit: catches a mistyped digit before asking the bank."""
    total = 0
    for i, digit in enumerate(int(d) for d in reversed(number)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def check_card(form, today: date | None = None) -> dict:
    """The card number (Luhn), the expiry (MM/YY, not past) and the 3-4 digit code, with a
    message that says which one is wrong. Kept in memory only until the authorisation."""
    number = re.sub(r"[\s-]", "", form.get("card_number") or "")
    if not (number.isascii() and number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
        raise PaymentDetailsError("Please check the card number.")
    expiry = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2})\s*", form.get("card_expiry") or "")
    today = today or date.today()
    if not expiry or not 1 <= int(expiry.group(1)) <= 12:
        raise PaymentDetailsError("Please enter the expiry date as MM/YY.")
    month, year = int(expiry.group(1)), 2000 + int(expiry.group(2))
    if (year, month) < (today.year, today.month):
        raise PaymentDetailsError("This card has expired.")
    cvv = (form.get("card_cvv") or "").strip()
    if not (cvv.isascii() and cvv.isdigit() and len(cvv) in (3, 4)):
        raise PaymentDetailsError("Please enter the 3-digit security code from the back of the card.")
    return {"number": number, "expiry_month": month, "expiry_year": year, "cvv": cvv}


class CashOnDelivery:
    """Nothing is charged now; the order is written with the payment pending until delivery."""

    code, label = "cod", "Cash on delivery"
    collects_later, redirects = True, False

    def check_details(self, form) -> dict:
        """Cash on delivery asks for no payment details."""
        return {}


class TestCardGateway:
    """A sandbox card gateway in the process (no MOONCART_GATEWAY_URL): APPROVE is captured,
    DECLINE is declined and TIMEOUT never answers in time. It remembers its own captures, so
    look-ups and refunds behave; a restart forgets them (it is for trying the shop, not for money)."""

    __test__ = False  # a name pytest would otherwise try to collect
    code, label = "card", "Credit or debit card (test gateway)"
    collects_later, redirects = False, False
    delay_seconds = 30.0  # how long the "timeout" card makes the bank take

    def __init__(self):
        self.payments: dict[str, dict] = {}  # gateway order id -> {"id", "state"}
        self.refunds: dict[str, RefundResult] = {}

    def check_details(self, form, today: date | None = None) -> dict:
        """The same card checks as the real gateway, so tests meet real validation."""
        return check_card(form, today)

    async def create(self, order_number: str, amount_paise: int) -> str:
        """A gateway order id derived from the order number: the same one however often it is asked."""
        return "test_" + order_number

    async def authorise(self, gateway_order_id, amount_paise, details, key) -> Charge:
        """Authorise by test card number: special numbers decline or time out, the rest succeed."""
        number = details["number"]
        if number == TIMEOUT:
            await asyncio.sleep(self.delay_seconds)
        if number == DECLINE:
            return Charge("failed", message="Your bank declined the payment. You have not been charged.")
        payment = self.payments.setdefault(
            gateway_order_id, {"id": f"TEST-{secrets.token_hex(6).upper()}-{number[-4:]}", "state": "authorised"}
        )
        return Charge(payment["state"], payment["id"])

    async def capture(self, payment_id, amount_paise, key) -> Charge:
        """Capture an authorised test payment."""
        for payment in self.payments.values():
            if payment["id"] == payment_id:
                payment["state"] = "captured"
                return Charge("captured", payment_id)
        return Charge("failed", payment_id, "Unknown payment.")

    async def look_up(self, gateway_order_id) -> Charge:
        """What happened to a test gateway order."""
        payment = self.payments.get(gateway_order_id)
        return Charge(payment["state"], payment["id"]) if payment else Charge("none")

    async def refund(self, payment_id, amount_paise, key) -> RefundResult:
        """A processed refund, the same one for a repeated key."""
        return self.refunds.setdefault(key, RefundResult("processed", "TESTRF-" + secrets.token_hex(5).upper()))

    async def refund_status(self, refund_id) -> RefundResult:
        """Test refunds are processed at once."""
        return RefundResult("processed", refund_id)


STATE_RANK = {"captured": 4, "authorized": 3, "authorised": 3, "created": 1, "failed": 0}


class GatewayProvider:
    """Card or UPI through the Razorpay-style gateway (gateway.py)."""

    collects_later = False

    def __init__(self, settings: GatewaySettings):
        self.client = GatewayClient(settings)
        self.settings = settings

    async def create(self, order_number: str, amount_paise: int) -> str:
        """The gateway's order for this shop order."""
        return (await self.client.create_order(amount_paise, order_number))["id"]

    async def capture(self, payment_id, amount_paise, key) -> Charge:
        """Capture; a refusal or an outage is 'unknown' so the caller looks the payment up."""
        try:
            payment = await self.client.capture(payment_id, amount_paise, key)
        except GatewayUnavailable:
            return Charge("unknown", payment_id)
        except GatewayRefused as refused:  # e.g. "already captured": the caller looks the order up
            return Charge("unknown", payment_id, describe(refused))
        return charge_of(payment)

    async def look_up(self, gateway_order_id) -> Charge:
        """The best state among the gateway order's payments; 'unknown' while the gateway does not answer."""
        try:
            payments = await self.client.order_payments(gateway_order_id)
        except (GatewayUnavailable, GatewayRefused):
            return Charge("unknown")
        if not payments:
            return Charge("none")
        return charge_of(max(payments, key=lambda p: STATE_RANK.get(p.get("status") or "", 0)))

    async def refund(self, payment_id, amount_paise, key) -> RefundResult:
        """Send a refund; 'unknown' while the gateway does not answer, so it is asked again later."""
        try:
            refund = await self.client.refund(payment_id, amount_paise, key)
        except GatewayUnavailable:
            return RefundResult("unknown")
        except GatewayRefused:
            return RefundResult("failed")
        return refund_result(refund)

    async def refund_status(self, refund_id) -> RefundResult:
        """Where a refund has got to; 'unknown' while the gateway does not answer."""
        try:
            return refund_result(await self.client.fetch_refund(refund_id))
        except (GatewayUnavailable, GatewayRefused):
            return RefundResult("unknown", refund_id)

    def checkout_url(self, gateway_order_id: str, return_url: str) -> str:
        """The gateway's payment page for this gateway order."""
        return self.client.checkout_url(gateway_order_id, return_url)

    def verified_return(self, args) -> tuple[str, str] | None:
        """(gateway order id, payment id) when the return URL's signature is the gateway's; None otherwise."""
        order_id, payment_id = args.get("razorpay_order_id", ""), args.get("razorpay_payment_id", "")
        if (
            order_id
            and payment_id
            and payment_signature_ok(self.settings.key_secret, order_id, payment_id, args.get("razorpay_signature"))
        ):
            return order_id, payment_id
        return None


class GatewayCard(GatewayProvider):
    code, label, redirects = "card", "Credit or debit card", False

    def check_details(self, form, today: date | None = None) -> dict:
        """Check the card fields before anything is reserved."""
        return check_card(form, today)

    async def authorise(self, gateway_order_id, amount_paise, details, key) -> Charge:
        """Authorise the card on the gateway order; a refusal is 'failed' with the bank's reason."""
        card = {
            "number": details["number"],
            "expiry_month": f"{details['expiry_month']:02d}",
            "expiry_year": str(details["expiry_year"]),
            "cvv": details["cvv"],
        }
        try:
            payment = await self.client.pay_by_card(gateway_order_id, amount_paise, card, key)
        except GatewayUnavailable:
            return Charge("unknown")
        except GatewayRefused as refused:
            return Charge("failed", message=describe(refused) + " You have not been charged.")
        return charge_of(payment)


class GatewayUpi(GatewayProvider):
    code, label, redirects = "upi", "UPI (Google Pay, PhonePe, Paytm, BHIM)", True

    def check_details(self, form) -> dict:
        """UPI asks for no details here: the shopper pays on the gateway's page."""
        return {}


def charge_of(payment: dict) -> Charge:
    """Our Charge for a gateway payment, in our words for its state."""
    state = {"authorized": "authorised", "captured": "captured", "failed": "failed"}.get(
        payment.get("status") or "", "none"
    )
    error = payment.get("error_description") or ""
    return Charge(state, payment.get("id") or payment.get("razorpay_payment_id") or "", error)


def refund_result(refund: dict) -> RefundResult:
    """Our RefundResult for a gateway refund."""
    state = {"processed": "processed", "failed": "failed"}.get(refund.get("status") or "", "requested")
    return RefundResult(state, refund.get("id", ""))


def describe(refused: GatewayRefused) -> str:
    """The gateway's own reason for a refusal (short), or a plain one."""
    error = refused.body.get("error") if isinstance(refused.body, dict) else None
    description = error.get("description") if isinstance(error, dict) else None
    return str(description or "Your bank declined the payment.")[:200]


def build_providers(config) -> dict[str, PaymentProvider]:
    """The ways to pay this shop offers, by code, in the order the checkout lists them."""
    providers: list = [CashOnDelivery()]
    if config.get("GATEWAY_URL"):
        settings = GatewaySettings(
            config["GATEWAY_URL"],
            config.get("GATEWAY_KEY_ID") or "",
            config.get("GATEWAY_KEY_SECRET") or "",
            config.get("GATEWAY_WEBHOOK_SECRET") or "",
            float(config.get("PAYMENT_TIMEOUT_SECONDS") or 15),
        )
        providers += [GatewayUpi(settings), GatewayCard(settings)]
    else:
        providers.append(TestCardGateway())
    return {p.code: p for p in providers}


def providers_of(app) -> dict[str, PaymentProvider]:
    """The app's providers, made once (the test card gateway keeps its captures in memory)."""
    if "payment_providers" not in app.extensions:
        app.extensions["payment_providers"] = build_providers(app.config)
    return app.extensions["payment_providers"]
