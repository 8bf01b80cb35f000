"""Payment providers behind one small interface, so a real gateway can plug in later.

- Cash on delivery: nothing to charge now; the order is placed with payment pending.
- A test card gateway that approves, declines or times out depending on the card number,
  like real gateways' sandbox cards. No card number is ever stored: only its last four digits.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Protocol

APPROVE, DECLINE, TIMEOUT = "4111111111111111", "4000000000000002", "4000000000000119"


@dataclass(frozen=True)
class PaymentResult:
    """What the gateway said: the payment status the order is written with, the gateway's
    reference for staff, and a message for the shopper when it failed."""
    status: str  # 'paid', 'pending' (cash on delivery) or 'declined'
    reference: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        """Whether the order may be placed: paid now, or promised (cash on delivery)."""
        return self.status in ("paid", "pending")


class PaymentDetailsError(ValueError):
    """The payment form is incomplete or wrong; str() is the message for the shopper."""


class PaymentProvider(Protocol):
    """What checkout needs from a way to pay: check the form, then charge."""
    code: str
    label: str

    def check_details(self, form) -> dict:
        """Validate the payment fields before anything is reserved; raise PaymentDetailsError."""

    async def charge(self, amount_paise: int, order_number: str, details: dict) -> PaymentResult:
        """Take the money (or promise it). May be slow; the caller bounds it with a timeout."""


class CashOnDelivery:
    """Nothing is charged now; the order is written with the payment pending until delivery."""
    code, label = "cod", "Cash on delivery"

    def check_details(self, form) -> dict:
        """Cash needs no details."""
        return {}

    async def charge(self, amount_paise: int, order_number: str, details: dict) -> PaymentResult:
        """Always accepted: the money is collected at the door."""
        return PaymentResult("pending", "COD")


def luhn_ok(number: str) -> bool:
    """The card number's own check digit: catches a mistyped digit before asking the bank."""
    total = 0
    for i, digit in enumerate(int(d) for d in reversed(number)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


class TestCardGateway:
    """A sandbox card gateway: APPROVE is paid, DECLINE is declined and TIMEOUT never answers
    in time, so every path of checkout can be tried without a bank."""
    code, label = "card", "Credit or debit card (test gateway)"
    delay_seconds = 30.0  # how long the "timeout" card makes the bank take

    def check_details(self, form, today: date | None = None) -> dict:
        """The card number (Luhn), the expiry (MM/YY, not past) and the 3-4 digit code, with
        a message that says which one is wrong. Only the number is kept, and only until the charge."""
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
        return {"number": number}

    async def charge(self, amount_paise: int, order_number: str, details: dict) -> PaymentResult:
        """Answer like the bank would for this test card; a reference keeps only the last four digits."""
        number = details["number"]
        if number == TIMEOUT:
            await asyncio.sleep(self.delay_seconds)
        if number == DECLINE:
            return PaymentResult("declined", message="Your bank declined the payment. You have not been charged.")
        return PaymentResult("paid", f"TEST-{secrets.token_hex(6).upper()}-{number[-4:]}")


PROVIDERS: dict[str, PaymentProvider] = {p.code: p for p in (CashOnDelivery(), TestCardGateway())}
