"""The price the shopper confirmed is the price charged.

The checkout page carries what it showed in a hidden field, signed with the app's secret
(itsdangerous): each line's variant, quantity and unit price, the voucher and its discount,
delivery and the total. Placing the order compares that with the bag as the order's transaction
reads it; if a price was edited by staff, the bag was changed in another tab or the voucher now
gives something else, nothing is placed and the page lists what changed: which line, its old
and new price or quantity, and the new total. A field that is missing or was tampered with is
an out-of-date page. Signed, not secret: it holds only what the page showed anyway."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from quart import current_app

from ..formatting import inr
from . import queries
from .vouchers import price_bag

FIELD = "confirmation"
SALT = "mooncart.checkout.confirmation"
MESSAGE = (
    "Your bag changed after this page was shown, so nothing was ordered and you have not been charged. "
    "Please check the changes below and place the order again."
)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def shown(lines, priced) -> dict:
    """What the page shows, compactly: lines as [variant id, quantity, unit price]."""
    totals = priced.totals
    ordered = sorted(lines, key=lambda line: line.variant_id)  # the bag page's order may differ from the order's
    return {
        "l": [[line.variant_id, line.quantity, line.price_paise] for line in ordered],
        "v": priced.code,
        "d": totals.discount_paise,
        "s": totals.shipping_paise,
        "t": totals.total_paise,
    }


def sign(lines, priced) -> str:
    """The signed record of what the checkout page showed, which the form sends back to be compared."""
    return _serializer().dumps(shown(lines, priced))


def read(token: str | None) -> dict | None:
    """What a page showed, from its field; None when missing, tampered with or malformed."""
    if not token or len(token) > 8192:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    ok = (
        isinstance(data, dict)
        and isinstance(data.get("l"), list)
        and isinstance(data.get("v"), str)
        and all(isinstance(data.get(k), int) for k in ("d", "s", "t"))
        and all(
            isinstance(line, list) and len(line) == 3 and all(isinstance(x, int) for x in line) for line in data["l"]
        )
    )
    return data if ok else None


@dataclass(frozen=True)
class Change:
    """One difference between the page and the bag now, in the shop's words; variant_id for a
    line (None for the voucher, delivery and total)."""

    text: str
    variant_id: int | None = None


def _label(line) -> str:
    return f"{line['product_name']} ({line['colour']}, {line['size']})"


async def compare(conn, confirmed: dict, lines, priced) -> list[Change]:
    """What changed between the page the shopper confirmed and these lines and prices (empty:
    nothing did). Lines that left the bag are named from the catalogue."""
    now = shown(lines, priced)
    if now == confirmed:
        return []
    before = {vid: (qty, price) for vid, qty, price in confirmed["l"]}
    after = {line.variant_id: line for line in lines}
    gone = [vid for vid in before if vid not in after]
    names = await queries.select_variant_names(conn, gone) if gone else {}
    changes = []
    for line in lines:
        label = _label(vars(line))
        if line.variant_id not in before:
            changes.append(
                Change(f"{label} was added to your bag: {line.quantity} × {inr(line.price_paise)}.", line.variant_id)
            )
            continue
        quantity, price = before[line.variant_id]
        if price != line.price_paise:
            changes.append(
                Change(f"{label} now costs {inr(line.price_paise)} each (it was {inr(price)}).", line.variant_id)
            )
        if quantity != line.quantity:
            changes.append(
                Change(f"{label}: you now have {line.quantity} in your bag (it was {quantity}).", line.variant_id)
            )
    for vid in gone:
        label = _label(names[vid]) if vid in names else "An item that has left the shop"
        changes.append(Change(f"{label} is no longer in your bag.", vid))
    if (confirmed["v"], confirmed["d"]) != (now["v"], now["d"]):
        if now["v"] and now["d"]:
            text = f"Your voucher {now['v']} now takes {inr(now['d'])} off (it took {inr(confirmed['d'])})."
        elif now["v"]:
            text = f"Your voucher {now['v']} no longer takes anything off: {priced.problem or 'it does not apply.'}"
        else:
            text = f"The voucher {confirmed['v'] or ''} is no longer on your bag (it took {inr(confirmed['d'])} off)."
        changes.append(Change(" ".join(text.split())))
    if confirmed["s"] != now["s"]:
        changes.append(
            Change(
                f"Delivery is now {inr(now['s']) if now['s'] else 'free'} "
                f"(it was {inr(confirmed['s']) if confirmed['s'] else 'free'})."
            )
        )
    changes.append(Change(f"The new total is {inr(now['t'])} (it was {inr(confirmed['t'])})."))
    return changes


async def page_money(conn, lines, cart_id: int | None, user_id: int) -> dict:
    """The checkout page's money: the bag priced with its voucher, and the signed record of it
    that the form sends back. Also the voucher box's defaults (no message)."""
    priced = await price_bag(conn, lines, cart_id, user_id)
    return dict(
        priced=priced,
        totals=priced.totals,
        confirmation=sign(lines, priced),
        voucher_message=None,
        voucher_failed=False,
        voucher_code="",
    )
