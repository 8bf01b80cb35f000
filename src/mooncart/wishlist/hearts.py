"""Which hearts on a page are filled: the signed-in shopper's wished product ids, read once per
request (one statement, only for a signed-in shopper; none for a guest) and given to every page
through the layout, and to the catalogue's htmx fragments (a listing's filters and "More" bring
cards with hearts) through a context processor. A product card's heart and the product page's
heart read `wished_ids` from the template context; a page without it shows empty hearts."""

from __future__ import annotations

from quart import current_app, g, has_request_context, request

from ..accounts.auth import auth_manager_key, current_shopper
from ..catalog.product_page import product_page_varies_with
from ..db import get_conn
from ..htmx import is_htmx
from ..pages import layout_part
from . import queries


@product_page_varies_with("wished_ids")  # the product page's cached HTML has one copy per set of hearts
async def wished_ids(conn) -> frozenset[int]:
    """This request's shopper's wished product ids (empty for a guest, without a statement)."""
    if "wished_ids" not in g:
        # an app without log-ins (bench/bare_app.py renders the shop's pages bare) has no shopper
        shopper = await current_shopper() if auth_manager_key in current_app.extensions else None
        g.wished_ids = frozenset() if shopper is None else await queries.select_wished_ids(conn, shopper["id"])
    return g.wished_ids


def forget_wished_ids() -> None:
    """After a change to the wishlist, the next read in this request sees it."""
    g.pop("wished_ids", None)


@layout_part
async def hearts_in_layout(conn, context: dict) -> None:
    """Every page may show product cards (home, listings, the product page's rows, the bag's
    recently viewed), so every page knows which hearts are filled."""
    if "wished_ids" not in context:
        context["wished_ids"] = await wished_ids(conn)


async def hearts_in_catalog_fragments() -> dict:
    """The catalogue's htmx fragments (filtered results, the next page of cards) are rendered
    without the layout: their hearts need the same ids. Only those: a POST's reply (add to bag)
    renders no cards and should not pay for the statement."""
    if not has_request_context() or request.blueprint != "catalog" or not is_htmx():  # e-mails render outside requests
        return {}
    return {"wished_ids": await wished_ids(await get_conn())}
