"""The one function a product page calls for everything issue 15 adds to it: the reviews region
(rating summary, fit advice, key phrases, the list, the form) and the three recommendation rows.
Five statements for a visitor, six for a signed-in shopper, whatever the product has; and the
view is noted for the clickstream (written later, off the request path). The catalogue does not
import this (reviews import the catalogue): it is registered with product_page_extra, when
reviews.routes imports it."""

from __future__ import annotations

from quart import current_app

from .. import cache
from ..accounts.auth import auth_manager_key, current_shopper
from ..analytics.tracking import note_product_view
from ..catalog.product_page import product_page_extra
from ..recommendations import queries as recommendation_queries
from .page import review_section


@product_page_extra
async def product_insights(conn, product: dict) -> dict:
    """The product page's reviews, phrases and recommendations; the view is counted for analytics."""
    # an app without log-ins (bench/bare_app.py renders this page bare) has no shopper to ask for
    shopper = await current_shopper() if auth_manager_key in current_app.extensions else None
    if shopper is None:  # what every visitor sees alike is kept in the cache (when there is one)
        context = await cache.current().get_or_load(
            f"reviews:{product['id']}",
            lambda: review_section(conn, product, None),
            generations=[cache.CATALOG, cache.REVIEWS],
        )
    else:  # her own votes and whether she may review are hers alone
        context = await review_section(conn, product, shopper)
    context["recommendations"] = await cache.current().get_or_load(
        f"recommendations:{product['id']}",
        lambda: recommendation_queries.select_for_product(conn, product),
        generations=[cache.CATALOG, cache.STOCK],  # only in-stock products are recommended
    )
    note_product_view(product)
    return context
