"""Categories, sizes and colours change a few times a year but are shown on every page, so each
worker keeps them for a short while instead of asking MariaDB three times per request. Staff
edits clear this worker's copy at once; other workers catch up within REFERENCE_CACHE_SECONDS."""

from __future__ import annotations

import time
from dataclasses import dataclass

from quart import current_app

from ..pages import layout_part
from . import queries


@dataclass(frozen=True)
class Reference:
    categories: list
    sizes: list[dict]
    colours: list[dict]


async def reference_data(conn) -> Reference:
    """Categories, sizes and colours, from this worker's copy while it is fresh, else from MariaDB."""
    cache = current_app.extensions.setdefault("reference_cache", {})
    ttl = current_app.config["REFERENCE_CACHE_SECONDS"]
    now = time.monotonic()
    if cache.get("data") is None or now - cache["loaded_at"] > ttl:
        cache["data"] = Reference(
            await queries.select_categories(conn), await queries.select_sizes(conn), await queries.select_colours(conn)
        )
        cache["loaded_at"] = now
    return cache["data"]


def forget_reference_data() -> None:
    """Drop this worker's copy after a staff edit, so the change shows at once."""
    current_app.extensions.setdefault("reference_cache", {})["data"] = None


@layout_part
async def categories_in_layout(conn, context: dict) -> None:
    """The category navigation under the header (a view that already has the tree passes it)."""
    if "nav_categories" not in context:
        context["nav_categories"] = (await reference_data(conn)).categories
