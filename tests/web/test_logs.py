"""Structured logs: JSON lines in UTC with the request's id, address and path, which no input can forge."""

from __future__ import annotations

import io
import json
import logging

from mooncart.logs import JsonLines, RequestContext
from tests.conftest import log_in, post
from tests.factories import make_user


async def test_log_lines_are_json_in_utc_and_cannot_be_forged(app, conn):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(RequestContext())
    logger = logging.getLogger("mooncart")
    logger.addHandler(handler)
    try:
        user = await make_user(conn)
        forged = 'x@example.in\n{"level": "INFO", "event": "login ok", "user": 1}'
        client = app.test_client()
        await post(
            client,
            "/account/login",
            form={"email": forged, "password": "wrong"},
            headers={"X-Request-ID": "req-12345678"},
        )
        await log_in(client, user)
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failed = next(entry for entry in lines if entry["event"] == "login failed")
    assert failed["email"].startswith("x@example.in\n") and failed["request_id"] == "req-12345678"
    assert failed["time"].endswith("+00:00") and failed["ip"] and failed["path"] == "/account/login"
    ok = [entry for entry in lines if entry["event"] == "login ok"]
    assert len(ok) == 1 and ok[0]["user"] == user["id"], "the forged line is inside a value, not a line"
