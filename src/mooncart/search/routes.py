"""Shop search: the results page (`GET /search?q=`, a plain form without JavaScript) and the
header box's type-ahead (`GET /search/suggest?q=`, htmx active search)."""

from __future__ import annotations

from quart import Blueprint, current_app, request

from ..analytics.tracking import note_search
from ..catalog.reference import reference_data
from ..db import get_conn
from ..htmx import fragment, is_htmx
from ..pages import render_page
from .page import search_context, suggestion_context

bp = Blueprint("search", __name__)


@bp.get("/search")
async def results():
    """Products matching the words, with the listings' filters, sorts and "More" pages. The
    filter form swaps the results region over htmx and morphs the facets (their counts follow every
    choice, as on a listing); "More" appends cards. A first page of a
    search is recorded for the back office's analytics (the words normalised, and how many
    products the shopper was shown)."""
    conn = await get_conn()
    reference = await reference_data(conn)
    context = await search_context(conn, reference, request.args, current_app.config["PAGE_SIZE"])
    search = context["search"]
    if search.query and context["total"] is not None:
        note_search(search.corrected_from or search.query, context["total"])
    if is_htmx():
        if search.listing.after is not None:
            return await fragment("search/replies/more_results.html", **context)
        return await fragment("search/replies/filter.html", **context)
    return await render_page("search/results.html", nav_categories=reference.categories, **context)


@bp.get("/search/suggest")
async def suggest():
    """The header box's suggestions as a listbox for the combobox. Typed-in by hand (no htmx),
    the same suggestions as a small page of links."""
    conn = await get_conn()
    context = await suggestion_context(conn, await reference_data(conn), request.args)
    if is_htmx():
        return await fragment("search/_suggestions.html", **context)
    return await render_page("search/suggestions.html", **context)
