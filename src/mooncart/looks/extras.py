"""The product page's "Complete the look" region. The catalogue does not import the looks (the
looks import the catalogue), so the region is registered with product_page_extra, when
looks.routes imports this module. One statement for every product page, whether or not the
product is in a look."""

from __future__ import annotations

from ..catalog.product_page import product_page_extra
from . import queries


@product_page_extra
async def complete_the_look(conn, product: dict) -> dict:
    """The newest published look the product is in, with its pieces still for sale (None: no look)."""
    look = await queries.select_look_for_product(conn, product["id"])
    return {"complete_look": look if look is not None and look.is_shown else None}
