"""The back office's view of the e-mail outbox: recent messages with their status (queued, sent,
failed), attempts and last error, and "retry now" for a failed one."""

from __future__ import annotations

from quart import abort, current_app, flash, request, url_for

from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..outbox import queries as outbox_queries
from ..pages import render_page
from .access import staff_required
from .blueprint import ID, bp

FILTERS = {"all": None, "queued": "queued", "sent": "sent", "failed": "failed"}


@bp.get("/mail")
@staff_required
async def mail():
    """The newest 100 messages (or those of one status), and how many there are of each status."""
    shown = request.args.get("show", "all")
    if shown not in FILTERS:
        shown = "all"
    conn = await get_conn()
    messages = await outbox_queries.select_recent(conn, 100, FILTERS[shown])
    counts = await outbox_queries.count_by_status(conn)
    return await render_page(
        "admin/mail.html",
        messages=messages,
        counts=counts,
        shown=shown,
        filters=FILTERS,
        sending=bool(current_app.config.get("SMTP_URL")),
    )


@bp.post("/mail/" + ID.format("message_id") + "/retry")
@staff_required
async def retry_mail(message_id: int):
    """Queue a failed message again, due at once with a fresh count of attempts; over htmx the
    answer is its row. A message that is not failed is left as it is, and staff are told why."""
    conn = await get_conn()
    retried = await outbox_queries.retry_now(conn, message_id)
    message = await outbox_queries.select_message(conn, message_id)
    if message is None:
        abort(404)
    note = "Queued again: it goes out with the next batch." if retried else f"Not retried: it is {message.status}."
    if retried and (sender := current_app.extensions.get("outbox_sender")) is not None:
        sender.wake()
    if is_htmx():
        return await fragment("admin/_mail_row.html", status=200 if retried else 422, m=message, row_message=note)
    await flash(note)
    return see_other(url_for("admin.mail") + f"#mail-{message_id}")
