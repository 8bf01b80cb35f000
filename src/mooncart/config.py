"""Configuration: defaults first, then MOONCART_* environment variables, then test overrides."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from .ops.metrics import parse_allow
from .proxy import parse_trusted_proxies

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/mooncart"


@dataclass(frozen=True)
class DatabaseSettings:
    """Where MariaDB/MySQL is, parsed from a mysql:// URL."""

    host: str
    port: int
    user: str
    password: str
    database: str
    unix_socket: str | None = None

    @classmethod
    def from_url(cls, url: str, allow_no_database: bool = False) -> DatabaseSettings:
        """Settings from a mysql:// URL (a unix_socket query parameter for a local server); a clear
        ValueError for anything else, at start-up rather than at the first query."""
        parts = urlsplit(url)
        if parts.scheme not in ("mysql", "mariadb"):
            raise ValueError(f"MOONCART_DATABASE_URL must start with mysql://, got {parts.scheme!r}")
        database = parts.path.lstrip("/")
        if not database and not allow_no_database:
            raise ValueError("MOONCART_DATABASE_URL must name a database, e.g. mysql://root@127.0.0.1/mooncart")
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            database=database,
            unix_socket=query.get("unix_socket", [None])[0],
        )

    def with_database(self, database: str) -> DatabaseSettings:
        """The same server and credentials with another database (the tests make their own)."""
        return replace(self, database=database)

    @property
    def url(self) -> str:
        """These settings as a mysql:// URL again, for another app or process to connect with."""
        auth = quote(self.user, safe="") + (":" + quote(self.password, safe="") if self.password else "")
        query = "?" + urlencode({"unix_socket": self.unix_socket}) if self.unix_socket else ""
        return f"mysql://{auth}@{self.host}:{self.port}/{self.database}{query}"

    def connect_kwargs(self, with_database: bool = True) -> dict:
        """Keyword arguments for aiomysql/pymysql connect()."""
        kwargs = dict(
            host=self.host, port=self.port, user=self.user, password=self.password, charset="utf8mb4", autocommit=True
        )
        if self.unix_socket:
            kwargs["unix_socket"] = self.unix_socket
        if with_database:
            kwargs["db"] = self.database
        return kwargs


def load_config(test_config: dict | None = None) -> dict:
    """The app's config mapping. Environment wins over defaults; test_config wins over both."""
    secret = os.environ.get("MOONCART_SECRET_KEY") or (test_config or {}).get("SECRET_KEY")
    if not secret:
        secret = secrets.token_urlsafe(32)
        log.warning(
            "MOONCART_SECRET_KEY is not set: using a random key, so bags and sessions "
            "will not survive a restart and workers will not share them. Set it in production."
        )
    config: dict[str, Any] = {
        "SECRET_KEY": secret,
        "DATABASE_URL": os.environ.get("MOONCART_DATABASE_URL", DEFAULT_DATABASE_URL),
        "REDIS_URL": os.environ.get("MOONCART_REDIS_URL") or None,
        "DB_POOL_MIN": int(os.environ.get("MOONCART_DB_POOL_MIN", "1")),
        "DB_POOL_MAX": int(os.environ.get("MOONCART_DB_POOL_MAX", "20")),
        "MEDIA_ROOT": os.environ.get("MOONCART_MEDIA_ROOT", os.path.abspath("var/media")),
        "PAGE_SIZE": 24,
        # facet counts from bitsets kept in memory (catalog/facet_index.py); 0: counted in SQL
        "FACET_INDEX": os.environ.get("MOONCART_FACET_INDEX", "1") != "0",
        # categories, sizes and colours are cached this long in each worker (0: not at all)
        "REFERENCE_CACHE_SECONDS": float(os.environ.get("MOONCART_REFERENCE_CACHE_SECONDS", "30")),
        # the largest body anything accepts (a photo upload); ordinary forms are held to 64 KiB
        # by security.check_request, and each form field to MAX_FORM_MEMORY_SIZE
        "MAX_CONTENT_LENGTH": 9 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        "MAX_FORM_PARTS": 100,
        # log-in sessions: idle and absolute lifetimes, enforced by the sessions table
        "SESSION_IDLE_MINUTES": int(os.environ.get("MOONCART_SESSION_IDLE_MINUTES", "30")),
        "SESSION_ABSOLUTE_HOURS": int(os.environ.get("MOONCART_SESSION_ABSOLUTE_HOURS", "12")),
        # failed log-ins allowed per window, per account and per address, before a 429
        "LOGIN_FAILURES_PER_ACCOUNT": int(os.environ.get("MOONCART_LOGIN_FAILURES_PER_ACCOUNT", "5")),
        "LOGIN_FAILURES_PER_IP": int(os.environ.get("MOONCART_LOGIN_FAILURES_PER_IP", "20")),
        "LOGIN_FAILURE_WINDOW_MINUTES": 15,
        # staff must use two-step sign-in (an authenticator app) to open the back office: "required"
        # (the default) or "optional"
        "STAFF_TWO_STEP": os.environ.get("MOONCART_STAFF_TWO_STEP", "required"),
        # argon2id (time cost, memory KiB, parallelism): OWASP's minimum is (2, 19 MiB, 1)
        "ARGON2_PARAMETERS": (2, 19 * 1024, 1),
        # sign-ups per address per hour, reviews per account per hour (quart-rate-limiter)
        "REGISTRATIONS_PER_HOUR": int(os.environ.get("MOONCART_REGISTRATIONS_PER_HOUR", "10")),
        "REVIEWS_PER_HOUR": int(os.environ.get("MOONCART_REVIEWS_PER_HOUR", "5")),
        "PAYMENT_TIMEOUT_SECONDS": float(os.environ.get("MOONCART_PAYMENT_TIMEOUT_SECONDS", "15")),
        # the card and UPI gateway (Razorpay-style API; see mooncart.payments). Unset: cards go to the
        # built-in test card gateway and UPI is not offered
        "GATEWAY_URL": os.environ.get("MOONCART_GATEWAY_URL") or None,
        "GATEWAY_KEY_ID": os.environ.get("MOONCART_GATEWAY_KEY_ID", ""),
        "GATEWAY_KEY_SECRET": os.environ.get("MOONCART_GATEWAY_KEY_SECRET", ""),
        "GATEWAY_WEBHOOK_SECRET": os.environ.get("MOONCART_GATEWAY_WEBHOOK_SECRET", ""),
        # how long an order awaiting its payment holds its stock before reconcile-payments gives it up
        "PAYMENT_HOLD_MINUTES": int(os.environ.get("MOONCART_PAYMENT_HOLD_MINUTES", "15")),
        # issue 14: how long opening checkout holds the bag's units, and a waitlist hold lasts
        "HOLD_MINUTES": float(os.environ.get("MOONCART_HOLD_MINUTES", "10")),
        "WAITLIST_HOLD_HOURS": float(os.environ.get("MOONCART_WAITLIST_HOLD_HOURS", "12")),
        "HOLD_TIDY_SECONDS": float(os.environ.get("MOONCART_HOLD_TIDY_SECONDS", "30")),
        # the reverse proxies whose X-Forwarded-For/-Proto/-Host are believed (addresses or networks,
        # comma-separated); empty: nobody's, the connection's own address and scheme count
        "TRUSTED_PROXIES": os.environ.get("MOONCART_TRUSTED_PROXIES", ""),
        # this instance's name, sent as an X-Mooncart-Instance header when set (which instance
        # behind a balancer answered)
        "INSTANCE_NAME": os.environ.get("MOONCART_INSTANCE_NAME", ""),
        # who may read /metrics (addresses or networks, comma-separated); checked here, so that
        # `mooncart serve` stops at once on a bad value instead of restarting workers forever
        "METRICS_ALLOW": os.environ.get("MOONCART_METRICS_ALLOW", ""),
        "SESSION_COOKIE_NAME": "mooncart",
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        # clickstream events older than this are deleted (analytics.recorder)
        "EVENTS_RETENTION_DAYS": int(os.environ.get("MOONCART_EVENTS_RETENTION_DAYS", "90")),
        # e-mail (mooncart.outbox): the SMTP server the background sender drains the outbox to,
        # smtp://user:password@host:587?starttls=true or smtps://host:465; unset: mail stays queued
        "SMTP_URL": os.environ.get("MOONCART_SMTP_URL") or None,
        "MAIL_FROM": os.environ.get("MOONCART_MAIL_FROM", "Mooncart <orders@mooncart.in>"),
        # a message that fails this many times is marked failed for staff to retry by hand
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MOONCART_MAIL_MAX_ATTEMPTS", "8")),
        # the first retry after this many seconds, then twice as long each time (at most an hour)
        "MAIL_RETRY_SECONDS": float(os.environ.get("MOONCART_MAIL_RETRY_SECONDS", "30")),
        # how long a sender's claim on a message lasts: a sender that died lets go after this
        "MAIL_LEASE_SECONDS": float(os.environ.get("MOONCART_MAIL_LEASE_SECONDS", "120")),
        # how often an idle sender looks for due mail
        "MAIL_POLL_SECONDS": float(os.environ.get("MOONCART_MAIL_POLL_SECONDS", "5")),
        # a test passes one open connection that app and test share
        "DB_CONNECTION": None,
    }
    if test_config:
        config.update(test_config)
    config["TRUSTED_PROXIES"] = parse_trusted_proxies(config["TRUSTED_PROXIES"])
    parse_allow(config["METRICS_ALLOW"] or "")  # raises ValueError naming MOONCART_METRICS_ALLOW
    if config["STAFF_TWO_STEP"] not in ("required", "optional"):
        raise ValueError(f"MOONCART_STAFF_TWO_STEP must be 'required' or 'optional', got {config['STAFF_TWO_STEP']!r}")
    return config
