"""The wishlist's pure rules: how the recently-viewed cookie is read and written, how long a
wish made before logging in is kept, how the page's rows become products with sizes, and
which sizes are back in stock. No SQL and no request here."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog.availability import StockLevel
from ..parsing import parse_id

RECENT_LIMIT = 8  # product ids the recently-viewed cookie keeps, newest first
RECENT_MAX_LENGTH = 200  # a longer cookie is not one we wrote: ignored whole, never parsed
PENDING_WISH_SECONDS = 30 * 60  # a heart pressed before logging in counts if she logs in within this


def read_recent(raw: str | None) -> list[int]:
    """The product ids of a recently-viewed cookie ("12.7.3"), newest first: values that are not
    ids and repeats are dropped, at most RECENT_LIMIT kept. The cookie is the browser's to edit,
    so nothing in it is trusted beyond being a number we then look up."""
    if not raw or len(raw) > RECENT_MAX_LENGTH:
        return []
    ids: list[int] = []
    for part in raw.split("."):
        product_id = parse_id(part)
        if product_id and product_id not in ids:  # ids start at 1
            ids.append(product_id)
        if len(ids) == RECENT_LIMIT:
            break
    return ids


def remember(recent: list[int], product_id: int) -> list[int]:
    """The list after viewing `product_id`: it goes first, once, and the oldest falls off."""
    return ([product_id] + [other for other in recent if other != product_id])[:RECENT_LIMIT]


def write_recent(ids: list[int]) -> str:
    """The cookie's value for these ids."""
    return ".".join(str(product_id) for product_id in ids)


def pending_wish(value, now: float) -> int | None:
    """The product of a wish kept in the session while she logged in (`{"product": id, "at":
    time}`), or None when there is none, it is malformed or it is older than PENDING_WISH_SECONDS
    (a heart pressed yesterday should not fill itself at today's log-in)."""
    if not isinstance(value, dict):
        return None
    product_id, at = value.get("product"), value.get("at")
    if not isinstance(product_id, int) or not isinstance(at, (int, float)) or not 0 <= now - at <= PENDING_WISH_SECONDS:
        return None
    return product_id


@dataclass
class WishedProduct:
    """One product of the wishlist page with its sizes (each a variant row with a StockLevel)."""

    id: int
    slug: str
    name: str
    from_price_paise: int
    image_path: str | None
    sizes: list[dict] = field(default_factory=list)

    @property
    def sold_out(self) -> bool:
        """No size can be moved to the bag."""
        return all(size["stock"] <= 0 for size in self.sizes)

    @property
    def first_choice(self) -> dict | None:
        """The size picked when the page opens: the first in stock."""
        return next((size for size in self.sizes if size["stock"] > 0), None)


def group_wishlist(rows: list[dict], returned: set[int] | None = None) -> list[WishedProduct]:
    """The page's rows (one per variant, products in wish order) as products with their sizes;
    `returned` names the variants to mark "Back in stock" (while they are in stock)."""
    products: dict[int, WishedProduct] = {}
    for row in rows:
        product = products.get(row["product_id"])
        if product is None:
            product = products[row["product_id"]] = WishedProduct(
                row["product_id"], row["slug"], row["name"], row["from_price_paise"], row["image_path"]
            )
        if row["variant_id"] is not None:
            product.sizes.append(
                dict(
                    id=row["variant_id"],
                    size=row["size"],
                    colour=row["colour"],
                    price_paise=row["price_paise"],
                    stock=row["stock"],
                    availability=StockLevel(row["stock"]),
                    back_in_stock=row["variant_id"] in (returned or ()) and row["stock"] > 0,
                )
            )
    return list(products.values())


def sold_out_sizes(products: list[WishedProduct]) -> set[int]:
    """The variants that are sold out now: those a restock would bring back."""
    return {size["id"] for product in products for size in product.sizes if size["stock"] <= 0}


def back_in_stock(watched_sold_out: set[int], products: list[WishedProduct]) -> set[int]:
    """Of the variants that were sold out when the page opened, those in stock now."""
    return {
        size["id"]
        for product in products
        for size in product.sizes
        if size["id"] in watched_sold_out and size["stock"] > 0
    }
