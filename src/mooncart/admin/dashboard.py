"""The back office's first page: sales, orders by status, best sellers, stock rotation, low stock."""

from __future__ import annotations

from datetime import date, timedelta

from ..db import get_conn
from ..formatting import inr
from ..orders.status import LABELS, TRANSITIONS
from ..pages import render_page
from . import queries
from .access import staff_required
from .blueprint import bp
from .charts import bar_chart, days_of_cover, sell_through


def short_rupees(paise: int) -> str:
    """A bar's label: whole rupees, lakhs shortened to L so the label fits above the bar."""
    return inr(paise // 100 * 100).replace(",00,000", "L") if paise else ""


@bp.get("")
@staff_required
async def dashboard():
    """What the owner checks each morning: how sales go, what waits to be packed, what sells
    and what will run out. Every number is one query over the orders and the stock."""
    conn = await get_conn()
    summary = await queries.sales_summary(conn)
    by_day = {row["day"]: int(row["paise"]) for row in await queries.daily_sales(conn, 14)}
    today = date.today()
    days = [today - timedelta(days=n) for n in range(13, -1, -1)]
    sales_chart = bar_chart(
        [(d.strftime("%d/%m"), by_day.get(d, 0)) for d in days],
        "Sales over the last 14 days",
        value_format=short_rupees,
    )
    statuses = {row["status"]: row["orders"] for row in await queries.orders_by_status(conn)}
    status_chart = bar_chart([(LABELS[s], statuses.get(s, 0)) for s in TRANSITIONS], "Orders by status")
    rotation = []
    for row in await queries.inventory_rotation(conn, 30):
        rotation.append(
            dict(
                row,
                sell_through=sell_through(int(row["units"]), int(row["stock"])),
                days_of_cover=days_of_cover(int(row["units"]), int(row["stock"]), 30),
            )
        )
    return await render_page(
        "admin/dashboard.html",
        summary=summary,
        sales_chart=sales_chart,
        status_chart=status_chart,
        top=await queries.top_sellers(conn),
        rotation=rotation,
        low_stock=await queries.select_low_stock(conn, 10),
    )
