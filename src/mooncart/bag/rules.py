"""What the bag allows for one variant, as a small pure object (after django-oscar's
StockRequired): how many one line may hold, and whether it may grow by a quantity.
`Availability` is the variant's stock level seen from the shopper's bag, so it also gives
the stock badge's `code` and `message`."""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog.availability import StockLevel

MAX_PER_LINE = 10  # no shopper needs eleven of one kurti; keeps resellers honest


@dataclass(frozen=True)
class Availability(StockLevel):
    in_bag: int = 0

    @property
    def line_limit(self) -> int:
        """The most this variant's bag line may hold."""
        return max(0, min(self.stock, MAX_PER_LINE))

    @property
    def can_add_more(self) -> bool:
        """Whether more may still go in: the picker's first choice is a variant that can."""
        return self.in_bag < self.line_limit

    def is_purchase_permitted(self, quantity: int) -> tuple[bool, str]:
        """May the bag line grow by `quantity`? Returns (allowed, reason for the shopper)."""
        if self.stock <= 0:
            return False, "Sorry, this one is sold out."
        total = self.in_bag + quantity
        if total > self.stock:
            if self.in_bag:
                return False, (
                    f"Only {self.stock} left and {self.in_bag} already in your bag, "
                    f"so you can add {max(self.stock - self.in_bag, 0)} more."
                )
            return False, f"Only {self.stock} left: choose {self.stock} or fewer."
        if total > MAX_PER_LINE:
            return False, f"You can have at most {MAX_PER_LINE} of one item in your bag."
        return True, ""

    def is_line_quantity_permitted(self, quantity: int) -> tuple[bool, str]:
        """May the bag line be set to exactly `quantity`?"""
        return Availability(self.stock, 0).is_purchase_permitted(quantity)
