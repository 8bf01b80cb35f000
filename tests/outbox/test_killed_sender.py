"""The outbox under a killed sender, and `mooncart send-mail`: a sender process killed with
SIGKILL after the SMTP server has the message but before it marked it sent leaves the message
claimed; once the claim's lease ends the next sender sends it again, with the same Message-ID.
So a message arrives once, or at most twice as one message in a mail client (docs/EMAIL.md)."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time

import aiomysql
import pytest

from mooncart.db import execute, fetch_one, fetch_val
from mooncart.outbox import enqueue_email, message_id_for

LEASE_SECONDS = 4  # a sender's lease is at least four times its SMTP timeout, and the URL asks for 1s


def environment(database, smtp_server) -> dict:
    return dict(
        os.environ,
        MOONCART_DATABASE_URL=database.url,
        MOONCART_SECRET_KEY="cli-test",
        MOONCART_SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}?timeout=1",
        MOONCART_MAIL_LEASE_SECONDS=str(LEASE_SECONDS),
    )


def send_mail(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mooncart", "send-mail"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
async def committed_outbox(database):
    conn = await aiomysql.connect(**database.connect_kwargs())
    key = f"test-killed-{secrets.token_hex(4)}"
    # a sender process sends everything due: what tests before this one committed (their orders'
    # e-mails) would reach the SMTP server first, so the outbox starts empty here
    await execute(conn, "DELETE FROM outbox_messages")
    try:
        yield conn, key
    finally:
        await execute(conn, "DELETE FROM outbox_messages WHERE message_key LIKE %s", (key + "%",))
        conn.close()


async def test_a_sender_killed_between_send_and_mark_sends_again_with_the_same_message_id(
    database, committed_outbox, smtp_server
):
    conn, key = committed_outbox
    address = f"{key}@example.in"
    await enqueue_email(conn, to=address, subject="Your order", text="Plain", html="<p>HTML</p>", message_key=key)
    env = environment(database, smtp_server)
    process: dict = {}

    def kill_the_sender(message) -> None:
        """The server has the message; the sender dies before it hears 250 and marks it sent."""
        if message["To"] == address and "killed" not in process:
            process["killed"] = True
            os.kill(process["first"].pid, signal.SIGKILL)

    smtp_server.on_message = kill_the_sender
    process["first"] = send_mail(env)
    try:
        assert process["first"].wait(timeout=60) == -signal.SIGKILL
    finally:
        if process["first"].poll() is None:
            process["first"].kill()
    assert len(smtp_server.to(address)) == 1
    left = await fetch_one(
        conn, "SELECT status, attempts, claimed_by FROM outbox_messages WHERE message_key = %s", (key,)
    )
    assert left["status"] == "queued" and left["attempts"] == 0 and left["claimed_by"]  # sent, never marked

    # a sender started at once finds it claimed and leaves it be: no third copy while the lease runs
    soon = subprocess.run(
        [sys.executable, "-m", "mooncart", "send-mail"], env=env, capture_output=True, text=True, timeout=60
    )
    assert soon.returncode == 0, soon.stderr
    still_claimed = await fetch_val(
        conn, "SELECT claimed_until > NOW(6) FROM outbox_messages WHERE message_key = %s", (key,)
    )
    if still_claimed:
        assert len(smtp_server.to(address)) == 1

    deadline = time.monotonic() + LEASE_SECONDS + 5  # the lease ends; the next sender takes over
    while await fetch_val(conn, "SELECT claimed_until > NOW(6) FROM outbox_messages WHERE message_key = %s", (key,)):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    restarted = subprocess.run(
        [sys.executable, "-m", "mooncart", "send-mail"], env=env, capture_output=True, text=True, timeout=60
    )
    assert restarted.returncode == 0, restarted.stderr
    received = smtp_server.to(address)
    assert 1 <= len(received) <= 2
    assert {m["Message-ID"] for m in received} == {message_id_for(key)}  # one message to a mail client
    done = await fetch_one(
        conn, "SELECT status, attempts, claimed_by FROM outbox_messages WHERE message_key = %s", (key,)
    )
    assert done["status"] == "sent" and done["attempts"] == 1 and done["claimed_by"] is None


async def test_send_mail_sends_what_is_due_with_a_progress_line(database, committed_outbox, smtp_server):
    conn, key = committed_outbox
    for n in range(3):
        await enqueue_email(
            conn, to=f"{key}@example.in", subject="Hi", text="Plain", html="<p>HTML</p>", message_key=f"{key}-{n}"
        )
    result = subprocess.run(
        [sys.executable, "-m", "mooncart", "send-mail"],
        env=environment(database, smtp_server),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Sending" in result.stderr and "sent" in result.stdout
    assert len(smtp_server.to(f"{key}@example.in")) == 3


def test_send_mail_without_an_smtp_url_says_what_to_set(database):
    env = dict(os.environ, MOONCART_DATABASE_URL=database.url, MOONCART_SECRET_KEY="cli-test")
    env.pop("MOONCART_SMTP_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "mooncart", "send-mail"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "MOONCART_SMTP_URL" in result.stderr
