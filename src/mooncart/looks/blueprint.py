"""The looks' one blueprint: the shopper's look page and "Add the look" (routes.py) and the back
office's look pages (staff.py, under /admin/looks, staff only). routes.py imports staff.py,
which is what adds the back office's views to it."""

from __future__ import annotations

from quart import Blueprint

bp = Blueprint("looks", __name__)

# an id in a URL: a whole number that fits the INT UNSIGNED column, so a longer one is a 404, not a 500
ID = "<int(max=4294967295):{}>"
