"""Order totals in integer paise. Indian retail prices include GST, so GST is shown, not added."""

from __future__ import annotations

from dataclasses import dataclass

FREE_SHIPPING_FROM_PAISE = 99_900  # ₹999
SHIPPING_FEE_PAISE = 7_900          # ₹79
GST_THRESHOLD_PAISE = 100_000       # apparel up to ₹1,000 a piece is taxed at 5%, above at 12%


def gst_rate_percent(unit_price_paise: int) -> int:
    """The GST rate of one piece of apparel at this price (the slab depends on the piece,
    not on the line or the order)."""
    return 5 if unit_price_paise <= GST_THRESHOLD_PAISE else 12


def gst_included(unit_price_paise: int, quantity: int) -> int:
    """The GST inside a tax-inclusive price: total * rate / (100 + rate), rounded half up."""
    rate = gst_rate_percent(unit_price_paise)
    total = unit_price_paise * quantity
    return (total * rate * 2 + (100 + rate)) // ((100 + rate) * 2)


@dataclass(frozen=True)
class Totals:
    """An order's money in paise: what the goods cost, shipping, and the GST inside the goods."""
    subtotal_paise: int
    shipping_paise: int
    gst_paise: int

    @property
    def total_paise(self) -> int:
        """What the shopper pays: GST is already inside the prices, so it is not added."""
        return self.subtotal_paise + self.shipping_paise


def order_totals(lines) -> Totals:
    """lines: objects or dicts with unit price and quantity."""
    def get(line, key):
        return line[key] if isinstance(line, dict) else getattr(line, key)
    subtotal = sum(get(l, "price_paise") * get(l, "quantity") for l in lines)
    gst = sum(gst_included(get(l, "price_paise"), get(l, "quantity")) for l in lines)
    shipping = 0 if subtotal >= FREE_SHIPPING_FROM_PAISE or subtotal == 0 else SHIPPING_FEE_PAISE
    return Totals(subtotal, shipping, gst)
