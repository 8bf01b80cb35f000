"""The back office's size charts (issue 13.7): a category's chart of body measurements in cm,
one box per size of its family and measure. Clearing every box removes the category's own chart,
and its products show the parent category's again."""

from __future__ import annotations

from quart import abort, flash, request, url_for

from ..catalog import queries as catalog_queries
from ..catalog.size_guide import MEASURES, MEASURES_BY_GROUP, parse_cm
from ..db import get_conn
from ..htmx import see_other
from ..pages import render_page
from .access import staff_required
from .blueprint import ID, bp


async def chart_page(conn, category: dict, status: int = 200, typed: dict | None = None, errors=None):
    """The chart form for a category: its own values (or what was typed), or a note that it
    shows its parent's chart."""
    own = await catalog_queries.select_chart_rows(conn, category["id"])
    inherited = (
        await catalog_queries.select_chart_rows(conn, category["parent_id"])
        if not own and category["parent_id"]
        else []
    )
    sizes = [s for s in await catalog_queries.select_sizes(conn) if s["size_group"] == category["size_group"]]
    values = typed if typed is not None else {f"{r['size_id']}-{r['measure']}": str(r["cm"]) for r in own}
    return await render_page(
        "admin/size_chart.html",
        status=status,
        category=category,
        sizes=sizes,
        measures=[(m, MEASURES[m]) for m in MEASURES_BY_GROUP.get(category["size_group"], ())],
        values=values,
        errors=errors or {},
        has_own=bool(own),
        inherited=bool(inherited),
    )


async def category_or_404(conn, category_id: int) -> dict:
    category = await catalog_queries.select_category_for_chart(conn, category_id)
    if category is None:
        abort(404)
    return category


@bp.get("/categories/" + ID.format("category_id") + "/size-chart")
@staff_required
async def size_chart(category_id: int):
    """A category's size chart, to edit."""
    conn = await get_conn()
    return await chart_page(conn, await category_or_404(conn, category_id))


@bp.post("/categories/" + ID.format("category_id") + "/size-chart")
@staff_required
async def save_size_chart(category_id: int):
    """Save the chart: every box is empty or cm from 1 to 299.9; one bad box refuses the form
    (422, nothing saved). All boxes empty: the category shows its parent's chart."""
    conn = await get_conn()
    category = await category_or_404(conn, category_id)
    form = await request.form
    measures = MEASURES_BY_GROUP.get(category["size_group"], ())
    sizes = [s for s in await catalog_queries.select_sizes(conn) if s["size_group"] == category["size_group"]]
    rows, typed, errors = [], {}, {}
    for size in sizes:
        for measure in measures:
            key = f"{size['id']}-{measure}"
            typed[key] = (form.get(key) or "").strip()[:12]
            cm, ok = parse_cm(typed[key])
            if not ok:
                errors[key] = f"{MEASURES[measure]} for {size['label']}: enter cm from 1 to 299.9, like 91.5."
            elif cm is not None:
                rows.append((size["id"], measure, cm))
    if errors:
        return await chart_page(conn, category, status=422, typed=typed, errors=errors)
    await catalog_queries.replace_chart(conn, category_id, rows)
    await flash(
        f"The size chart of {category['name']} is saved."
        if rows
        else f"{category['name']} has no chart of its own now: it shows its parent's, if any."
    )
    return see_other(url_for("admin.size_chart", category_id=category_id))
