"""The back office, staff only: the dashboard, the catalogue (inline editing over htmx, plain
forms without), stock with its ledger, orders through their state machine, and customers'
sessions. Each concern has its own module; importing them here registers their views on the
blueprint that create_app() mounts at /admin."""

from __future__ import annotations

from . import (  # noqa: F401 # importing registers the views
    analytics,
    catalogue,
    customers,
    dashboard,
    mail,
    orders,
    reviews,
    search_terms,
    stock,
    vouchers,
)
from . import delivery as delivery_views  # noqa: F401 # issue 13.5: the delivery table
from . import size_charts as size_chart_views  # noqa: F401 # issue 13.7: size charts
from .blueprint import bp

__all__ = ["bp"]
