"""The bag's arithmetic, in integer paise, from the lines one query returns. `bag_summary()` is
the one way to read a bag: its page, its replies, its live stream and checkout all use it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import queries
from .rules import MAX_PER_LINE, Availability


@dataclass(frozen=True)
class BagLine:
    variant_id: int
    quantity: int
    stock: int
    sku: str
    price_paise: int
    size: str
    colour: str
    product_name: str
    product_slug: str
    image_path: str | None
    # her own live hold on the variant (issue 14): until when (UTC, naive, as the database keeps
    # it) and how many units; None when nothing is held for her
    held_until: datetime | None = None
    held_quantity: int | None = None
    # units others' live holds keep (read by checkout's placement, 0 elsewhere)
    others_held: int = 0

    @property
    def total_paise(self) -> int:
        """The line's price times its quantity, in paise."""
        return self.price_paise * self.quantity

    @property
    def availability(self) -> Availability:
        """What the stock allows this line, for its badge and its quantity box."""
        return Availability(self.stock, self.quantity)

    @property
    def max_quantity(self) -> int:
        """The quantity box's top: the per-line cap (more than the stock is refused with a message)."""
        return MAX_PER_LINE

    @property
    def short_by(self) -> int:
        """Units more than the shop now has (stock may fall after the line was added)."""
        return max(0, self.quantity - self.stock)


@dataclass(frozen=True)
class BagSummary:
    lines: tuple[BagLine, ...]

    @classmethod
    def from_rows(cls, rows: list[dict]) -> BagSummary:
        """The summary of bag_summary's rows, one line each."""
        return cls(tuple(BagLine(**row) for row in rows))

    @property
    def count(self) -> int:
        """Units in the bag: the header's number (the same sum as queries.BAG_COUNT_SQL)."""
        return sum(line.quantity for line in self.lines)

    @property
    def subtotal_paise(self) -> int:
        """The bag's total before shipping, in paise (what the summary and checkout start from)."""
        return sum(line.total_paise for line in self.lines)

    @property
    def is_empty(self) -> bool:
        """An empty bag shows its own page rather than a summary of nothing."""
        return not self.lines

    @property
    def has_short_lines(self) -> bool:
        """Does some line ask for more than is left? The summary warns the shopper."""
        return any(line.short_by for line in self.lines)

    @property
    def held_until(self) -> datetime | None:
        """When the first of her holds on these lines ends (the checkout page's countdown)."""
        return min((line.held_until for line in self.lines if line.held_until), default=None)

    def line(self, variant_id: int) -> BagLine | None:
        """The line for this variant, or None when it is not in the bag (an htmx reply re-renders it)."""
        return next((line for line in self.lines if line.variant_id == variant_id), None)


async def bag_summary(conn, token: str | None, user_id: int | None) -> BagSummary:
    """The bag `token` names (empty when None, or when it is not a guest's bag nor `user_id`'s),
    line by line, in one statement."""
    return BagSummary.from_rows(await queries.select_bag_lines(conn, token, user_id))
