"""The bag page's voucher box: its data from one function, for the page, the box's own htmx
replies and the replies that change a line (the discount follows the bag)."""

from __future__ import annotations

from ..accounts.auth import current_shopper
from ..checkout import queries as checkout_queries
from ..checkout.vouchers import price_bag
from .summary import BagSummary
from .token import read_bag_cookie


async def voucher_box(conn, summary: BagSummary, message: str | None = None, failed: bool = False,
                      code: str = "") -> dict:
    """The box's context: the bag priced with its voucher (priced), and a message after applying
    or removing one (failed: it is a refusal, and code is what was typed)."""
    cart_id = await checkout_queries.select_cart_id(conn, read_bag_cookie().token)
    shopper = await current_shopper()
    priced = await price_bag(conn, summary.lines, cart_id, shopper["id"] if shopper else None)
    return dict(priced=priced, voucher_message=message, voucher_failed=failed, voucher_code=code)
