"""The product page's colour and size picker as this shopper's bag sees it: each variant's stock
badge ("Only 2 left · 1 in bag") and whether the add button can add more. The product page, the
add route's reply and the live stream all take the picker's data from here, so they cannot drift.

The product page is the catalogue's, and the catalogue does not import the bag (the bag imports
the catalogue), so the bag hands the page its picker through `catalog.product_page.picker_source`."""

from __future__ import annotations

from dataclasses import dataclass

from ..accounts.auth import shopper_id
from ..catalog.product_page import picker_source
from . import queries
from .rules import MAX_PER_LINE, Availability
from .token import read_bag_cookie


def variant_stock(variant: dict) -> dict:
    """One variant (a row with `stock` and `in_bag`) with its Availability: what its badge shows."""
    return dict(variant, availability=Availability(variant["stock"], variant["in_bag"]))


def after_adding(variant: dict, quantity: int) -> dict:
    """The variant from `select_variant_in_bag` once `quantity` more are in the bag. Add-to-bag
    answers with the new badge and header count without a third statement, so both are worked
    out here, once: each grows by exactly what the conditional upsert added."""
    return variant_stock(
        dict(variant, in_bag=variant["in_bag"] + quantity, bag_count=int(variant["bag_count"]) + quantity)
    )


@dataclass(frozen=True)
class Picker:
    variants: list[dict]  # each from variant_stock(), in colour then size order
    max_quantity: int = MAX_PER_LINE

    @property
    def first_choice(self) -> dict | None:
        """The variant picked when the page opens: the first that can still be added (None: the
        add button says "Sold out")."""
        return next((v for v in self.variants if v["availability"].can_add_more), None)


async def picker(conn, product_id: int, token: str | None, user_id: int | None) -> Picker:
    """A product's picker for the bag `token` (if it is a guest's or `user_id`'s): the page, the
    live stream and nothing else build it."""
    return Picker(
        [variant_stock(row) for row in await queries.select_product_variants(conn, product_id, token, user_id)]
    )


@picker_source
async def product_page_picker(conn, product_id: int, variants: list[dict]) -> Picker:
    """The picker for this request's bag, for the catalogue's product page, from the variants the
    catalogue read with the product: a guest without a bag costs no statement here, and one with
    a bag, or a signed-in shopper (whose own holds, the waitlist's, count as hers with or without
    a bag), one small read of its lines and holds for this product. Same rows as `picker()` (a test keeps them so)."""
    token = read_bag_cookie().token
    user_id = await shopper_id()
    in_bag: dict[int, int] = {}
    own: dict[int, int] = {}
    if token or user_id is not None:  # a signed-in shopper may have a hold without a bag (the waitlist's)
        in_bag, own = await queries.select_bag_quantities_and_holds(conn, token, user_id, product_id)
    return Picker(
        [
            # the catalogue took every live hold off; her own holds are hers to buy (issue 14)
            variant_stock(
                dict(variant, stock=variant["stock"] + own.get(variant["id"], 0), in_bag=in_bag.get(variant["id"], 0))
            )
            for variant in variants
        ]
    )
