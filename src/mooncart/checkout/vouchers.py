"""Vouchers: a code on the bag that takes a percentage or a flat amount off the goods.

Rules (a voucher gives nothing, with the reason, when one fails):
- it must be on (staff can switch it off), inside its dates (UTC), and under its total limit;
- a signed-in shopper may use it at most per_shopper_limit times (guests are checked at
  checkout, which needs a log-in);
- limited to categories, it covers only the lines in them (a parent category covers its
  subcategories), and the minimum order is counted on those lines only;
- percentage: that share of the covered lines, in whole paise (rounded down), up to the cap;
  flat: the amount, but never more than the covered lines cost.
The discount is shared among the covered lines, and GST worked out on each line after its
share (see pricing.py for the rule).

The use is counted inside the order's transaction, before the payment is taken: a conditional
UPDATE (used < usage_limit) on the voucher's row, so a limit of 100 gives exactly 100 under any
number of checkouts at once; the shopper's own uses are then counted with a locking read while
that row is locked. A use is given back if the order is never paid for (release_use)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ..formatting import inr
from . import queries
from .pricing import Totals, order_totals, prorate

MAX_CODE_LENGTH = 32
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}")


def clean_code(text: str | None) -> str:
    """What was typed, as codes are stored: upper case, no spaces."""
    return re.sub(r"\s+", "", (text or "")[:64]).upper()


@dataclass(frozen=True)
class Voucher:
    id: int
    code: str
    description: str
    kind: str  # 'percent' or 'flat'
    amount: int  # percent, or paise
    max_discount_paise: int | None
    min_order_paise: int
    starts_at: datetime | None
    expires_at: datetime | None
    usage_limit: int | None
    per_shopper_limit: int | None
    used: int
    active: bool
    not_started: bool
    expired: bool
    category_ids: frozenset[int]

    @classmethod
    def from_row(cls, row: dict) -> Voucher:
        """A Voucher from its query row (category ids arrive as one comma-separated string)."""
        ids = frozenset(int(i) for i in (row["category_ids"] or "").split(",") if i)
        return cls(
            **{
                **row,
                "active": bool(row["active"]),
                "not_started": bool(row["not_started"]),
                "expired": bool(row["expired"]),
                "category_ids": ids,
            }
        )

    @property
    def offer(self) -> str:
        """What it gives, in the shop's words: "10% off (up to ₹500)", "₹200 off"."""
        if self.kind == "percent":
            cap = f" (up to {inr(self.max_discount_paise)})" if self.max_discount_paise else ""
            return f"{self.amount}% off{cap}"
        return f"{inr(self.amount)} off"

    @property
    def used_up(self) -> bool:
        """Whether the voucher has no uses left."""
        return self.usage_limit is not None and self.used >= self.usage_limit


def unusable_because(voucher: Voucher, shopper_uses: int = 0) -> str | None:
    """Why this voucher cannot be used now by this shopper, whatever the bag holds; None if it can."""
    if not voucher.active:
        return f"The code {voucher.code} is no longer available."
    if voucher.not_started:
        return f"The code {voucher.code} can be used from {voucher.starts_at:%d %b %Y, %H:%M} UTC."
    if voucher.expired:
        return f"The code {voucher.code} expired on {voucher.expires_at:%d %b %Y}."
    if voucher.used_up:
        return f"The code {voucher.code} has been fully used."
    if voucher.per_shopper_limit is not None and shopper_uses >= voucher.per_shopper_limit:
        times = "once" if voucher.per_shopper_limit == 1 else f"{voucher.per_shopper_limit} times"
        return f"You have already used the code {voucher.code} ({times} per shopper)."
    return None


def discount_shares(
    voucher: Voucher, lines, line_categories: dict[int, set[int]], category_names: list[str] | None = None
) -> tuple[list[int], str | None]:
    """Each line's share of the discount (in the lines' order), or no discount and the reason."""
    covered = [
        not voucher.category_ids or bool(line_categories.get(line.variant_id, set()) & voucher.category_ids)
        for line in lines
    ]
    values = [line.price_paise * line.quantity if ok else 0 for line, ok in zip(lines, covered)]
    eligible = sum(values)
    nothing = [0] * len(values)
    if eligible == 0:
        names = ", ".join(category_names or []) or "some categories"
        return nothing, f"The code {voucher.code} is for {names} only, and nothing in your bag is."
    if eligible < voucher.min_order_paise:
        what = "of those items " if voucher.category_ids else ""
        return nothing, (
            f"The code {voucher.code} needs an order of {inr(voucher.min_order_paise)} {what}or more: "
            f"add {inr(voucher.min_order_paise - eligible)} more to use it."
        )
    if voucher.kind == "percent":
        discount = eligible * voucher.amount // 100
        if voucher.max_discount_paise:
            discount = min(discount, voucher.max_discount_paise)
    else:
        discount = min(voucher.amount, eligible)
    return prorate(discount, values), None


@dataclass(frozen=True)
class Priced:
    """The bag's money with the voucher it carries: the totals, each line's share of the
    discount, and why the voucher gives nothing (if it does not)."""

    totals: Totals
    voucher: Voucher | None = None
    shares: tuple[int, ...] = ()
    problem: str | None = None

    @property
    def discount_paise(self) -> int:
        """The discount the voucher gives on these lines."""
        return self.totals.discount_paise

    @property
    def code(self) -> str:
        """The applied voucher's code, or empty."""
        return self.voucher.code if self.voucher else ""


async def evaluate(conn, voucher: Voucher, lines, user_id: int | None) -> tuple[list[int], str | None]:
    """The shares of the discount this voucher gives on these lines for this shopper, or the reason it gives none."""
    uses = 0
    if user_id is not None and voucher.per_shopper_limit is not None:
        uses = await queries.count_shopper_redemptions(conn, voucher.id, user_id)
    problem = unusable_because(voucher, uses)
    if problem:
        return [0] * len(lines), problem
    categories, names = {}, None
    if voucher.category_ids:
        categories = await queries.select_line_categories(conn, [line.variant_id for line in lines])
        names = await queries.select_category_names(conn, voucher.category_ids)
    return discount_shares(voucher, lines, categories, names)


async def price_bag(conn, lines, cart_id: int | None, user_id: int | None) -> Priced:
    """The money of these lines (the bag's) with the voucher the bag carries, if any. The one
    function behind the bag's voucher box, the checkout page and placing the order, so what is
    shown and what is charged cannot drift apart."""
    lines = list(lines)
    row = await queries.select_cart_voucher(conn, cart_id) if cart_id and lines else None
    if row is None:
        return Priced(order_totals(lines), shares=tuple([0] * len(lines)))
    voucher = Voucher.from_row(row)
    shares, problem = await evaluate(conn, voucher, lines, user_id)
    return Priced(order_totals(lines, shares), voucher, tuple(shares), problem)


async def apply_code(conn, cart_id: int | None, lines, typed: str | None, user_id: int | None) -> tuple[bool, str]:
    """Put the typed code on the bag if it gives something now: (True, what it gives) or
    (False, why not). Nothing changes when it does not."""
    code = clean_code(typed)
    if not code:
        return False, "Please type a voucher code."
    if not CODE_PATTERN.fullmatch(code):
        return False, "Voucher codes are 3 to 32 letters and digits. Please check the code."
    if cart_id is None or not lines:
        return False, "Add something to your bag first, then use the code."
    row = await queries.select_voucher_by_code(conn, code)
    if row is None:
        return False, f"We don't know the code {code}. Please check it."
    voucher = Voucher.from_row(row)
    shares, problem = await evaluate(conn, voucher, list(lines), user_id)
    if problem:
        return False, problem
    await queries.put_cart_voucher(conn, cart_id, voucher.id)
    return True, f"{voucher.code} applied: {voucher.offer}. You save {inr(sum(shares))}."


async def remove_from_bag(conn, cart_id: int | None) -> bool:
    """Take the voucher off a bag; False when there was none (or no bag)."""
    return cart_id is not None and await queries.delete_cart_voucher(conn, cart_id)


async def claim_use(conn, priced: Priced, user_id: int) -> str | None:
    """Inside the order's transaction, before the payment: count this order's use of the voucher.
    None when it is counted (or there is no discount to count), else the shopper's message; the
    caller then rolls everything back, so the count is as before."""
    voucher = priced.voucher
    if voucher is None or priced.discount_paise == 0:
        return None
    if not await queries.claim_voucher_use(conn, voucher.id):
        return (
            f"The code {voucher.code} has just been fully used (or has ended), so your order was not "
            f"placed and you have not been charged. Please check the new total."
        )
    if (
        voucher.per_shopper_limit is not None
        and await queries.count_shopper_redemptions(conn, voucher.id, user_id, lock=True) >= voucher.per_shopper_limit
    ):
        return (
            f"You have already used the code {voucher.code}, so this order was not placed and you have "
            f"not been charged. Please check the new total."
        )
    return None


async def record_use(conn, priced: Priced, user_id: int, order_id: int, cart_id: int) -> None:
    """In the same transaction, once the order is written: the redemption (the shopper's count),
    and the voucher leaves the bag it was used from."""
    if priced.voucher is None:
        return
    if priced.discount_paise:
        await queries.insert_redemption(conn, priced.voucher.id, user_id, order_id, priced.discount_paise)
    await queries.delete_cart_voucher(conn, cart_id)


async def release_use(conn, order_id: int) -> bool:
    """Give back the use an order counted, when the order is released without being paid for
    (call inside the transaction that releases it). False when it used no voucher."""
    redemption = await queries.select_redemption_for_update(conn, order_id)
    if redemption is None:
        return False
    await queries.release_voucher_use(conn, redemption["id"], redemption["voucher_id"])
    return True
