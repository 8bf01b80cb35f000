"""The back office's review moderation: hide a review with a reason (it leaves the shop's pages
and its product's rating), show it again; hidden ones stay listed here with who hid them and why."""

from __future__ import annotations

from quart import abort, flash, request, url_for

from ..accounts.auth import signed_in_shopper
from ..accounts.forms import clean_text
from ..db import get_conn
from ..htmx import see_other
from ..pages import render_page
from ..reviews import queries as review_queries
from .access import staff_required
from .blueprint import ID, bp

FILTERS = {"all": None, "visible": False, "hidden": True}


@bp.get("/reviews")
@staff_required
async def reviews():
    """The newest reviews with their analysis (sentiment, fit read from the words)."""
    shown = request.args.get("show", "all")
    if shown not in FILTERS:
        shown = "all"
    rows = await review_queries.select_reviews_for_staff(await get_conn(), FILTERS[shown])
    return await render_page("admin/reviews.html", reviews=rows, shown=shown, filters=FILTERS)


@bp.post("/reviews/" + ID.format("review_id") + "/hide")
@staff_required
async def hide_review(review_id: int):
    """Hide a review; a reason is required, so the next member of staff knows why."""
    reason = clean_text((await request.form).get("reason"), 200)
    if len(reason) < 3:
        await flash("Please give a reason for hiding the review.")
        return see_other(url_for("admin.reviews") + f"#review-{review_id}")
    staff = await signed_in_shopper()
    if not await review_queries.set_hidden(await get_conn(), review_id, staff["id"], reason):
        abort(404)
    await flash("The review is hidden from the shop.")
    return see_other(url_for("admin.reviews") + f"#review-{review_id}")


@bp.post("/reviews/" + ID.format("review_id") + "/show")
@staff_required
async def show_review(review_id: int):
    """Put a hidden review back in the shop (404 for an unknown id)."""
    if not await review_queries.set_hidden(await get_conn(), review_id, None, None):
        abort(404)
    await flash("The review is back in the shop.")
    return see_other(url_for("admin.reviews") + f"#review-{review_id}")
