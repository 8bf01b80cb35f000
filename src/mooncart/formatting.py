"""Jinja filters: money in INR with Indian digit grouping (Babel), and small display helpers."""

from __future__ import annotations

from functools import lru_cache

from babel.numbers import format_currency, format_decimal


@lru_cache(maxsize=8192)  # prices repeat across a page and across pages; Babel is not free
def inr(paise: int | None) -> str:
    """12345600 paise -> '₹1,23,456'; paise shown only when there are any."""
    if paise is None:
        return ""
    rupees, rest = divmod(int(paise), 100)
    if rest:
        return format_currency(paise / 100, "INR", locale="en_IN", format="¤#,##,##0.00", currency_digits=False)
    return format_currency(rupees, "INR", locale="en_IN", format="¤#,##,##0", currency_digits=False)


def discount_percent(price_paise: int | None, mrp_paise: int | None) -> int:
    """How much below its MRP a price is, in whole percent rounded down, so a discount is never
    overstated (₹1,999 of ₹3,999 is 50% off, not 51%); 0 without an MRP or at it. The same integer
    arithmetic as products.discount_percent's CHECK, so the card, the sort and the filter agree."""
    if not price_paise or not mrp_paise or mrp_paise <= price_paise:
        return 0
    return (int(mrp_paise) - int(price_paise)) * 100 // int(mrp_paise)


def indian_number(value: int) -> str:
    """1234567 -> '12,34,567'."""
    return format_decimal(value, locale="en_IN")


def register(app) -> None:
    """Make the number filters available to every template."""
    app.jinja_env.filters["inr"] = inr
    app.jinja_env.filters["indian_number"] = indian_number
    app.jinja_env.filters["discount_percent"] = discount_percent
