"""Reading the numbers that forms carry (ids, quantities, whole numbers, prices in rupees) in one
careful way for every area, so that "-1", "1e9", "１" or fifty nines get a clear answer, never a 500
or a surprise in SQL."""

from __future__ import annotations

import re

MAX_ID = 4_294_967_295  # the schema's ids are INT UNSIGNED
# int() of more than 4,300 digits raises ValueError (Python's guard against slow conversions): a
# number is converted only when it is short enough to be one we could mean (leading zeros allowed)
MAX_NUMBER_LENGTH = 12


def parse_id(raw: str | None) -> int | None:
    """A database id from a form field, or None for anything that is not one."""
    text = (raw or "").strip()
    if text.isascii() and text.isdigit() and 0 < len(text) <= 10 and int(text) <= MAX_ID:
        return int(text)
    return None


class BadQuantity(ValueError):
    """A quantity the shopper typed that we cannot use; str() is the message to show."""


def parse_quantity(raw: str | None, most: int) -> int:
    """A whole number from 1 to `most`, or BadQuantity with a message the shopper can act on."""
    text = (raw or "").strip()
    if not text:
        raise BadQuantity("Please enter a quantity.")
    if not text.lstrip("-").isdigit() or not text.isascii() or len(text) > 6:
        raise BadQuantity("Quantity must be a whole number, like 1 or 2.")
    value = int(text)
    if value <= 0:
        raise BadQuantity("Quantity must be at least 1. To take an item out, use Remove.")
    if value > most:
        raise BadQuantity(f"You can have at most {most} of one item in your bag.")
    return value


def parse_whole_number(raw: str | None, low: int, high: int) -> int | None:
    """A whole number within [low, high], or None: form input never reaches SQL unchecked."""
    text = (raw or "").strip()
    if not re.fullmatch(r"-?\d{1,9}", text) or not text.isascii():
        return None
    value = int(text)
    return value if low <= value <= high else None


def typed_rupees(raw: str | None) -> str:
    """What is left of a typed price without its ₹ sign, spaces and thousands commas: empty when the
    box held nothing that could be a price (a filter box left blank, or holding just "₹")."""
    return (raw or "").strip().replace(",", "").lstrip("₹").strip()


def parse_rupees(raw: str | None, least_paise: int, most_paise: int, *, whole: bool = False) -> int | None:
    """A price typed in rupees ("1499", "1,499.50", "₹1499") as paise within [least_paise, most_paise],
    or None when it is not one. `whole` refuses paise, for boxes that ask for whole rupees. The caller
    says what went wrong in its own words (a listing filter is ignored, a back-office price is an error)."""
    text = typed_rupees(raw)
    pattern = rf"(\d{{1,{MAX_NUMBER_LENGTH}}})" + ("" if whole else r"(?:\.(\d{1,2}))?")
    match = re.fullmatch(pattern, text)
    if not match or not text.isascii():
        return None
    fraction = match.group(2) if match.lastindex == 2 else None
    paise = int(match.group(1)) * 100 + int((fraction or "0").ljust(2, "0"))
    return paise if least_paise <= paise <= most_paise else None
