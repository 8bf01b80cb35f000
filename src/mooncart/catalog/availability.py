"""How much of a variant the shop has, in the shopper's words (after django-oscar's StockRequired).

`code` doubles as the badge's CSS class; `message` is what the shopper reads. What a bag may hold
is the bag's rule, not the catalogue's: see bag/rules.py.
"""

from __future__ import annotations

from dataclasses import dataclass

LOW_STOCK_LEVEL = 5


@dataclass(frozen=True)
class StockLevel:
    stock: int

    @property
    def code(self) -> str:
        """The CSS class of the stock badge (Oscar's codes)."""
        if self.stock <= 0:
            return "outofstock"
        if self.stock <= LOW_STOCK_LEVEL:
            return "lowstock"
        return "instock"

    @property
    def message(self) -> str:
        """What the stock badge says to the shopper."""
        if self.stock <= 0:
            return "Sold out"
        if self.stock <= LOW_STOCK_LEVEL:
            return f"Only {self.stock} left"
        return "In stock"
