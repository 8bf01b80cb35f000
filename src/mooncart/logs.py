"""Structured logs: one JSON object per line, times in UTC, with the request id, the user and the
client address of the request that logged it. Values are JSON-encoded, so text a visitor typed
(an email with a newline in it, say) can never start a line of its own or forge a field."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from datetime import UTC, datetime

from quart import Quart, g, has_request_context, request

from .hooks import takes_request

FIELDS = (
    "request_id",
    "ip",
    "user",
    "method",
    "path",
    "email",
    "reason",
    "order",
    "total",
    "lines",
    "failures_email",
    "failures_ip",
    "status",
)
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        """One JSON object per line with the request's fields, so a log search never meets a forged line."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for field in FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestContext(logging.Filter):
    """Adds who and where to every record logged while a request is being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the request's id, address, method, path and user to every record logged during it."""
        if has_request_context():
            req = request._get_current_object()  # type: ignore[attr-defined]  # a werkzeug LocalProxy
            record.request_id = getattr(record, "request_id", None) or getattr(req, "mooncart_request_id", None)
            record.ip = getattr(record, "ip", None) or req.remote_addr
            record.method = getattr(record, "method", None) or req.method
            record.path = getattr(record, "path", None) or req.path
            shopper = g.get("shopper")
            if getattr(record, "user", None) is None and shopper:
                record.user = shopper["id"]
        return True


def configure(stream=None) -> logging.Handler:
    """Send the 'mooncart' loggers to stderr as JSON lines (once)."""
    logger = logging.getLogger("mooncart")
    for handler in logger.handlers:
        if isinstance(handler.formatter, JsonLines):
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    handler.addFilter(RequestContext())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler


def init_app(app: Quart) -> None:
    """A request id for every request, on its log lines and its response. This runs on every
    request, so it is kept to a header look-up and 16 random bytes (bench/hooks.py times it),
    kept on the request object itself (g would cost a proxy look-up each way); nothing is
    formatted unless a line is actually logged."""
    configure()
    valid = REQUEST_ID.fullmatch

    @app.before_request
    @takes_request
    async def assign_request_id(req) -> None:
        """Take the proxy's X-Request-ID when it is well formed, else make one, so log lines tie to a request."""
        sent = req.header_map.get("x-request-id")
        req.mooncart_request_id = sent if sent and valid(sent) else secrets.token_hex(16)

    @app.after_request
    @takes_request
    async def echo_request_id(req, response):
        """Send the request id back, so a report from a shopper can be found in the log."""
        request_id = getattr(req, "mooncart_request_id", None)
        if request_id:
            response.headers["X-Request-ID"] = request_id
        return response
