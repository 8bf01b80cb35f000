"""The product page's "Complete the look" region. The catalogue does not import the looks (the
looks import the catalogue), so the region is registered with product_page_region, when
looks.routes imports this module. One statement for a product page, whether or not the product
is in a look; none while the shared cache holds it (cache.py)."""

from __future__ import annotations

import dataclasses

from .. import cache
from ..catalog.product_page import product_page_region
from . import queries
from .rules import Look, Piece


def look_as_data(look: Look | None) -> dict:
    """The look as plain data for the cache (None kept too: most products are in no look)."""
    return {"look": None if look is None else dataclasses.asdict(look)}


def look_from_data(data: dict) -> Look | None:
    """The Look that look_as_data() was given."""
    look = data["look"]
    if look is None:
        return None
    return Look(**dict(look, pieces=tuple(Piece(**dict(p, variants=tuple(p["variants"]))) for p in look["pieces"])))


async def look_for_product(conn, product_id: int) -> Look | None:
    """The newest published look the product is in (select_look_for_product), through the shared
    cache: its pieces' sizes show as sold out or not, so any stock event reads it again, as does
    any change staff make (looks are edited in the back office)."""

    async def load() -> dict:
        return look_as_data(await queries.select_look_for_product(conn, product_id))

    data = await cache.current().get_or_load(f"look:{int(product_id)}", load, generations=[cache.CATALOG, cache.STOCK])
    return look_from_data(data)


@product_page_region
async def complete_the_look(conn, product: dict) -> dict:
    """The newest published look the product is in, with its pieces still for sale (None: no look)."""
    look = await look_for_product(conn, product["id"])
    return {"complete_look": look if look is not None and look.is_shown else None}
