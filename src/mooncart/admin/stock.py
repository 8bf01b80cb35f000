"""The back office's stock: adjustments through the ledger, a variant's history, what runs low."""

from __future__ import annotations

from quart import current_app, request

from ..accounts.auth import signed_in_shopper
from ..db import get_conn
from ..holds import waitlist
from ..inventory.events import publish
from ..inventory.stock import InsufficientStock
from ..pages import render_page
from . import forms, queries
from .access import staff_required
from .blueprint import ID, bp
from .catalogue import variant_or_404, variant_row_response


@bp.post("/variants/" + ID.format("variant_id") + "/stock")
@staff_required
async def adjust_stock(variant_id: int):
    """Stock received, damaged or counted again: a change with a reason and a ledger row, never
    below zero nor below what shoppers' live holds keep. Stock received serves the size's
    waitlist in the same transaction (issue 14.2). Open product and bag pages hear the new level at once."""
    conn = await get_conn()
    await variant_or_404(conn, variant_id)
    values, problem = forms.stock_adjustment(await request.form)
    if problem:
        return await variant_row_response(conn, variant_id, error=problem)
    staff = await signed_in_shopper()
    try:
        restocked = await waitlist.restock(
            conn,
            variant_id,
            values["change"],
            values["reason"],
            hours=current_app.config["WAITLIST_HOLD_HOURS"],
            staff_id=staff["id"],
            note=values["note"],
        )
    except InsufficientStock as short:
        return await variant_row_response(
            conn,
            variant_id,
            error=f"There are only {short.left[variant_id]} in stock that shoppers are not holding, "
            "so that many cannot be taken away.",
        )
    levels = restocked.levels
    await publish(levels)
    change = values["change"]
    served = f" {len(restocked.served)} waiting shopper(s) now have one held for them." if restocked.served else ""
    return await variant_row_response(
        conn, variant_id, message=f"Stock {'+' if change > 0 else ''}{change}: now {levels[variant_id]}.{served}"
    )


@bp.get("/variants/" + ID.format("variant_id") + "/history")
@staff_required
async def stock_history(variant_id: int):
    """Every change of a variant's stock, newest first: who or which order, why, and what it left."""
    conn = await get_conn()
    variant = await variant_or_404(conn, variant_id)
    ledger = await queries.select_ledger(conn, variant_id)
    return await render_page("admin/history.html", variant=variant, ledger=ledger)


@bp.get("/stock/low")
@staff_required
async def low_stock():
    """Variants at or under their low-stock threshold, emptiest first: what to reorder."""
    return await render_page("admin/low_stock.html", variants=await queries.select_low_stock(await get_conn()))
