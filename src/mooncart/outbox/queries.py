"""The outbox's SQL: queueing a message in the caller's transaction, and the sender's claim,
mark-sent and retry steps. Several senders (workers, instances, `mooncart send-mail`) may run
at once: a message is claimed by one conditional UPDATE with a lease, so only one of them sends it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from ..db import execute, fetch_all, fetch_one, fetch_val

# the domain of the Message-IDs we make; a fixed one, so a message's id never depends on config
MESSAGE_ID_DOMAIN = "mooncart.in"


def message_id_for(message_key: str) -> str:
    """The Message-ID of the event `message_key` names: derived from the key alone, so a message
    sent again (a sender killed between sending and marking it sent) carries the same id and mail
    clients show it once."""
    digest = hashlib.sha256(message_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


async def enqueue_email(conn, *, to: str, subject: str, text: str, html: str, message_key: str) -> None:
    """Queue one e-mail in the caller's transaction (it commits or rolls back with the change).
    The same message_key queues once: a second call for the same event changes nothing."""
    if not message_key or len(message_key) > 191:
        raise ValueError("message_key must be 1-191 characters")
    await execute(
        conn,
        "INSERT INTO outbox_messages (message_key, message_id, to_address, subject, body_text, body_html) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE id = id",
        (message_key, message_id_for(message_key), to[:320], subject[:300], text, html),
    )


@dataclass(frozen=True)
class OutboxMessage:
    """One queued, sent or failed e-mail."""

    id: int
    message_key: str
    message_id: str
    to_address: str
    subject: str
    body_text: str
    body_html: str
    status: str
    attempts: int
    next_attempt_at: datetime
    claimed_by: str | None
    claimed_until: datetime | None
    last_error: str
    created_at: datetime
    sent_at: datetime | None


COLUMNS = (
    "id, message_key, message_id, to_address, subject, body_text, body_html, status, attempts, "
    "next_attempt_at, claimed_by, claimed_until, last_error, created_at, sent_at"
)


async def claim_due(conn, claim: str, limit: int, lease_seconds: float) -> list[OutboxMessage]:
    """Claim up to `limit` due messages for `claim` (a token unique to this batch) and return them.
    One UPDATE takes them: InnoDB re-reads each row's latest version under its lock, so a row
    another sender claimed a moment ago fails the condition and is skipped, never sent twice.
    A claim is a lease: a sender that dies leaves rows claimed only until claimed_until."""
    await execute(
        conn,
        "UPDATE outbox_messages SET claimed_by = %s, "
        "claimed_until = NOW(6) + INTERVAL %s MICROSECOND "
        "WHERE status = 'queued' AND next_attempt_at <= NOW(6) "
        "AND (claimed_until IS NULL OR claimed_until < NOW(6)) ORDER BY id LIMIT %s",
        (claim, int(lease_seconds * 1_000_000), limit),
    )
    rows = await fetch_all(
        conn,
        "SELECT " + COLUMNS + " FROM outbox_messages WHERE claimed_by = %s ORDER BY id",  # nosec B608 # fixed column list
        (claim,),
    )
    return [OutboxMessage(**row) for row in rows]


async def mark_sent(conn, message_id: int, claim: str) -> bool:
    """The message went out: sent, its claim let go. False when the claim was lost (the lease ran
    out and another sender took it): that one will mark it."""
    affected, _ = await execute(
        conn,
        "UPDATE outbox_messages SET status = 'sent', sent_at = NOW(6), attempts = attempts + 1, "
        "last_error = '', claimed_by = NULL, claimed_until = NULL "
        "WHERE id = %s AND claimed_by = %s",
        (message_id, claim),
    )
    return affected == 1


async def mark_failed_attempt(
    conn, message_id: int, claim: str, error: str, retry_in_seconds: float, max_attempts: int
) -> None:
    """The attempt failed: count it, keep the error, and either try again after `retry_in_seconds`
    or, at the last attempt, mark it failed for staff to see (and retry by hand)."""
    await execute(
        conn,
        "UPDATE outbox_messages SET attempts = attempts + 1, last_error = %s, "
        "status = IF(attempts >= %s, 'failed', 'queued'), "
        "next_attempt_at = NOW(6) + INTERVAL %s MICROSECOND, claimed_by = NULL, claimed_until = NULL "
        "WHERE id = %s AND claimed_by = %s",
        (error[:500], max_attempts, int(retry_in_seconds * 1_000_000), message_id, claim),
    )


async def release_claim(conn, claim: str) -> None:
    """Let go of every message of a batch that was not tried (the sender is stopping)."""
    await execute(
        conn,
        "UPDATE outbox_messages SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = %s",
        (claim,),
    )


async def count_due(conn) -> int:
    """How many messages are due now (the CLI's progress line)."""
    return int(
        await fetch_val(
            conn,
            "SELECT COUNT(*) FROM outbox_messages WHERE status = 'queued' AND next_attempt_at <= NOW(6)",
        )
        or 0
    )


async def select_recent(conn, limit: int = 100, status: str | None = None) -> list[OutboxMessage]:
    """The newest messages first, for the back office (optionally of one status)."""
    if status is None:
        rows = await fetch_all(
            conn,
            "SELECT " + COLUMNS + " FROM outbox_messages ORDER BY id DESC LIMIT %s",  # nosec B608 # fixed column list
            (limit,),
        )
    else:
        rows = await fetch_all(
            conn,
            "SELECT " + COLUMNS + " FROM outbox_messages WHERE status = %s ORDER BY id DESC LIMIT %s",  # nosec B608 # fixed column list
            (status, limit),
        )
    return [OutboxMessage(**row) for row in rows]


async def count_by_status(conn) -> dict[str, int]:
    """{status: count} over the whole outbox."""
    rows = await fetch_all(conn, "SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status")
    return {row["status"]: int(row["n"]) for row in rows}


async def select_message(conn, message_id: int) -> OutboxMessage | None:
    """One message by id, or None."""
    row = await fetch_one(
        conn,
        "SELECT " + COLUMNS + " FROM outbox_messages WHERE id = %s",  # nosec B608 # fixed column list
        (message_id,),
    )
    return None if row is None else OutboxMessage(**row)


async def retry_now(conn, message_id: int) -> bool:
    """Staff's "retry now": a failed message is queued again, due at once, with a fresh count of
    attempts. False when it is not failed (already sent, or queued: nothing to do)."""
    affected, _ = await execute(
        conn,
        "UPDATE outbox_messages SET status = 'queued', attempts = 0, next_attempt_at = NOW(6), "
        "claimed_by = NULL, claimed_until = NULL WHERE id = %s AND status = 'failed'",
        (message_id,),
    )
    return affected == 1
