"""One throttle for every check of a password or a code (log-in, the log-in code, the current
password on the password page, the codes that confirm, renew recovery codes or turn two-step
sign-in off): a shared count of failures per account and per address over the last minutes.

The attempt is written as a failure FIRST, then counted (its own row included), and only then is
the slow hash or the code checked. Checking the count first and writing the failure after the
hash let a burst through: 50 guesses sent at once all read "4 failures so far" before any of
them wrote its own. Now the last of k admitted guesses to write its row counts the rows of all
k (each wrote its row before counting), so at most the limit of guesses is ever checked, however
many arrive together. A refused attempt takes its row back (the table does not grow under a
flood); a right password or code clears the account's failures, a wrong one leaves its row."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from quart import current_app

from . import queries
from .auth import throttle_ip

log = logging.getLogger("mooncart.auth")


@dataclass(frozen=True)
class Attempt:
    """An admitted check: its failure row (already counted) and the account it is against."""

    id: int
    email: str


async def admit(conn, email: str) -> Attempt | None:
    """Count this check against the account (email) and the address, then admit it, or None
    when either has failed too often lately (nothing is left counted for a refused attempt)."""
    config = current_app.config
    ip = throttle_ip()  # an IPv6 client counts as its /64
    attempt_id = await queries.insert_attempt(conn, email, ip)
    by_email, by_ip = await queries.count_recent_failures(conn, email[:254], ip, config["LOGIN_FAILURE_WINDOW_MINUTES"])
    if by_email <= config["LOGIN_FAILURES_PER_ACCOUNT"] and by_ip <= config["LOGIN_FAILURES_PER_IP"]:
        return Attempt(attempt_id, email)
    await queries.delete_attempt(conn, attempt_id)
    log.warning("login throttled", extra={"email": email, "failures_email": by_email - 1, "failures_ip": by_ip - 1})
    return None


async def succeeded(conn, attempt: Attempt) -> None:
    """The password or code was right: this account's failures are forgiven."""
    await queries.delete_login_failures(conn, attempt.email)


def retry_after_seconds() -> int:
    """How long a throttled visitor should wait: the failure window, for the Retry-After header."""
    return current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"] * 60


def refusal_message() -> str:
    """What a throttled shopper reads: why she is refused and for how long."""
    minutes = current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
    return f"Too many unsuccessful log-ins. For your safety, please wait {minutes} minutes before trying again."
