"""What issue 15 adds to a product page: the reviews region (rating summary, fit advice, key
phrases, the list, the form) and the three recommendation rows. Five statements for a visitor,
six for a signed-in shopper, whatever the product has; and the view is noted for the clickstream
(written later, off the request path). The catalogue does not import this (reviews import the
catalogue): the functions are registered with product_page_region (what every visitor sees
alike: the recommendation rows, a guest's reviews) and product_page_extra (a signed-in shopper's
own reviews, and the view counted on every request), when reviews.routes imports this module."""

from __future__ import annotations

from quart import current_app

from .. import cache
from ..accounts.auth import auth_manager_key, current_shopper
from ..analytics.tracking import note_product_view
from ..catalog.product_page import product_page_extra, product_page_region
from ..recommendations import queries as recommendation_queries
from .page import review_section


async def _shopper() -> dict | None:
    # an app without log-ins (bench/bare_app.py renders this page bare) has no shopper to ask for
    return await current_shopper() if auth_manager_key in current_app.extensions else None


@product_page_region
async def recommendation_rows(conn, product: dict) -> dict:
    """The three recommendation rows, alike for everyone."""
    return {
        "recommendations": await cache.current().get_or_load(
            f"recommendations:{product['id']}",
            lambda: recommendation_queries.select_for_product(conn, product),
            generations=[cache.CATALOG, cache.STOCK],  # only in-stock products are recommended
        )
    }


@product_page_region
async def reviews_for_everyone(conn, product: dict) -> dict:
    """The reviews region as every visitor who is not signed in sees it (kept in the cache when
    there is one); nothing for a signed-in shopper, whose own is an extra (below)."""
    if await _shopper() is not None:
        return {}
    return await cache.current().get_or_load(
        f"reviews:{product['id']}",
        lambda: review_section(conn, product, None),
        generations=[cache.CATALOG, cache.REVIEWS],
    )


@product_page_extra
async def reviews_of_the_shopper(conn, product: dict) -> dict:
    """A signed-in shopper's reviews region (her own votes, whether she may review); and the
    view is counted for analytics, on every product page served."""
    note_product_view(product)
    shopper = await _shopper()
    return {} if shopper is None else await review_section(conn, product, shopper)
