"""Health checks for a load balancer or an orchestrator.

GET /healthz: the process is up and its event loop answers. It touches nothing else, so a
database outage never gets healthy workers restarted.
GET /readyz: this worker can serve a shopper now: a pooled database connection answers
SELECT 1, Redis answers PING when MOONCART_REDIS_URL is set, and the server is not shutting
down (503 from the moment it starts to: under `mooncart serve` that is the worker's SIGTERM,
see mooncart.draining; otherwise when this worker's own shutdown begins). The answer
names each check, never an error's text (that goes to the log)."""

from __future__ import annotations

import asyncio
import logging

from quart import Blueprint, Quart, Response, current_app, jsonify

from ..draining import begin_draining
from .queries import ping

bp = Blueprint("health", __name__)
log = logging.getLogger("mooncart.health")
CHECK_SECONDS = 2.0


def draining() -> bool:
    """Shutting down: set by mooncart.draining when the worker is told to stop."""
    return bool(current_app.extensions["draining"])


@bp.get("/healthz")
async def healthz():
    """Liveness: the process and its event loop answer; nothing else is touched."""
    return Response("ok\n", content_type="text/plain; charset=utf-8", headers={"Cache-Control": "no-store"})


async def database_answers() -> None:
    """Readiness: a pooled connection answers SELECT 1."""
    db = current_app.extensions["db"]
    conn = await db.acquire()
    try:
        await ping(conn)
    finally:
        db.release(conn)


async def redis_answers() -> None:
    """Readiness: Redis answers PING (one client per worker, made on first use)."""
    client = current_app.extensions.get("health_redis")
    if client is None:
        import redis.asyncio as redis

        client = current_app.extensions["health_redis"] = redis.from_url(
            current_app.config["REDIS_URL"], socket_connect_timeout=CHECK_SECONDS, socket_timeout=CHECK_SECONDS
        )
    await client.ping()


async def check(name: str, probe) -> str:
    """ok or unavailable for one probe within CHECK_SECONDS; the reason goes to the log only."""
    try:
        await asyncio.wait_for(probe(), CHECK_SECONDS)
        return "ok"
    except Exception:  # any failure means "not ready"; the reason is for the log, not the caller
        log.warning("readiness check failed", extra={"reason": name}, exc_info=True)
        return "unavailable"


@bp.get("/readyz")
async def readyz():
    """Readiness: 200 when every check is ok, else 503 with each check's word."""
    if draining():
        response = jsonify(status="draining", checks={})
        response.status_code = 503
    else:
        checks = {"database": await check("database", database_answers)}
        if current_app.config.get("REDIS_URL"):
            checks["redis"] = await check("redis", redis_answers)
        ready = all(value == "ok" for value in checks.values())
        response = jsonify(status="ready" if ready else "unavailable", checks=checks)
        response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Quart) -> None:
    """Register the health routes; start draining and close the Redis client when serving ends."""
    app.register_blueprint(bp)

    @app.after_serving
    async def drain() -> None:
        """Serving is ending: /readyz says draining, and the Redis client closes."""
        begin_draining(app)
        client = app.extensions.pop("health_redis", None)
        if client is not None:
            await client.aclose()
