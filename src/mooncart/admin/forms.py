"""Reading the back office's forms: clean values plus field -> message for what is wrong."""

from __future__ import annotations

import re
from typing import Any

from ..accounts.forms import clean_text
from ..formatting import inr
from ..parsing import parse_rupees, parse_whole_number

STOCK_REASONS = {
    "received": "Received from supplier",
    "damaged": "Damaged or lost",
    "correction": "Stock count correction",
}
MAX_PRICE_PAISE = 10_00_000 * 100  # ₹10 lakh


def product(form, category_ids: set[int]) -> tuple[dict, dict]:
    """A product form's cleaned values and a message per field that is wrong."""
    values: dict[str, Any] = {
        "name": clean_text(form.get("name"), 160),
        "description": clean_text(form.get("description"), 5000),
        "fabric": clean_text(form.get("fabric"), 80),
        "fit_note": clean_text(form.get("fit_note"), 200),
        "category_id": parse_whole_number(form.get("category_id"), 1, 2**32),
    }
    errors = {}
    if len(values["name"]) < 3:
        errors["name"] = "Give the product a name of at least 3 characters."
    if values["category_id"] not in category_ids:
        errors["category_id"] = "Choose a category."
    return values, errors


def mrp(form, price_paise: int | None, errors: dict) -> int | None:
    """The MRP box beside a price: blank means the price itself (no discount shown); a price above
    its MRP is refused, since an Indian shop may not charge more than the printed MRP (Legal
    Metrology). None when the MRP is wrong (its message is in errors["mrp"])."""
    raw = (form.get("mrp") or "").strip()
    if not raw:
        return price_paise
    value = parse_rupees(raw, 1, MAX_PRICE_PAISE)
    if value is None:
        errors["mrp"] = "Enter the MRP in rupees, like 2999, or leave it empty when it is the price."
    elif price_paise is not None and price_paise > value:
        errors["mrp"] = (
            f"The price ({inr(price_paise)}) is above the MRP ({inr(value)}): nothing may sell above its MRP. "
            "Lower the price or correct the MRP."
        )
        return None
    return value


def variant(form, size_ids: set[int], colour_ids: set[int], new: bool) -> tuple[dict, dict]:
    """A variant form's cleaned values and errors; a new variant also needs its size, colour
    and opening stock."""
    values: dict[str, Any] = {
        "sku": clean_text(form.get("sku"), 40).upper().replace(" ", "-"),
        "price_paise": parse_rupees(form.get("price"), 1, MAX_PRICE_PAISE),
        "low_stock_threshold": parse_whole_number(form.get("low_stock_threshold") or "5", 0, 10_000),
    }
    errors = {}
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9._-]{2,39}", values["sku"]):
        errors["sku"] = "A SKU is 3-40 letters, digits, dots, dashes or underscores."
    if values["price_paise"] is None:
        errors["price"] = "Enter a price in rupees, like 1499 or 1499.50 (up to ₹10,00,000)."
    values["mrp_paise"] = mrp(form, values["price_paise"], errors)
    if values["low_stock_threshold"] is None:
        errors["low_stock_threshold"] = "The low-stock level is a whole number from 0 to 10,000."
    if new:
        values["size_id"] = parse_whole_number(form.get("size_id"), 1, 65535)
        values["colour_id"] = parse_whole_number(form.get("colour_id"), 1, 65535)
        values["stock"] = parse_whole_number(form.get("stock") or "0", 0, 100_000)
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
    typed = (form.get("change") or "").strip()
    # the box's placeholder reads "+12 or -2", so a leading plus before the digits is what staff type
    unsigned = typed[1:] if typed[:1] == "+" and typed[1:2].isdigit() else typed
    change = parse_whole_number(unsigned, -100_000, 100_000)
    note = clean_text(form.get("note"), 200)
    if reason not in STOCK_REASONS:
        return {}, "Choose why the stock is changing."
    if change is None and parse_whole_number(unsigned, -(10**9), 10**9) is not None:
        return {}, "A stock change can add or take away up to 100,000 units at a time."
    if not change:
        return {}, "Enter how many units to add (like 12 or +12) or take away (like -2)."
    if reason == "received" and change < 0:
        return {}, "Received stock adds units: enter a positive number."
    if reason == "damaged" and change > 0:
        return {}, "Damaged stock takes units away: enter a negative number, like -2."
    return {"reason": reason, "change": change, "note": note}, None
