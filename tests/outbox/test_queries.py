"""The outbox's queue: a message is written in the caller's transaction, once per event, with a
Message-ID that depends only on the event."""

from __future__ import annotations

from mooncart.db import fetch_all, fetch_val, transaction
from mooncart.outbox import enqueue_email, message_id_for
from mooncart.outbox import queries


async def queue(conn, key="test:1", to="asha@example.com"):
    await enqueue_email(conn, to=to, subject="Hello", text="Plain body", html="<p>HTML body</p>", message_key=key)


async def test_a_message_is_queued_with_a_message_id_derived_from_its_key(conn):
    await queue(conn, "order-placed:MC-1")
    rows = await fetch_all(conn, "SELECT * FROM outbox_messages WHERE message_key = %s", ("order-placed:MC-1",))
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == "queued" and row["attempts"] == 0
    assert row["message_id"] == message_id_for("order-placed:MC-1")
    assert row["message_id"].startswith("<") and row["message_id"].endswith("@mooncart.in>")
    assert message_id_for("order-placed:MC-2") != row["message_id"]


async def test_the_same_event_queues_once(conn):
    await queue(conn, "same-event")
    await queue(conn, "same-event", to="someone-else@example.com")
    rows = await fetch_all(conn, "SELECT to_address FROM outbox_messages WHERE message_key = 'same-event'")
    assert [r["to_address"] for r in rows] == ["asha@example.com"]


async def test_a_rolled_back_change_queues_nothing(conn):
    try:
        async with transaction(conn):
            await queue(conn, "rolled-back")
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert await fetch_val(conn, "SELECT COUNT(*) FROM outbox_messages WHERE message_key = 'rolled-back'") == 0


async def test_a_claimed_message_is_not_claimed_again_until_its_lease_ends(conn):
    await queue(conn, "claim-me")
    first = [m for m in await queries.claim_due(conn, "a", 100, 60) if m.message_key == "claim-me"]
    second = [m for m in await queries.claim_due(conn, "b", 100, 60) if m.message_key == "claim-me"]
    assert len(first) == 1 and second == []


async def test_failed_attempts_end_in_failed_and_staff_can_retry(conn):
    await queue(conn, "fail-me")
    [message] = [m for m in await queries.claim_due(conn, "a", 100, 60) if m.message_key == "fail-me"]
    await queries.mark_failed_attempt(conn, message.id, "a", "451 try later", 0, max_attempts=2)
    after_one = await queries.select_message(conn, message.id)
    assert after_one.status == "queued" and after_one.attempts == 1 and after_one.last_error == "451 try later"
    [message] = [m for m in await queries.claim_due(conn, "b", 100, 60) if m.message_key == "fail-me"]
    await queries.mark_failed_attempt(conn, message.id, "b", "451 again", 0, max_attempts=2)
    after_two = await queries.select_message(conn, message.id)
    assert after_two.status == "failed" and after_two.attempts == 2 and after_two.claimed_by is None
    assert not [m for m in await queries.claim_due(conn, "c", 100, 60) if m.message_key == "fail-me"]
    assert await queries.retry_now(conn, message.id)
    again = await queries.select_message(conn, message.id)
    assert again.status == "queued" and again.attempts == 0
    assert not await queries.retry_now(conn, message.id)  # only a failed message is retried
