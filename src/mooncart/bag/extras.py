"""Regions that areas above the bag add to the bag page: the bag may not import them (areas
import each other in one direction only), so each registers a function that gives its region's
context, and the bag page and the replies that change a line ask every registered one. Today
the one region is the voucher box (checkout/voucher_views.py)."""

from __future__ import annotations

from typing import Awaitable, Callable

from .summary import BagSummary

PageRegion = Callable[..., Awaitable[dict]]
_regions: list[PageRegion] = []


def add_page_region(region: PageRegion) -> PageRegion:
    """Register region(conn, summary, **message) -> context for the bag page (once per function)."""
    if region not in _regions:
        _regions.append(region)
    return region


async def page_regions(conn, summary: BagSummary, **message) -> dict:
    """Every registered region's context, for the bag page or a reply that changed a line;
    message (a region's own refusal or confirmation) goes to every region."""
    context: dict = {}
    for region in _regions:
        context.update(await region(conn, summary, **message))
    return context
