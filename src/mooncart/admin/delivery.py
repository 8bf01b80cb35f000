"""The back office's delivery table (issue 13.5): the rows shoppers' PIN codes are matched
against, downloaded as a CSV file and replaced by uploading one. The file is read with the csv
module and every row checked before anything is written (delivery/import_csv.py); a file with
any bad row is refused whole, with line-numbered messages, and the table stays as it was."""

from __future__ import annotations

from quart import Response, flash, request, url_for

from ..db import get_conn
from ..delivery import queries as delivery_queries
from ..delivery.import_csv import HEADER, MAX_BYTES, BadFile, read_zones, write_zones
from ..htmx import see_other
from ..pages import render_page
from ..security import accepts_uploads
from .access import staff_required
from .blueprint import bp


async def delivery_page(status: int = 200, problems: list[str] | None = None) -> Response:
    """The table as it is now, the upload form and (after a refused file) what was wrong."""
    zones = await delivery_queries.select_zones(await get_conn())
    return await render_page(
        "admin/delivery.html",
        status=status,
        zones=zones,
        problems=problems or [],
        header=",".join(HEADER),
        max_kb=MAX_BYTES // 1024,
    )


@bp.get("/delivery")
@staff_required
async def delivery():
    """Where we deliver: every PIN prefix with its zone, days and cash on delivery."""
    return await delivery_page()


@bp.get("/delivery.csv")
@staff_required
async def delivery_csv():
    """The table as a CSV file, in the format the upload reads."""
    body = write_zones(await delivery_queries.select_zones(await get_conn()))
    return Response(
        body,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mooncart-delivery.csv"'},
    )


@bp.post("/delivery")
@accepts_uploads(MAX_BYTES + 16 * 1024)  # the file and the form around it; a larger body is a 413
@staff_required
async def upload_delivery():
    """Replace the whole table from a CSV file, in one transaction, or refuse the file (422)
    with a message for each bad line and change nothing."""
    upload = (await request.files).get("table")
    data = upload.read(MAX_BYTES + 1) if upload else b""
    try:
        zones = read_zones(data)
    except BadFile as bad:
        return await delivery_page(status=422, problems=bad.problems)
    await delivery_queries.replace_zones(await get_conn(), zones)
    await flash(f"The delivery table is replaced: {len(zones):,} PIN prefixes.")
    return see_other(url_for("admin.delivery"))
