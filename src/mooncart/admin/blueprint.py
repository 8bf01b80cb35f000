"""The back office's one blueprint. Its views live in a module per concern (dashboard.py,
catalogue.py, stock.py, orders.py, customers.py); routes.py imports them all, which is what
adds their routes to it."""

from __future__ import annotations

from quart import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# an id in a URL: a whole number that fits the INT UNSIGNED column, so a longer one is a 404, not a 500
ID = "<int(max=4294967295):{}>"
