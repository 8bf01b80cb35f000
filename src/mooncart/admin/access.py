"""Back-office access: staff only. Anonymous visitors are sent to log in; shoppers get 403."""

from __future__ import annotations

import logging
from functools import wraps

from quart import abort, redirect, request, url_for

from ..accounts.auth import current_shopper

log = logging.getLogger("mooncart.security")


def staff_required(view):
    @wraps(view)
    async def wrapper(*args, **kwargs):
        user = await current_shopper()
        if user is None:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")), 303)
        if not user["is_staff"]:
            log.warning("access refused", extra={"user": user["id"], "reason": "not staff"})
            abort(403)
        return await view(*args, **kwargs)
    return wrapper
