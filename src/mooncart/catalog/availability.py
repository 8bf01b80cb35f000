"""Stock rules for one variant, as a small pure object (after django-oscar's StockRequired).

`code` doubles as the badge's CSS class; `message` is what the shopper reads.
"""

from __future__ import annotations

from dataclasses import dataclass

LOW_STOCK_LEVEL = 5
MAX_PER_LINE = 10  # no shopper needs eleven of one kurti; keeps resellers honest


@dataclass(frozen=True)
class Availability:
    stock: int
    in_bag: int = 0

    @property
    def code(self) -> str:
        if self.stock <= 0:
            return "outofstock"
        if self.stock <= LOW_STOCK_LEVEL:
            return "lowstock"
        return "instock"

    @property
    def message(self) -> str:
        if self.stock <= 0:
            return "Sold out"
        if self.stock <= LOW_STOCK_LEVEL:
            return f"Only {self.stock} left"
        return "In stock"

    @property
    def line_limit(self) -> int:
        """The most this variant's bag line may hold."""
        return max(0, min(self.stock, MAX_PER_LINE))

    @property
    def can_add_more(self) -> bool:
        return self.in_bag < self.line_limit

    def is_purchase_permitted(self, quantity: int) -> tuple[bool, str]:
        """May the bag line grow by `quantity`? Returns (allowed, reason for the shopper)."""
        if self.stock <= 0:
            return False, "Sorry, this one is sold out."
        total = self.in_bag + quantity
        if total > self.stock:
            if self.in_bag:
                return False, (f"Only {self.stock} left and {self.in_bag} already in your bag, "
                               f"so you can add {max(self.stock - self.in_bag, 0)} more.")
            return False, f"Only {self.stock} left: choose {self.stock} or fewer."
        if total > MAX_PER_LINE:
            return False, f"You can have at most {MAX_PER_LINE} of one item in your bag."
        return True, ""

    def is_line_quantity_permitted(self, quantity: int) -> tuple[bool, str]:
        """May the bag line be set to exactly `quantity`?"""
        return Availability(self.stock, 0).is_purchase_permitted(quantity)


class BadQuantity(ValueError):
    """A quantity the shopper typed that we cannot use; str() is the message to show."""


def parse_quantity(raw: str | None) -> int:
    """A whole number from 1 to MAX_PER_LINE, or BadQuantity with a clear message."""
    text = (raw or "").strip()
    if not text:
        raise BadQuantity("Please enter a quantity.")
    if not text.lstrip("-").isdigit() or not text.isascii() or len(text) > 6:
        raise BadQuantity("Quantity must be a whole number, like 1 or 2.")
    value = int(text)
    if value <= 0:
        raise BadQuantity("Quantity must be at least 1. To take an item out, use Remove.")
    if value > MAX_PER_LINE:
        raise BadQuantity(f"You can have at most {MAX_PER_LINE} of one item in your bag.")
    return value
