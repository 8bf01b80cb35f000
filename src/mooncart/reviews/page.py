"""What the reviews region of a product page shows, from one function, so the product page, the
review list fragment and a re-rendered review form cannot drift apart."""

from __future__ import annotations

from ..insights import queries as insight_queries
from ..insights.summary import fit_advice
from . import queries
from .queries import FIT_LABELS, SORT_LABELS

PAGE_SIZE = 10


def parse_review_args(args) -> tuple[str, int | None, int]:
    """sort, stars and page from a query string; anything not understood is the default."""
    sort = args.get("sort", "newest")
    if sort not in queries.SORTS:
        sort = "newest"
    raw_stars = args.get("stars", "")
    stars = int(raw_stars) if raw_stars in {"1", "2", "3", "4", "5"} else None
    raw_page = args.get("page", "1")
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) < 5 and int(raw_page) > 0 else 1
    return sort, stars, page


async def review_list(
    conn, product_id: int, shopper: dict | None, sort: str = "newest", stars: int | None = None, page: int = 1
) -> dict:
    """One page of reviews with the controls' state (one statement)."""
    rows = await queries.select_reviews(
        conn,
        product_id,
        sort=sort,
        stars=stars,
        viewer_id=shopper["id"] if shopper else None,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    return dict(
        reviews=rows[:PAGE_SIZE],
        review_sort=sort,
        review_stars=stars,
        review_page=page,
        reviews_more=len(rows) > PAGE_SIZE,
        sort_labels=SORT_LABELS,
        fit_labels=FIT_LABELS,
    )


async def review_section(
    conn, product: dict, shopper: dict | None, sort: str = "newest", stars: int | None = None, page: int = 1
) -> dict:
    """Rating summary with fit advice (one statement), key phrases (one), the list (one), and
    for a signed-in shopper whether she may review and her own review (one)."""
    summary = await insight_queries.select_rating_summary(conn, product["id"])
    context = dict(
        rating=summary,
        fit_advice=fit_advice(summary["fit"]),
        phrases=await insight_queries.select_product_phrases(conn, product["id"]),
        review_rights=(await queries.select_review_rights(conn, product["id"], shopper["id"]) if shopper else None),
    )
    context.update(await review_list(conn, product["id"], shopper, sort, stars, page))
    return context
