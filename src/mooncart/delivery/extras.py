"""The product page's "Check delivery" region, registered with the catalogue (which does not
import this area: the delivery area imports the catalogue). delivery.routes imports it."""

from __future__ import annotations

from quart import request

from ..catalog.product_page import product_page_extra
from .check import delivery_check


@product_page_extra
async def delivery_region(conn, product: dict) -> dict:
    """The check box and its answer: for ?pin= when the form was sent without JavaScript (a GET
    to the product page), else for the PIN this session checked before."""
    return await delivery_check(conn, product, request.args.get("pin"))
