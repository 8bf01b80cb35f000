"""Reading the numbers that forms carry (ids, quantities) in one careful way for every area, so
that "-1", "1e9", "１" or fifty nines get a clear answer, never a 500 or a surprise in SQL."""

from __future__ import annotations

MAX_ID = 4_294_967_295  # the schema's ids are INT UNSIGNED


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
