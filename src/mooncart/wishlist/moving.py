"""Moving a wished product's size to the bag: the bag's own rules and statements (the same look-up,
Availability check and conditional upsert as the bag's add), then the wish is taken out, all in one
transaction: a refusal at any step writes nothing, neither in the bag nor in the wishlist."""

from __future__ import annotations

from ..bag import queries as bag_queries
from ..bag.carts import ensure_bag
from ..bag.merge import user_cart
from ..bag.rules import Availability
from ..db import transaction
from . import queries

UNKNOWN_SIZE = "Sorry, that size is no longer in our shop."
NOT_WISHED = "That is not in your wishlist any more."


class Refused(Exception):
    """The move cannot be made; str() is the message for the shopper."""


async def move_to_bag(conn, user_id: int, product_id: int, variant_id: int, token: str | None) -> str:
    """Put one of `variant_id` (a size of `product_id`) in the shopper's bag and take the product
    out of her wishlist. Returns the bag's token (the reply points the cookie at it when it
    differs). Raises Refused, with nothing written, when the size is unknown or
    sold out, the bag may hold no more of it, or the product is no longer wished."""
    async with transaction(conn):
        if token is None:  # a signed-in shopper on a browser without a bag cookie: her account's bag
            token, _ = await user_cart(conn, user_id)
        variant = await bag_queries.select_variant_in_bag(conn, variant_id, token, user_id)
        if variant is None or variant["product_id"] != product_id:
            raise Refused(UNKNOWN_SIZE)
        availability = Availability(variant["stock"], variant["in_bag"])
        allowed, reason = availability.is_purchase_permitted(1)
        if not allowed:
            raise Refused(reason)
        token, cart_id = await ensure_bag(conn, token, variant["cart_id"])
        if not await bag_queries.add_to_line(conn, cart_id, variant_id, 1, availability.line_limit):
            raise Refused("Your bag changed in another tab; please check it and try again.")
        if not await queries.delete_item(conn, user_id, product_id):
            raise Refused(NOT_WISHED)  # moved in another tab a moment ago: the bag line above is undone
    return token
