"""The outbox's sender: claims due messages, sends them through a real SMTP client (aiosmtplib)
and marks them sent; a failed attempt is tried again later, each time after twice as long, and
after MAIL_MAX_ATTEMPTS the message is marked failed for staff to see and retry.

Delivery is at least once. A message is marked sent only after the SMTP server accepted it, so
a sender killed between the two leaves the message claimed; when its lease ends another sender
sends it again, with the same Message-ID (derived from the event), so mail clients show one.
Nothing is ever lost, and a duplicate needs a sender to die in that instant (docs/EMAIL.md)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from . import queries
from .queries import OutboxMessage

log = logging.getLogger("mooncart.outbox")

# a sender's name in claimed_by: which host and process holds a message (staff see it)
WORKER = f"{socket.gethostname()[:60]}:{os.getpid()}"

TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpSettings:
    """Where to send mail, parsed from MOONCART_SMTP_URL: smtp://[user[:password]@]host[:port]
    with ?starttls=true|false (absent: used when the server offers it) and ?timeout=seconds;
    smtps:// for TLS from the first byte (port 465)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """The settings, or a ValueError that names the variable, at start-up."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"MOONCART_SMTP_URL must start with smtp:// or smtps://, got {parts.scheme!r}")
        if not parts.hostname:
            raise ValueError("MOONCART_SMTP_URL must name a host, e.g. smtp://mail.example.com:587")
        query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
        start_tls: bool | None = None
        if "starttls" in query:
            if query["starttls"] not in TRUE | FALSE:
                raise ValueError("MOONCART_SMTP_URL: starttls must be true or false")
            start_tls = query["starttls"] in TRUE
        try:
            timeout = float(query.get("timeout", "30"))
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise ValueError("MOONCART_SMTP_URL: the port and timeout must be numbers") from None
        if parts.scheme == "smtps" and start_tls:
            raise ValueError("MOONCART_SMTP_URL: smtps:// is TLS already; starttls is for smtp://")
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=False if parts.scheme == "smtps" else start_tls,
            timeout=timeout,
        )

    def client(self) -> aiosmtplib.SMTP:
        """A client that is not yet connected."""
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )


def build_message(message: OutboxMessage, mail_from: str) -> EmailMessage:
    """The e-mail: plain text with an HTML alternative, its Message-ID the one the outbox made."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(datetime.now(UTC))
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    return email


def retry_delay(attempts_before: int, base_seconds: float) -> float:
    """Seconds before the next try: base, then twice as long each time, at most an hour."""
    return float(min(base_seconds * 2 ** min(attempts_before, 20), 3600.0))


def is_permanent(error: BaseException) -> bool:
    """A 5xx answer (no such mailbox, refused) will not change by trying again."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(500 <= r.code < 600 for r in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 500 <= error.code < 600
    return isinstance(error, ValueError)  # a message that cannot be built (a bad address)


class OutboxSender:
    """Drains the outbox: drain() once (the CLI), or start()/stop() around serving."""

    def __init__(
        self,
        database,
        smtp: SmtpSettings,
        *,
        mail_from: str = "Mooncart <orders@mooncart.in>",
        max_attempts: int = 8,
        retry_seconds: float = 30.0,
        lease_seconds: float = 120.0,
        poll_seconds: float = 5.0,
        batch_size: int = 20,
        drain_event: asyncio.Event | None = None,
    ):
        self.database = database
        self.smtp = smtp
        self.mail_from = mail_from
        self.max_attempts = max(1, max_attempts)
        self.retry_seconds = retry_seconds
        # each message's claim is renewed just before it is sent, so the lease must outlast one
        # send (connect, greeting, TLS, log-in, the message: each bounded by the SMTP timeout)
        self.lease_seconds = max(lease_seconds, smtp.timeout * 4)
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.drain_event = drain_event
        self.sent = 0
        self.failed_attempts = 0
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None

    @classmethod
    def from_config(cls, database, config: dict, drain_event: asyncio.Event | None = None) -> OutboxSender:
        """A sender with the app's MOONCART_SMTP_URL and MAIL_* settings."""
        return cls(
            database,
            SmtpSettings.from_url(config["SMTP_URL"]),
            mail_from=config["MAIL_FROM"],
            max_attempts=config["MAIL_MAX_ATTEMPTS"],
            retry_seconds=config["MAIL_RETRY_SECONDS"],
            lease_seconds=config["MAIL_LEASE_SECONDS"],
            poll_seconds=config["MAIL_POLL_SECONDS"],
            drain_event=drain_event,
        )

    async def drain(self, progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
        """Send every message due now, batch by batch, until none is left; returns (sent, failed
        attempts). A message that fails is due again only after its back-off, so this ends."""
        sent = failed = 0
        while True:
            batch_sent, batch_failed, claimed = await self.send_batch()
            sent, failed = sent + batch_sent, failed + batch_failed
            if progress is not None and claimed:
                progress(sent, failed)
            if claimed == 0:
                return sent, failed

    async def send_batch(self) -> tuple[int, int, int]:
        """Claim up to batch_size due messages and send them over one SMTP connection; returns
        (sent, failed attempts, claimed)."""
        claim = f"{WORKER}:{secrets.token_hex(6)}"
        conn = await self.database.acquire()
        try:
            messages = await queries.claim_due(conn, claim, self.batch_size, self.lease_seconds)
            if not messages:
                return 0, 0, 0
            sent, failed = await self._send_all(conn, claim, messages)
            return sent, failed, len(messages)
        finally:
            self.database.release(conn)

    async def _send_all(self, conn, claim: str, messages: list[OutboxMessage]) -> tuple[int, int]:
        sent = failed = 0
        untried = [m.id for m in messages]
        client: aiosmtplib.SMTP | None = None
        try:
            for message in messages:
                untried.remove(message.id)
                if not await queries.renew_claim(conn, message.id, claim, self.lease_seconds):
                    continue  # the batch outlived its lease and another sender took this one
                try:
                    email = build_message(message, self.mail_from)
                    if client is None or not client.is_connected:
                        client = self.smtp.client()
                        await client.connect()
                    await client.send_message(email)
                except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as error:
                    failed += 1
                    await self._record_failure(conn, claim, message, error)
                    if isinstance(error, (aiosmtplib.SMTPServerDisconnected, OSError, TimeoutError)):
                        if client is not None:
                            client.close()
                        client = None
                    continue
                # the server has it: from here until this UPDATE commits, a kill means a resend
                # with the same Message-ID (at least once, see the module's docstring)
                await queries.mark_sent(conn, message.id, claim)
                sent += 1
                self.sent += 1
        finally:
            try:
                if untried:  # stopping or cancelled mid-batch: the rest go back at once
                    await asyncio.shield(queries.release_claims(conn, claim, untried))
            finally:
                if client is not None and client.is_connected:
                    try:
                        await asyncio.wait_for(client.quit(), 5)
                    except (aiosmtplib.SMTPException, OSError, TimeoutError):
                        client.close()
        return sent, failed

    async def _record_failure(self, conn, claim: str, message: OutboxMessage, error: BaseException) -> None:
        """Count the failed attempt: due again after the back-off, or failed for good."""
        self.failed_attempts += 1
        permanent = is_permanent(error)
        text = f"{type(error).__name__}: {error}".strip()
        log.warning(
            "e-mail not sent" + (" (permanent)" if permanent else ""),
            extra={"reason": f"{message.message_key}, attempt {message.attempts + 1}: {text[:200]}"},
        )
        await queries.mark_failed_attempt(
            conn,
            message.id,
            claim,
            text,
            retry_delay(message.attempts, self.retry_seconds),
            1 if permanent else self.max_attempts,
        )

    def wake(self) -> None:
        """Look for due mail now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        """Run in the background until stop()."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Graceful shutdown: send what is due, for at most drain_seconds (then the batch in hand
        is cancelled, its untried messages let go); what is left stays queued for the next sender."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, drain_seconds)
        except TimeoutError:
            log.warning("stopped with e-mail still queued; the next sender will send it")
        self._task = None

    async def _run(self) -> None:
        """Drain, then wait for the next poll or a wake; once stopping (or the server draining),
        drain one last time and end."""
        while True:
            try:
                await self.drain()
            except Exception:
                log.exception("the outbox sender failed; trying again shortly")
            if self._stopping or (self.drain_event is not None and self.drain_event.is_set()):
                return
            waits = [asyncio.ensure_future(self._wake.wait())]
            if self.drain_event is not None:
                waits.append(asyncio.ensure_future(self.drain_event.wait()))
            try:
                await asyncio.wait(waits, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waits:
                    waiter.cancel()
            self._wake.clear()


def init_app(app) -> None:
    """Run a sender while the app serves, when MOONCART_SMTP_URL is set (checked at start-up);
    without it mail stays queued, which is said once in the log."""
    settings = SmtpSettings.from_url(app.config["SMTP_URL"]) if app.config.get("SMTP_URL") else None

    @app.while_serving
    async def outbox_sender_lifespan():
        """Drain the outbox in the background; on shutdown send what is due before the pool closes."""
        database = app.extensions["db"]
        if settings is None or database.shared_connection is not None:
            if settings is None and not app.config.get("TESTING"):
                log.warning("MOONCART_SMTP_URL is not set: e-mail stays queued in the outbox until it is")
            yield
            return
        sender = OutboxSender.from_config(database, app.config, app.extensions.get("drain"))
        app.extensions["outbox_sender"] = sender
        sender.start()
        yield
        await sender.stop()
