"""Accounts' SQL: users, server-side sessions, failed log-ins, addresses."""

from __future__ import annotations

from ..db import execute, execute_many, fetch_all, fetch_one, fetch_val


async def insert_user(conn, *, email: str, name: str, mobile: str, password_hash: str, is_staff: bool = False) -> int:
    """A new account; the caller has hashed the password. Returns its id."""
    _, user_id = await execute(
        conn,
        "INSERT INTO users (email, name, mobile, password_hash, is_staff) VALUES (%s, %s, %s, %s, %s)",
        (email, name, mobile, password_hash, is_staff),
    )
    return user_id


async def select_user_by_email(conn, email: str) -> dict | None:
    """The account for a log-in, with its password hash, or None."""
    return await fetch_one(
        conn, "SELECT id, email, name, mobile, password_hash, is_staff FROM users WHERE email = %s", (email,)
    )


async def update_password_hash(conn, user_id: int, password_hash: str) -> None:
    """Store a new hash (a changed password, or the old one rehashed at stronger settings)."""
    await execute(conn, "UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))


async def insert_session(conn, token_hash: str, user_id: int, ip: str) -> None:
    """A new log-in session, keyed by the hash of its cookie token."""
    await execute(
        conn, "INSERT INTO sessions (token_hash, user_id, ip) VALUES (%s, %s, %s)", (token_hash, user_id, ip[:45])
    )


async def select_session_user(conn, token_hash: str, idle_minutes: int, absolute_hours: int) -> dict | None:
    """The signed-in user of a live session: not revoked, not idle too long, not too old."""
    return await fetch_one(
        conn,
        "SELECT u.id, u.email, u.name, u.mobile, u.is_staff, s.last_seen_at, "
        "EXISTS (SELECT 1 FROM two_step_secrets t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) "
        "AS two_step, "
        "s.last_seen_at < NOW(6) - INTERVAL 5 MINUTE AS needs_touch "
        "FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = %s AND s.revoked_at IS NULL "
        "AND s.last_seen_at > NOW(6) - INTERVAL %s MINUTE AND s.created_at > NOW(6) - INTERVAL %s HOUR",
        (token_hash, idle_minutes, absolute_hours),
    )


async def touch_session(conn, token_hash: str) -> None:
    """Mark the session used now: the idle timeout counts from the last request."""
    await execute(conn, "UPDATE sessions SET last_seen_at = NOW(6) WHERE token_hash = %s", (token_hash,))


async def revoke_session(conn, token_hash: str) -> None:
    """End one session (log-out): the row stays, marked revoked, so its cookie can never sign in again."""
    await execute(
        conn, "UPDATE sessions SET revoked_at = NOW(6) WHERE token_hash = %s AND revoked_at IS NULL", (token_hash,)
    )


async def revoke_user_sessions(conn, user_id: int, except_token_hash: str = "") -> int:
    """End every session of the account but one (a changed password signs out other devices;
    staff and `create-admin` end them all).
    Returns how many ended."""
    affected, _ = await execute(
        conn,
        "UPDATE sessions SET revoked_at = NOW(6) WHERE user_id = %s AND revoked_at IS NULL AND token_hash <> %s",
        (user_id, except_token_hash),
    )
    return affected


async def count_recent_failures(conn, email: str, ip: str, minutes: int) -> tuple[int, int]:
    """Failed log-ins in the last `minutes` for this email and for this address, as
    (by email, by address): the two throttles of the log-in form, in one statement."""
    row = await fetch_one(
        conn,
        "SELECT (SELECT COUNT(*) FROM login_failures WHERE email = %s AND failed_at > NOW(6) - INTERVAL %s MINUTE) "
        "AS by_email, (SELECT COUNT(*) FROM login_failures WHERE ip = %s AND failed_at > NOW(6) - INTERVAL %s MINUTE) "
        "AS by_ip",
        (email, minutes, ip, minutes),
    )
    if row is None:  # an aggregate without GROUP BY always returns one row
        return 0, 0
    return int(row["by_email"]), int(row["by_ip"])


async def insert_login_failure(conn, email: str, ip: str) -> None:
    """Remember a failed log-in for the throttles (one row per failure, so the window slides)."""
    await execute(conn, "INSERT INTO login_failures (email, ip) VALUES (%s, %s)", (email[:254], ip[:45]))


async def delete_login_failures(conn, email: str) -> None:
    """Forget an account's failures after it signs in, so its owner starts with a clean slate."""
    await execute(conn, "DELETE FROM login_failures WHERE email = %s", (email,))


ADDRESS_COLUMNS = "id, user_id, full_name, line1, line2, city, state, pin_code, mobile"


async def select_addresses(conn, user_id: int) -> list[dict]:
    """The shopper's saved addresses, newest first."""
    return await fetch_all(
        conn,
        "SELECT " + ADDRESS_COLUMNS + " FROM addresses WHERE user_id = %s "  # nosec B608 # values are %s parameters
        "ORDER BY id DESC",
        (user_id,),
    )


async def select_address(conn, address_id: int, user_id: int) -> dict | None:
    """One of this user's addresses; someone else's is simply not found."""
    return await fetch_one(
        conn,
        "SELECT " + ADDRESS_COLUMNS + " FROM addresses WHERE id = %s AND user_id = %s",  # nosec B608 # values are %s parameters
        (address_id, user_id),
    )


async def insert_address(conn, user_id: int, values: dict) -> int:
    """Save an address for the shopper; returns its id."""
    _, address_id = await execute(
        conn,
        "INSERT INTO addresses (user_id, full_name, line1, line2, city, state, pin_code, mobile) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            user_id,
            values["full_name"],
            values["line1"],
            values["line2"],
            values["city"],
            values["state"],
            values["pin_code"],
            values["mobile"],
        ),
    )
    return address_id


async def delete_address(conn, address_id: int, user_id: int) -> bool:
    """Delete one of the shopper's own addresses; False when it is not theirs or is gone."""
    affected, _ = await execute(conn, "DELETE FROM addresses WHERE id = %s AND user_id = %s", (address_id, user_id))
    return affected > 0


async def select_two_step(conn, user_id: int) -> dict | None:
    """The user's authenticator secret: confirmed (in use) or pending (being set up)."""
    return await fetch_one(
        conn, "SELECT secret, confirmed_at, last_step FROM two_step_secrets WHERE user_id = %s", (user_id,)
    )


async def has_two_step(conn, user_id: int) -> bool:
    """Has the account finished setting up two-step sign-in (a confirmed secret)?"""
    return bool(
        await fetch_one(
            conn, "SELECT 1 AS yes FROM two_step_secrets WHERE user_id = %s AND confirmed_at IS NOT NULL", (user_id,)
        )
    )


async def save_pending_secret(conn, user_id: int, secret: str) -> None:
    """A new secret to set up; one that is already confirmed is never replaced this way."""
    await execute(
        conn,
        "INSERT INTO two_step_secrets (user_id, secret) VALUES (%s, %s) "
        "ON DUPLICATE KEY UPDATE secret = IF(confirmed_at IS NULL, %s, secret)",
        (user_id, secret, secret),
    )


async def confirm_secret(conn, user_id: int, step: int) -> bool:
    """Turn on a pending secret once a first code proves the phone has it; `step` is that code's
    time step, so the same code cannot be used again. False when there was nothing pending."""
    affected, _ = await execute(
        conn,
        "UPDATE two_step_secrets SET confirmed_at = NOW(6), last_step = %s WHERE user_id = %s AND confirmed_at IS NULL",
        (step, user_id),
    )
    return affected == 1


async def use_step(conn, user_id: int, step: int) -> bool:
    """Spend a code's step: false if it (or a later one) was used already, so a code works once,
    even when two requests bring it at the same moment."""
    affected, _ = await execute(
        conn,
        "UPDATE two_step_secrets SET last_step = %s WHERE user_id = %s AND confirmed_at IS NOT NULL AND last_step < %s",
        (step, user_id, step),
    )
    return affected == 1


async def replace_recovery_codes(conn, user_id: int, code_hashes: list[str]) -> None:
    """A fresh set of recovery codes (hashed); the old ones stop working."""
    await execute(conn, "DELETE FROM recovery_codes WHERE user_id = %s", (user_id,))
    await execute_many(
        conn,
        "INSERT INTO recovery_codes (user_id, code_hash) VALUES (%s, %s)",
        [(user_id, code_hash) for code_hash in code_hashes],
    )


async def use_recovery_code(conn, user_id: int, code_hash: str) -> bool:
    """Spend a recovery code: deleting it is what makes it single-use. False when it is not valid."""
    affected, _ = await execute(
        conn, "DELETE FROM recovery_codes WHERE user_id = %s AND code_hash = %s", (user_id, code_hash)
    )
    return affected == 1


async def count_recovery_codes(conn, user_id: int) -> int:
    """How many recovery codes are left, so the account page can warn when they run low."""
    return int(await fetch_val(conn, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = %s", (user_id,)))


async def delete_two_step(conn, user_id: int) -> None:
    """Turn two-step sign-in off: the secret and its recovery codes go together."""
    await execute(conn, "DELETE FROM recovery_codes WHERE user_id = %s", (user_id,))
    await execute(conn, "DELETE FROM two_step_secrets WHERE user_id = %s", (user_id,))


async def select_user(conn, user_id: int) -> dict | None:
    """An account's public columns (no password hash), or None."""
    return await fetch_one(conn, "SELECT id, email, name, is_staff FROM users WHERE id = %s", (user_id,))


# ---- throttling every password and code check (accounts/throttle.py) ---------------------------


async def insert_attempt(conn, email: str, ip: str) -> int:
    """Count a password or code check as a failure BEFORE it is checked; its id, so a check
    that then succeeds (or is refused unchecked) can take exactly this row back."""
    _, attempt_id = await execute(
        conn, "INSERT INTO login_failures (email, ip) VALUES (%s, %s)", (email[:254], ip[:45])
    )
    return attempt_id


async def delete_attempt(conn, attempt_id: int) -> None:
    """Take back one attempt's row, written before it was known to count (refused by the throttle,
    or a right password still waiting for its code), so it is not counted as a failure."""
    await execute(conn, "DELETE FROM login_failures WHERE id = %s", (attempt_id,))
