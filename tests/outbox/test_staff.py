"""The back office's e-mail page: recent outbox messages with their status, attempts and last
error, and "retry now" for a failed one, with JavaScript (the row is swapped) and without (303)."""

from __future__ import annotations

import pytest

from mooncart.db import execute, fetch_one
from mooncart.outbox import enqueue_email
from tests.conftest import HTMX, log_in, post, soup
from tests.factories import make_user


@pytest.fixture
async def staff(app, conn):
    user = await make_user(conn, name="Riya Staff", is_staff=True)
    client = app.test_client()
    await log_in(client, user)
    return client


async def message(conn, key: str, status: str = "queued", attempts: int = 0, error: str = "") -> int:
    await enqueue_email(
        conn, to=f"{key}@example.in", subject=f"Subject {key}", text="t", html="<p>h</p>", message_key=key
    )
    await execute(
        conn,
        "UPDATE outbox_messages SET status = %s, attempts = %s, last_error = %s WHERE message_key = %s",
        (status, attempts, error, key),
    )
    return (await fetch_one(conn, "SELECT id FROM outbox_messages WHERE message_key = %s", (key,)))["id"]


async def test_staff_see_recent_messages_with_status_attempts_and_last_error(conn, staff):
    queued = await message(conn, "staff-queued")
    sent = await message(conn, "staff-sent", "sent", 1)
    failed = await message(conn, "staff-failed", "failed", 8, "SMTPDataError: (451, 'Try again later')")
    response = await staff.get("/admin/mail")
    assert response.status_code == 200
    page = soup(await response.get_data())
    rows = {r["id"]: r for r in page.select("#outbox tbody tr")}
    assert rows[f"mail-{queued}"].select_one(".mail-status").get_text() == "queued"
    assert rows[f"mail-{sent}"].select_one(".mail-status").get_text() == "sent"
    failed_row = rows[f"mail-{failed}"]
    assert failed_row.select_one(".mail-status").get_text() == "failed"
    assert "451" in failed_row.select_one(".mail-error").get_text() and "8" in failed_row.get_text()
    assert failed_row.find("button", string="Retry now") is not None
    assert rows[f"mail-{sent}"].find("button") is None  # only a failed message is retried
    only_failed = soup(await (await staff.get("/admin/mail?show=failed")).get_data())
    assert {r["id"] for r in only_failed.select("#outbox tbody tr")} >= {f"mail-{failed}"}
    assert f"mail-{sent}" not in {r["id"] for r in only_failed.select("#outbox tbody tr")}
    assert (await staff.get("/admin/mail?show=nonsense")).status_code == 200


async def test_retry_now_without_javascript_queues_it_again_and_comes_back_to_the_list(conn, staff):
    failed = await message(conn, "retry-plain", "failed", 8, "451")
    response = await post(staff, f"/admin/mail/{failed}/retry")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/mail#mail-{failed}")
    row = await fetch_one(conn, "SELECT status, attempts FROM outbox_messages WHERE id = %s", (failed,))
    assert row == {"status": "queued", "attempts": 0}
    page = soup(await (await staff.get("/admin/mail")).get_data())
    assert "Queued again" in page.get_text()


async def test_retry_now_over_htmx_answers_with_the_row_alone(conn, staff):
    failed = await message(conn, "retry-htmx", "failed", 8, "451")
    response = await post(staff, f"/admin/mail/{failed}/retry", headers=HTMX)
    assert response.status_code == 200
    body = await response.get_data(as_text=True)
    assert "<html" not in body
    row = soup(body).find("tr")
    assert row["id"] == f"mail-{failed}" and row.select_one(".mail-status").get_text() == "queued"
    again = await post(staff, f"/admin/mail/{failed}/retry", headers=HTMX)  # queued already: nothing to do
    assert again.status_code == 422 and "Not retried" in await again.get_data(as_text=True)


async def test_retrying_an_unknown_message_is_404_and_shoppers_may_not(app, conn, staff):
    assert (await post(staff, "/admin/mail/4294967295/retry")).status_code == 404
    failed = await message(conn, "retry-shopper", "failed", 8, "451")
    shopper = app.test_client()
    await log_in(shopper, await make_user(conn))
    assert (await post(shopper, f"/admin/mail/{failed}/retry")).status_code == 403
    assert (await shopper.get("/admin/mail")).status_code == 403
    assert (await fetch_one(conn, "SELECT status FROM outbox_messages WHERE id = %s", (failed,)))["status"] == "failed"
