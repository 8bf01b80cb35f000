"""Regions that areas above the bag add to the bag page: the bag may not import them (areas
import each other in one direction only), so each registers a function that gives its region's
context, and the bag page and the replies that change a line ask every registered one. Today
the one region is the voucher box (checkout/voucher_views.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

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


# What areas above the bag do when a line changes (issue 14: holds let go of what left the bag):
# `async hook(conn, user_id, variant_id, quantity)`, quantity 0 when the line was removed; only
# for a signed-in shopper (a guest holds nothing).
LineHook = Callable[..., Awaitable[None]]
_line_hooks: list[LineHook] = []


def on_line_change(hook: LineHook) -> LineHook:
    """Register a hook run after a bag line changed or was removed (once per function)."""
    if hook not in _line_hooks:
        _line_hooks.append(hook)
    return hook


async def line_changed(conn, user_id: int | None, variant_id: int, quantity: int) -> None:
    """Run every registered line hook (nothing for a guest)."""
    if user_id is not None:
        for hook in _line_hooks:
            await hook(conn, user_id, variant_id, quantity)
