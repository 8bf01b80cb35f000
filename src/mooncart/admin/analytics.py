"""The back office's analytics: the funnel (viewed -> added -> checkout -> ordered) by day,
category or device; searches that found nothing; each product's view-to-order conversion beside
its sell-through and days of cover; and every number as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from quart import Response, request

from ..analytics import queries
from ..db import get_conn
from ..pages import render_page
from .access import staff_required
from .blueprint import bp
from .charts import days_of_cover, sell_through

MAX_DAYS = 366
REPORTS = ("funnel", "searches", "products", "events")

# The checkout steps as analytics/tracking.py records them, in the order a shopper meets them,
# with the back office's words for them: the checkout endpoint's name with "-post" for a form
# accepted and "-refused" for one sent back with what was wrong; "placed" when the answer moves
# to the new order (so a place-post is a UPI order sent to the gateway's page, and a
# payment_return one that came back unpaid). A step not named here (a new checkout page) still
# gets its own column, after these, under its recorded name.
CHECKOUT_STEPS = {
    "show": "Opened checkout",
    "apply_voucher-post": "Applied a voucher",
    "remove_voucher-post": "Removed a voucher",
    "apply_voucher-refused": "Voucher refused",
    "place-refused": "Order form sent back",
    "place-post": "Sent to the payment page",
    "payment_return": "Back unpaid from the payment page",
    "placed": "Order placed",
}


def parse_range(args) -> tuple[date, date, str]:
    """From/to dates (the last 14 days unless asked), at most a year apart, and the dimension."""
    today = date.today()

    def day(name: str, default: date) -> date:
        """A date from the query string, or the default when it is missing or not a date (never a 500)."""
        raw = args.get(name, "")
        try:
            return date.fromisoformat(raw) if len(raw) == 10 else default
        except ValueError:
            return default

    end = min(day("to", today), today)
    start = day("from", end - timedelta(days=13))
    if start > end:
        start = end
    if (end - start).days > MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS)
    dimension = args.get("by", "day")
    return start, end, dimension if dimension in queries.DIMENSIONS else "day"


def rate(part, whole) -> float | None:
    """part / whole, or None when there is nothing to divide by (the page shows a dash, not 0%)."""
    return int(part) / int(whole) if whole else None


def step_columns(funnel: list[dict]) -> list[tuple[str, str]]:
    """(step, label) for every checkout step recorded in these rows: the known steps in the order
    a shopper meets them, then any other in name order; a step-less event shows as "(no step)"."""
    recorded = {step for row in funnel for step in row["steps"]}
    known = [(step, label) for step, label in CHECKOUT_STEPS.items() if step in recorded]
    other = [(step, step or "(no step)") for step in sorted(recorded - CHECKOUT_STEPS.keys())]
    return known + other


async def gather(conn, start: date, end: date, dimension: str) -> dict:
    """Everything the analytics page shows for one date range and dimension, in one dict for the template."""
    funnel = [
        dict(row, view_to_order=rate(row["ordered"], row["viewed"]))
        for row in await queries.select_funnel(conn, start, end, dimension)
    ]
    steps = step_columns(funnel)
    for row in funnel:  # the CSV's cells, by column name; a step no visitor of this row recorded is 0
        row.update({f"checkout:{step}": row["steps"].get(step, 0) for step, _label in steps})
    days = (end - start).days + 1
    products = []
    for row in await queries.select_product_conversion(conn, start, end):
        units, stock = int(row["units"]), int(row["stock"])
        products.append(
            dict(
                row,
                conversion=rate(row["buyers"], row["viewers"]),
                sell_through=sell_through(units, stock),
                days_of_cover=days_of_cover(units, stock, days),
            )
        )
    return dict(
        funnel=funnel,
        steps=steps,
        searches=await queries.select_searches_without_results(conn, start, end),
        products=products,
    )


@bp.get("/analytics")
@staff_required
async def analytics():
    """The analytics page."""
    start, end, dimension = parse_range(request.args)
    data = await gather(await get_conn(), start, end, dimension)
    return await render_page(
        "admin/analytics.html", start=start, end=end, dimension=dimension, dimensions=queries.DIMENSIONS, **data
    )


@bp.get("/analytics/<report>.csv")
@staff_required
async def analytics_csv(report: str):
    """One report as CSV (a spreadsheet opens it), for the same dates and dimension."""
    if report not in REPORTS:
        from quart import abort

        abort(404)
    start, end, dimension = parse_range(request.args)
    conn = await get_conn()
    if report == "events":
        rows = await queries.select_events(conn, start, end)
        columns = [
            "id",
            "occurred_at",
            "visitor_id",
            "kind",
            "device",
            "product_id",
            "category_id",
            "variant_id",
            "order_id",
            "quantity",
            "query",
            "results",
            "step",
        ]
    else:
        data = await gather(conn, start, end, dimension)
        rows = data[report]
        columns = {
            "funnel": ["day", "dim", "category_name", "viewed", "added", "checkout"]
            + [f"checkout:{step}" for step, _label in data["steps"]]
            + ["ordered", "view_to_order"],
            "searches": ["query", "searches", "visitors"],
            "products": [
                "id",
                "name",
                "viewers",
                "buyers",
                "conversion",
                "units",
                "stock",
                "sell_through",
                "days_of_cover",
            ],
        }[report]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(c) for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    filename = f"mooncart-{report}-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(
        out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value):
    """A cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
