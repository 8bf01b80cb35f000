"""Order totals in integer paise. Indian retail prices include GST, so GST is shown, not added.

Discounts (vouchers) and GST, the rule this shop follows:

- A voucher's discount is shared among the lines it applies to in proportion to their value
  (largest remainder, ties to the earlier line), so the lines' shares add up to the discount
  exactly, to the paisa. Lines a voucher does not cover get no share.
- A discount shown on the invoice when the goods are sold is not part of their taxable value
  (CGST Act, section 15(3)(a)), so each line's GST is worked out on its value AFTER its share:
  GST = discounted value x rate / (100 + rate), half a paisa up.
- The apparel slab is decided by the price a piece is actually sold at, so it is judged on the
  discounted value per piece: a ₹1,050 kurti sold at ₹945 with a 10% voucher is taxed at 5%.
- Delivery is never discounted, and free delivery is judged on what the goods cost after the
  discount (what the shopper pays for them)."""

from __future__ import annotations

from dataclasses import dataclass

FREE_SHIPPING_FROM_PAISE = 99_900  # ₹999
SHIPPING_FEE_PAISE = 7_900  # ₹79
GST_THRESHOLD_PAISE = 100_000  # apparel up to ₹1,000 a piece is taxed at 5%, above at 12%


def gst_rate_percent(unit_price_paise: int) -> int:
    """The GST rate of one piece of apparel at this price (the slab depends on the piece,
    not on the line or the order)."""
    return 5 if unit_price_paise <= GST_THRESHOLD_PAISE else 12


def gst_in_value(value_paise: int, rate: int) -> int:
    """The GST inside a tax-inclusive amount: value * rate / (100 + rate), rounded half up."""
    return (value_paise * rate * 2 + (100 + rate)) // ((100 + rate) * 2)


def gst_included(unit_price_paise: int, quantity: int) -> int:
    """The GST inside a tax-inclusive price: total * rate / (100 + rate), rounded half up."""
    return gst_in_value(unit_price_paise * quantity, gst_rate_percent(unit_price_paise))


def discounted_line_gst(unit_price_paise: int, quantity: int, discount_paise: int) -> int:
    """The GST inside a line after its share of a discount: the slab by the discounted value per
    piece (value <= threshold x quantity, so no fractions of a paisa are compared)."""
    value = unit_price_paise * quantity - discount_paise
    rate = 5 if value <= GST_THRESHOLD_PAISE * quantity else 12
    return gst_in_value(value, rate)


def prorate(amount: int, weights: list[int]) -> list[int]:
    """Split amount into whole paise in proportion to weights, adding up to amount exactly:
    each gets the floor of its share, and the paise left over go one each to the largest
    remainders (the earlier line first on a tie). Zero weights get nothing."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    left = amount - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class Totals:
    """An order's money in paise: what the goods cost, shipping, the GST inside the goods (after
    any discount) and the discount."""

    subtotal_paise: int
    shipping_paise: int
    gst_paise: int
    discount_paise: int = 0

    @property
    def goods_paise(self) -> int:
        """What the goods cost after the discount."""
        return self.subtotal_paise - self.discount_paise

    @property
    def total_paise(self) -> int:
        """What the shopper pays: GST is already inside the prices, so it is not added."""
        return self.subtotal_paise - self.discount_paise + self.shipping_paise


def order_totals(lines, line_discounts: list[int] | None = None) -> Totals:
    """lines: objects or dicts with unit price and quantity; line_discounts: each line's share of
    a discount, in the same order (see prorate), or None."""

    def get(line, key):
        """A field of a line, whether it is a dict (a query row) or an object."""
        return line[key] if isinstance(line, dict) else getattr(line, key)

    lines = list(lines)
    discounts = list(line_discounts) if line_discounts is not None else [0] * len(lines)
    if len(discounts) != len(lines):
        raise ValueError("one discount share per line")
    subtotal = sum(get(line, "price_paise") * get(line, "quantity") for line in lines)
    discount = sum(discounts)
    gst = sum(
        discounted_line_gst(get(line, "price_paise"), get(line, "quantity"), d) for line, d in zip(lines, discounts)
    )
    goods = subtotal - discount
    shipping = 0 if goods >= FREE_SHIPPING_FROM_PAISE or subtotal == 0 else SHIPPING_FEE_PAISE
    return Totals(subtotal, shipping, gst, discount)
