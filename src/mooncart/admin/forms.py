"""Reading the back office's forms: clean values plus field -> message for what is wrong."""

from __future__ import annotations

import re

from ..accounts.forms import clean_text

STOCK_REASONS = {"received": "Received from supplier", "damaged": "Damaged or lost", "correction": "Stock count correction"}
MAX_PRICE_PAISE = 10_00_000 * 100  # ₹10 lakh


def rupees_to_paise(raw: str | None) -> int | None:
    """A price typed in rupees ("1499", "1,499.50") as whole paise; None when it is not one."""
    text = (raw or "").strip().replace(",", "").lstrip("₹").strip()
    match = re.fullmatch(r"(\d{1,9})(?:\.(\d{1,2}))?", text)
    if not match or not text.isascii():
        return None
    paise = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    return paise if 0 < paise <= MAX_PRICE_PAISE else None


def whole_number(raw: str | None, low: int, high: int) -> int | None:
    """A whole number within [low, high], or None: form input never reaches SQL unchecked."""
    text = (raw or "").strip()
    if not re.fullmatch(r"-?\d{1,9}", text) or not text.isascii():
        return None
    value = int(text)
    return value if low <= value <= high else None


def product(form, category_ids: set[int]) -> tuple[dict, dict]:
    """A product form's cleaned values and a message per field that is wrong."""
    values = {"name": clean_text(form.get("name"), 160), "description": clean_text(form.get("description"), 5000),
              "fabric": clean_text(form.get("fabric"), 80), "category_id": whole_number(form.get("category_id"), 1, 2**32)}
    errors = {}
    if len(values["name"]) < 3:
        errors["name"] = "Give the product a name of at least 3 characters."
    if values["category_id"] not in category_ids:
        errors["category_id"] = "Choose a category."
    return values, errors


def variant(form, size_ids: set[int], colour_ids: set[int], new: bool) -> tuple[dict, dict]:
    """A variant form's cleaned values and errors; a new variant also needs its size, colour
    and opening stock."""
    values = {"sku": clean_text(form.get("sku"), 40).upper().replace(" ", "-"),
              "price_paise": rupees_to_paise(form.get("price")),
              "low_stock_threshold": whole_number(form.get("low_stock_threshold") or "5", 0, 10_000)}
    errors = {}
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9._-]{2,39}", values["sku"]):
        errors["sku"] = "A SKU is 3-40 letters, digits, dots, dashes or underscores."
    if values["price_paise"] is None:
        errors["price"] = "Enter a price in rupees, like 1499 or 1499.50 (up to ₹10,00,000)."
    if values["low_stock_threshold"] is None:
        errors["low_stock_threshold"] = "The low-stock level is a whole number from 0 to 10,000."
    if new:
        values["size_id"] = whole_number(form.get("size_id"), 1, 65535)
        values["colour_id"] = whole_number(form.get("colour_id"), 1, 65535)
        values["stock"] = whole_number(form.get("stock") or "0", 0, 100_000)
        if values["size_id"] not in size_ids:
            errors["size_id"] = "Choose a size."
        if values["colour_id"] not in colour_ids:
            errors["colour_id"] = "Choose a colour."
        if values["stock"] is None:
            errors["stock"] = "Opening stock is a whole number from 0 to 1,00,000."
    return values, errors


def stock_adjustment(form) -> tuple[dict, str | None]:
    """A stock change: a non-zero whole number, a reason from the ledger's list and a note;
    returns (values, None), or ({}, the message for staff) when one of them is wrong."""
    reason = form.get("reason", "")
    change = whole_number(form.get("change"), -100_000, 100_000)
    note = clean_text(form.get("note"), 200)
    if reason not in STOCK_REASONS:
        return {}, "Choose why the stock is changing."
    if not change:
        return {}, "Enter how many units to add (like 12) or take away (like -2)."
    if reason == "received" and change < 0:
        return {}, "Received stock adds units: enter a positive number."
    if reason == "damaged" and change > 0:
        return {}, "Damaged stock takes units away: enter a negative number, like -2."
    return {"reason": reason, "change": change, "note": note}, None
