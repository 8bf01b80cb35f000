"""Back-office access: staff only. Anonymous visitors are sent to log in; shoppers get 403;
staff without two-step sign-in are sent to set it up (unless MOONCART_STAFF_TWO_STEP=optional)."""

from __future__ import annotations

import logging
from functools import wraps

from quart import abort, current_app, flash, redirect, request, url_for

from ..accounts.auth import current_shopper

log = logging.getLogger("mooncart.security")


def staff_required(view):
    """Wrap a back-office view: anonymous visitors are sent to log in (and back here after),
    shoppers get 403, staff without two-step sign-in are sent to set it up when it is
    required. Refusals are logged for the security log."""

    @wraps(view)
    async def wrapper(*args, **kwargs):
        """Signed-out visitors go to log in; shoppers who are not staff are refused (and logged)."""
        user = await current_shopper()
        if user is None:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")), 303)
        if not user["is_staff"]:
            log.warning("access refused", extra={"user": user["id"], "reason": "not staff"})
            abort(403)
        if not user["two_step"] and current_app.config["STAFF_TWO_STEP"] == "required":
            log.warning("access refused", extra={"user": user["id"], "reason": "staff without two-step sign-in"})
            await flash(
                "The back office needs two-step sign-in. Set it up here with an authenticator app, "
                "then open the back office again."
            )
            return redirect(url_for("accounts.two_step_settings"), 303)
        return await view(*args, **kwargs)

    return wrapper
