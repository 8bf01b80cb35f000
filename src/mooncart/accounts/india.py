"""Indian address and phone formats."""

from __future__ import annotations

import re

STATES = (
    # the 28 states
    "Andhra Pradesh",
    "Arunachal Pradesh",
    "Assam",
    "Bihar",
    "Chhattisgarh",
    "Goa",
    "Gujarat",
    "Haryana",
    "Himachal Pradesh",
    "Jharkhand",
    "Karnataka",
    "Kerala",
    "Madhya Pradesh",
    "Maharashtra",
    "Manipur",
    "Meghalaya",
    "Mizoram",
    "Nagaland",
    "Odisha",
    "Punjab",
    "Rajasthan",
    "Sikkim",
    "Tamil Nadu",
    "Telangana",
    "Tripura",
    "Uttar Pradesh",
    "Uttarakhand",
    "West Bengal",
    # the 8 union territories
    "Andaman and Nicobar Islands",
    "Chandigarh",
    "Dadra and Nagar Haveli and Daman and Diu",
    "Delhi",
    "Jammu and Kashmir",
    "Ladakh",
    "Lakshadweep",
    "Puducherry",
)

_MOBILE = re.compile(r"[6-9][0-9]{9}")
_PIN = re.compile(r"[1-9][0-9]{5}")


def normalise_mobile(raw: str) -> str | None:
    """'+91 98765 43210', '098765-43210' -> '9876543210'; None if it is not an Indian mobile number."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+91"):
        digits = digits[3:]
    elif digits.startswith("91") and len(digits) == 12:
        digits = digits[2:]
    elif digits.startswith("0") and len(digits) == 11:
        digits = digits[1:]
    return digits if _MOBILE.fullmatch(digits) and digits.isascii() else None


def normalise_pin(raw: str) -> str | None:
    """A six-digit Indian PIN code (spaces allowed as typed), or None."""
    pin = re.sub(r"\s", "", raw or "")
    return pin if _PIN.fullmatch(pin) and pin.isascii() else None
