"""My size everywhere: a shopper sets her sizes once, and listings show only what is in stock in
one of them ("Showing your sizes: M, L · show all"), each card saying whether her size is there.

A guest's choice lives in a cookie, a signed-in shopper's on her account (my_size_settings and
my_sizes). The cookie is only a preference, so it is not signed but checked on read: anything
that is not exactly our format, or names no size we sell, is ignored, never an error. When a
guest signs in, the newer of her cookie's choice and her account's is kept."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from quart import after_this_request, g, request

from ..accounts.auth import current_shopper, on_sign_in
from . import queries
from .queries import ListingFilters
from .reference import reference_data

COOKIE_NAME = "mooncart_sizes"
COOKIE_MAX_AGE = 60 * 60 * 24 * 365  # a preference: kept for a year
MAX_COOKIE_LENGTH = 200


@dataclass(frozen=True)
class MySizes:
    size_ids: tuple[int, ...] = ()
    only_mine: bool = True  # listings show only products with one of her sizes in stock
    chosen_at: datetime | None = None  # naive UTC: when she last chose (the newer choice wins at sign-in)


def now() -> datetime:
    """Naive UTC to the second, as the cookie keeps it, so a cookie and the account compare fairly."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def choosable_sizes(sizes: list[dict]) -> list[dict]:
    """The sizes a shopper may call hers: every size but "Free size", which fits everyone."""
    return [size for size in sizes if size["size_group"] != "free"]


def parse_cookie(raw: str | None, known_ids: set[int]) -> MySizes | None:
    """'1.1764300000.3-4' (showing only mine, chosen at, size ids) as MySizes, or None for anything
    else. Sizes we no longer sell are dropped."""
    if not raw or len(raw) > MAX_COOKIE_LENGTH:
        return None
    parts = raw.split(".")
    if len(parts) != 3:
        return None
    flag, stamp, ids = parts
    if flag not in ("0", "1") or not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 11):
        return None
    bits = ids.split("-") if ids else []
    if not all(bit.isascii() and bit.isdigit() and len(bit) <= 5 for bit in bits):
        return None
    try:
        chosen_at = datetime.fromtimestamp(int(stamp), UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None
    if chosen_at > now() + timedelta(days=1):  # from the future: it would beat every later choice at sign-in
        return None
    size_ids = tuple(sorted({int(bit) for bit in bits} & known_ids))
    return MySizes(size_ids, flag == "1", chosen_at)


def cookie_value(mine: MySizes) -> str:
    """The cookie parse_cookie reads back."""
    stamp = int((mine.chosen_at or now()).replace(tzinfo=UTC).timestamp())
    return f"{int(mine.only_mine)}.{stamp}.{'-'.join(str(s) for s in mine.size_ids)}"


async def _known_size_ids(conn) -> set[int]:
    return {size["id"] for size in choosable_sizes((await reference_data(conn)).sizes)}


async def current_my_sizes(conn) -> MySizes:
    """This request's shopper's sizes: her account's when signed in (one statement), else the
    cookie's (none). Read once a request."""
    if "my_sizes" not in g:
        shopper = await current_shopper()
        if shopper is not None:
            row = await queries.select_my_sizes(conn, shopper["id"])
            g.my_sizes = MySizes() if row is None else MySizes(row["size_ids"], row["only_mine"], row["updated_at"])
        else:
            raw = request.cookies.get(COOKIE_NAME)  # most visitors have none: nothing to check it against
            g.my_sizes = (parse_cookie(raw, await _known_size_ids(conn)) if raw else None) or MySizes()
    return g.my_sizes


def _remember_in_cookie(mine: MySizes) -> None:
    """Send the guest's choice back as her cookie (or clear it when she has no sizes left)."""

    def set_cookie(response):
        if mine.size_ids:
            response.set_cookie(
                COOKIE_NAME,
                cookie_value(mine),
                max_age=COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure,
                path="/",
            )
        else:
            response.delete_cookie(COOKIE_NAME, path="/")
        return response

    after_this_request(set_cookie)


async def save_my_sizes(conn, size_ids: tuple[int, ...], only_mine: bool) -> MySizes:
    """Keep her choice: on her account when signed in, else in the guest cookie."""
    mine = MySizes(tuple(sorted(set(size_ids))), only_mine, now())
    shopper = await current_shopper()
    if shopper is not None:
        await queries.replace_my_sizes(conn, shopper["id"], mine.size_ids, only_mine, mine.chosen_at or now())
    else:
        _remember_in_cookie(mine)
    g.my_sizes = mine
    return mine


async def switch_only_mine(conn, only_mine: bool) -> MySizes:
    """ "Show all" and "show only my sizes": the switch, keeping her sizes."""
    mine = replace(await current_my_sizes(conn), only_mine=only_mine, chosen_at=now())
    shopper = await current_shopper()
    if shopper is not None:
        await queries.update_only_my_sizes(conn, shopper["id"], only_mine, mine.chosen_at or now())
    else:
        _remember_in_cookie(mine)
    g.my_sizes = mine
    return mine


@on_sign_in
async def keep_guest_sizes(conn, user_id: int) -> None:
    """A guest who chose her sizes and then signs in keeps them: the cookie's choice goes onto the
    account unless the account's is newer (chosen since, on another device)."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:  # most sign-ins: nothing to read, so not a statement spent
        return
    cookie = parse_cookie(raw, await _known_size_ids(conn))
    if cookie is None or not cookie.size_ids or cookie.chosen_at is None:
        return
    account = await queries.select_my_sizes(conn, user_id)
    if account is None or account["updated_at"] <= cookie.chosen_at:
        await queries.replace_my_sizes(conn, user_id, cookie.size_ids, cookie.only_mine, cookie.chosen_at)
    g.pop("my_sizes", None)


@dataclass
class MySizesInListing:
    """Her sizes as one listing sees them: the ones it offers, whether it shows only those in
    stock, and (after the page is read) which of them each card has in stock."""

    ids: tuple[int, ...] = ()  # her sizes this listing offers (no shoe sizes among the kurtis)
    labels: list[str] = field(default_factory=list)
    only_mine: bool = True  # her switch
    active: bool = False  # this listing shows only products with one of them in stock
    in_stock: dict[int, list[str]] = field(default_factory=dict)
    # the sizes of kinds she set none of (Free size, shoes...): products in those show when in stock
    others: tuple[int, ...] = ()
    other_kind: set[int] = field(default_factory=set)  # cards in one of those kinds: no word on her size

    def filters(self, chosen: ListingFilters) -> ListingFilters:
        """What the listing applies: her sizes, in stock, on one variant (ListingFilters' own rule),
        when active; else exactly what she ticked."""
        return replace(chosen, size_ids=self.ids + self.others, in_stock_only=True) if self.active else chosen

    def card(self, product_id: int) -> list[str]:
        """Her sizes this product has in stock."""
        return self.in_stock.get(product_id, [])

    def speaks_for(self, product_id: int) -> bool:
        """Whether the card says anything of her size: not for a Free-size saree when she set S."""
        return product_id not in self.other_kind

    async def read_cards(self, conn, product_ids: list[int]) -> None:
        """Which of her sizes each card has in stock: one statement for the page (none without sizes)."""
        if not self.ids or not product_ids:
            return
        found = await queries.select_sizes_in_stock(conn, product_ids, self.ids + self.others)
        label_of = dict(zip(self.ids, self.labels, strict=True))
        for product_id, size_ids in found.items():
            self.in_stock[product_id] = [label_of[s] for s in self.ids if s in size_ids]
            if not self.in_stock[product_id]:  # only sizes of a kind she set none of
                self.other_kind.add(product_id)


def my_sizes_in_listing(mine: MySizes, offered: list[dict], chosen: ListingFilters) -> MySizesInListing:
    """Her sizes among those a listing offers (`offered`, in display order); they filter it when
    her switch is on and she has not ticked sizes of her own in the filters (a ticked size is a
    choice for this listing, and wins).

    A listing that offers several kinds of size (a search, ethnic wear's sarees beside its kurtis)
    applies her sizes to the products that come in a kind she chose sizes of; the others (a
    saree in Free size, jeans when she set no waist) show as long as they are in stock: she set
    S and M, so a Free-size saree fits her, and her search for "saree" must not come up empty."""
    if len(offered) < 2:  # sarees and bags come in one size: nothing to choose by
        return MySizesInListing(only_mine=mine.only_mine)
    yours = [size for size in offered if size["id"] in mine.size_ids]
    ids = tuple(size["id"] for size in yours)
    her_groups = {size["size_group"] for size in yours}
    others = tuple(size["id"] for size in offered if size["size_group"] not in her_groups)
    return MySizesInListing(
        ids=ids,
        labels=[size["label"] for size in yours],
        only_mine=mine.only_mine,
        active=bool(ids) and mine.only_mine and not chosen.size_ids,
        others=others,
    )
