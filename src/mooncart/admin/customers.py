"""The back office's customers: what staff may do to a shopper's account."""

from __future__ import annotations

import logging

from quart import flash, request, url_for

from ..accounts.queries import revoke_user_sessions
from ..db import get_conn
from ..htmx import see_other
from .access import staff_required
from .blueprint import ID, bp

log = logging.getLogger("mooncart.security")


@bp.post("/customers/" + ID.format("user_id") + "/sign-out")
@staff_required
async def sign_out_customer(user_id: int):
    """Staff end every session of a customer (a lost phone, a suspected takeover). Back to the
    page it was asked from when that is this shop's, else the orders."""
    ended = await revoke_user_sessions(await get_conn(), user_id)
    log.warning("sessions revoked by staff", extra={"user": user_id, "reason": f"{ended} sessions ended"})
    await flash(f"Signed that customer out of {ended} session{'s' if ended != 1 else ''}.")
    back = request.referrer if (request.referrer or "").startswith(request.host_url) else url_for("admin.orders")
    return see_other(back)
