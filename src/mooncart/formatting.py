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


def indian_number(value: int) -> str:
    """1234567 -> '12,34,567'."""
    return format_decimal(value, locale="en_IN")


def register(app) -> None:
    """Make the number filters available to every template."""
    app.jinja_env.filters["inr"] = inr
    app.jinja_env.filters["indian_number"] = indian_number
