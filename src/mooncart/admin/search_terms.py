"""The back office's search words: the spelling variants and synonyms search understands
(saree / sari, lehenga / lehnga, dupatta / chunni / odhni ...), which staff extend as they see
what shoppers type (the analytics page lists searches that found nothing)."""

from __future__ import annotations

from quart import abort, flash, request, url_for

from ..db import get_conn, transaction
from ..htmx import see_other
from ..pages import render_page
from ..search import queries as search_queries
from ..search.lexicon import forget_search_cache
from ..search.rules import clean_term
from .access import staff_required
from .blueprint import ID, bp


async def _page(conn, status: int = 200, values: dict | None = None, errors: dict | None = None):
    rows = await search_queries.select_synonyms(conn)
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["canonical"], []).append(row)
    return await render_page(
        "admin/search_terms.html", status=status, groups=groups, values=values or {}, errors=errors or {}
    )


@bp.get("/search-terms")
@staff_required
async def search_terms():
    """Every group of words that find the same products."""
    return await _page(await get_conn())


@bp.post("/search-terms")
@staff_required
async def add_search_term():
    """Add a word to a group (a new group when the group's name is new). A word already in a
    group is refused with a message; nothing is half-written."""
    conn = await get_conn()
    form = await request.form
    term, term_error = clean_term(form.get("term"))
    group, group_error = clean_term(form.get("group"))
    errors = {k: v for k, v in {"term": term_error, "group": group_error}.items() if v}
    if not errors:
        async with transaction(conn):
            await search_queries.insert_synonym(conn, group, group)  # a group always holds its own name
            if term != group and not await search_queries.insert_synonym(conn, term, group):
                errors["term"] = f"“{term}” is already in a group: remove it there first."
        if not errors:
            forget_search_cache()
            await flash(f"Searches for “{term}” now find {group}.")
            return see_other(url_for("admin.search_terms"))
    return await _page(conn, 422, values={"term": term, "group": group}, errors=errors)


@bp.post("/search-terms/" + ID.format("synonym_id") + "/delete")
@staff_required
async def delete_search_term(synonym_id: int):
    """Take a word out of its group; an unknown one is a 404."""
    if not await search_queries.delete_synonym(await get_conn(), synonym_id):
        abort(404)
    forget_search_cache()
    await flash("Word removed.")
    return see_other(url_for("admin.search_terms"))
