"""The outbox's sender against a real SMTP server on loopback: it retries when the server refuses
and delivers later, gives up after its attempts for staff to retry, never sends a message twice
when two senders drain at once, runs with the app while it serves and drains on shutdown."""

from __future__ import annotations

import asyncio
import secrets

import aiomysql
import pytest

from mooncart import create_app
from mooncart.db import Database, execute, fetch_one
from mooncart.outbox import enqueue_email, message_id_for
from mooncart.outbox.sender import OutboxSender, SmtpSettings, retry_delay
from tests.conftest import database_url


async def queue(conn, key: str, to: str = "asha@example.in") -> None:
    await enqueue_email(conn, to=to, subject=f"About {key}", text=f"Text {key}", html=f"<p>{key}</p>", message_key=key)


def sender(database, smtp_server, **options) -> OutboxSender:
    options.setdefault("retry_seconds", 0.1)
    return OutboxSender(database, SmtpSettings.from_url(smtp_server.url), **options)


@pytest.fixture
async def only_these(conn):
    """Inside the test's transaction (rolled back after), the outbox holds only what the test
    queues: other tests that commit orders leave their e-mails in the shared database."""
    await execute(conn, "DELETE FROM outbox_messages")


@pytest.fixture
async def outbox(database):
    """A committed outbox for tests whose senders use connections of their own: the keys made
    here, under a prefix of this test's, deleted afterwards."""
    conn = await aiomysql.connect(**database.connect_kwargs())
    prefix = f"test-{secrets.token_hex(4)}:"
    try:
        yield conn, prefix
    finally:
        await execute(conn, "DELETE FROM outbox_messages WHERE message_key LIKE %s", (prefix + "%",))
        conn.close()


async def row(conn, key: str) -> dict:
    return await fetch_one(conn, "SELECT * FROM outbox_messages WHERE message_key = %s", (key,))


async def test_the_sender_retries_when_the_server_refuses_and_delivers_later(app, conn, smtp_server, only_these):
    await queue(conn, "busy-server")
    smtp_server.refuse = 2  # 451 twice, then accept
    mail = sender(app.app.extensions["db"], smtp_server, max_attempts=5)
    assert await mail.drain() == (0, 1)
    first = await row(conn, "busy-server")
    assert first["status"] == "queued" and first["attempts"] == 1 and "451" in first["last_error"]
    assert first["next_attempt_at"] > first["created_at"]  # backed off, not due at once
    for _ in range(40):
        await asyncio.sleep(0.1)
        await mail.drain()
        if (await row(conn, "busy-server"))["status"] == "sent":
            break
    done = await row(conn, "busy-server")
    assert done["status"] == "sent" and done["attempts"] == 3 and done["last_error"] == ""
    assert smtp_server.refused == 2
    [message] = smtp_server.to("asha@example.in")
    assert message["Message-ID"] == message_id_for("busy-server")


async def test_after_its_last_attempt_a_message_is_marked_failed_and_kept(app, conn, smtp_server, only_these):
    await queue(conn, "never-accepted")
    smtp_server.refuse = 100
    mail = sender(app.app.extensions["db"], smtp_server, max_attempts=2, retry_seconds=0.05)
    await mail.drain()
    await asyncio.sleep(0.2)
    await mail.drain()
    failed = await row(conn, "never-accepted")
    assert failed["status"] == "failed" and failed["attempts"] == 2 and "451" in failed["last_error"]
    await asyncio.sleep(0.2)
    assert await mail.drain() == (0, 0)  # failed for good: not tried again by itself
    assert smtp_server.to("asha@example.in") == []


async def test_a_server_that_is_down_counts_as_a_failed_attempt(app, conn, only_these):
    await queue(conn, "no-server")
    down = OutboxSender(app.app.extensions["db"], SmtpSettings.from_url("smtp://127.0.0.1:9?timeout=2"))
    assert await down.drain() == (0, 1)
    assert (await row(conn, "no-server"))["attempts"] == 1


def test_retries_back_off_twice_as_long_each_time_up_to_an_hour():
    assert [retry_delay(n, 30) for n in range(4)] == [30, 60, 120, 240]
    assert retry_delay(50, 30) == 3600


def test_smtp_urls_are_read_and_bad_ones_refused():
    plain = SmtpSettings.from_url("smtp://mailer:s%40cret@mail.example.in:587?starttls=true&timeout=7")
    assert (plain.host, plain.port, plain.username, plain.password) == ("mail.example.in", 587, "mailer", "s@cret")
    assert plain.start_tls is True and plain.use_tls is False and plain.timeout == 7
    tls = SmtpSettings.from_url("smtps://mail.example.in")
    assert tls.use_tls and tls.port == 465 and tls.start_tls is False
    assert SmtpSettings.from_url("smtp://localhost").start_tls is None  # used when offered
    for bad in ("http://x", "smtp://", "smtp://x?starttls=maybe", "smtp://x:notaport", "smtps://x?starttls=true"):
        with pytest.raises(ValueError):
            SmtpSettings.from_url(bad)


async def test_two_senders_at_once_never_send_a_message_twice(database, outbox, smtp_server):
    conn, prefix = outbox
    keys = [f"{prefix}{n}" for n in range(30)]
    for key in keys:
        await queue(conn, key, to="race@example.in")
    smtp_server.delay = 0.01  # each message takes a moment, so the senders overlap
    databases = [Database(database, minsize=1, maxsize=2) for _ in range(2)]
    for db in databases:
        await db.open()
    try:
        first, second = (sender(db, smtp_server, batch_size=3) for db in databases)
        await asyncio.wait_for(asyncio.gather(first.drain(), second.drain()), 30)
    finally:
        for db in databases:
            await db.close()
    received = [m["Message-ID"] for m in smtp_server.to("race@example.in")]
    assert sorted(received) == sorted(message_id_for(key) for key in keys)  # each exactly once
    assert first.sent > 0 and second.sent > 0  # both really sent
    statuses = {(await row(conn, key))["status"] for key in keys}
    assert statuses == {"sent"}


async def test_the_app_runs_a_sender_while_serving_and_drains_on_shutdown(database, outbox, smtp_server):
    conn, prefix = outbox
    app = create_app(
        {
            "SECRET_KEY": "outbox",
            "DATABASE_URL": database_url(database),
            "SMTP_URL": smtp_server.url,
            "MAIL_POLL_SECONDS": 0.1,
        }
    )
    async with app.test_app():
        await queue(conn, prefix + "while-serving", to="serving@example.in")
        await smtp_server.wait_for(1, "serving@example.in", timeout=10)
        running = app.extensions["outbox_sender"]
        running.poll_seconds = 3600  # from now on only a wake or the shutdown sends
        running.wake()
        await asyncio.sleep(0.2)
        await queue(conn, prefix + "at-shutdown", to="shutdown@example.in")
        await asyncio.sleep(0.2)
        assert smtp_server.to("shutdown@example.in") == []  # not polled: still queued
    # leaving test_app is the graceful shutdown: the sender drained before the pool closed
    [message] = smtp_server.to("shutdown@example.in")
    assert message["Message-ID"] == message_id_for(prefix + "at-shutdown")
    assert (await row(conn, prefix + "at-shutdown"))["status"] == "sent"


async def test_without_an_smtp_url_the_app_runs_no_sender_and_mail_stays_queued(database, outbox, caplog):
    conn, prefix = outbox
    app = create_app({"SECRET_KEY": "outbox", "DATABASE_URL": database_url(database), "SMTP_URL": None})
    async with app.test_app():
        await queue(conn, prefix + "unsent")
        assert "outbox_sender" not in app.extensions
    assert "MOONCART_SMTP_URL is not set" in caplog.text
    assert (await row(conn, prefix + "unsent"))["status"] == "queued"
