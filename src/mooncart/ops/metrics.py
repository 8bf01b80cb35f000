"""Prometheus metrics (prometheus-client), served at /metrics to the addresses in
MOONCART_METRICS_ALLOW only (default loopback; anyone else gets the shop's 404).

Under hypercorn's workers each process keeps its own numbers, so `mooncart serve` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory for every start: each worker writes its values to
files there and whichever worker answers a scrape adds them all up. Without that variable (one
process: tests, `hypercorn` run by hand with one worker) the ordinary in-process registry is used.

Labels stay bounded: a request is labelled with its URL rule ("/product/<slug>"), never its path,
its method from a fixed list, and its status. The hot path pays one dict look-up, a histogram
observation and a counter increment. Measured on 2026-11-28 (2 busy cores, best of 5 x 50,000):
the two hooks cost 4 µs per request in one process and 7-9 µs with multiprocess files (10-11 µs
in one process when they used g and labels() each time); the pool's in-use gauge adds 1-4 µs
(the waiting gauge moves only when the pool is empty). An add-to-bag takes about 900 µs
(docs/BENCHMARKS.md: 1,107 req/s), so the metrics cost about 1%."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from quart import Blueprint, Quart, Response, abort, current_app, request

from ..hooks import takes_request

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
DEFAULT_ALLOW = "127.0.0.0/8,::1"

REQUEST_SECONDS = Histogram(
    "mooncart_http_request_duration_seconds",
    "Time to answer a request (to the response's headers), by route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS = Counter("mooncart_http_requests", "Requests answered, by route and status", ["method", "route", "status"])
# gauges add up across live workers; a worker that stops takes its share with it
POOL_IN_USE = Gauge(
    "mooncart_db_pool_connections_in_use", "Database connections lent out of the pools", multiprocess_mode="livesum"
)
POOL_WAITING = Gauge(
    "mooncart_db_pool_waiting", "Requests waiting for a database connection from a pool", multiprocess_mode="livesum"
)
POOL_MAX = Gauge(
    "mooncart_db_pool_connections_max", "The most connections the pools may open", multiprocess_mode="livesum"
)
LIVE_STREAMS = Gauge(
    "mooncart_live_stock_subscribers", "Open live-stock streams (server-sent events)", multiprocess_mode="livesum"
)
ORDERS = Counter(
    "mooncart_orders_placed", "Orders placed (counted after their transaction commits)", ["payment_method"]
)
REVENUE = Counter("mooncart_order_revenue_paise", "Value of the orders placed, in paise", ["payment_method"])

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# (method, route, status) -> its histogram and counter children, so the hot path skips labels()
_children: dict[tuple[str, str, int], tuple] = {}

bp = Blueprint("metrics", __name__)


def order_placed(payment_method: str, total_paise: int) -> None:
    """Count an order; call it once its transaction has committed."""
    ORDERS.labels(payment_method).inc()
    REVENUE.labels(payment_method).inc(total_paise)


def parse_allow(text: str) -> tuple:
    """MOONCART_METRICS_ALLOW: comma-separated addresses or networks."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(
                    f"MOONCART_METRICS_ALLOW: {part!r} is not an address or network (e.g. 127.0.0.1, 10.0.0.0/8, ::1)"
                ) from None
    return tuple(networks)


def allowed(address: str | None, networks: tuple) -> bool:
    """Whether an address may read /metrics (IPv4-mapped IPv6 addresses count as their IPv4)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:127.0.0.1 from a dual-stack socket
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


@takes_request
async def start_timer(req) -> None:
    """Note when the request started, for its duration."""
    # on the request object itself: g and repeated proxy look-ups cost several times more
    req.mooncart_started = time.perf_counter()


@takes_request
async def record(req, response: Response) -> Response:
    """Count the request and its duration by route, method and status."""
    started = getattr(req, "mooncart_started", None)
    if started is not None:
        rule, method = req.url_rule, req.method
        key = (
            method if method in METHODS else "other",
            rule.rule if rule is not None else "unmatched",
            response.status_code,
        )
        children = _children.get(key)
        if children is None:
            children = _children[key] = (
                REQUEST_SECONDS.labels(key[0], key[1]),
                REQUESTS.labels(key[0], key[1], str(key[2])),
            )
        children[0].observe(time.perf_counter() - started)
        children[1].inc()
    return response


def exposition() -> bytes:
    """The metrics text, summed over every worker in multiprocess mode."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@bp.get("/metrics")
async def metrics():
    """The Prometheus metrics, for the allowed networks only; anyone else gets the usual 404."""
    if not allowed(request.remote_addr, current_app.extensions["metrics_allow"]):
        abort(404)  # the same page as any unknown address: nothing here to find
    body = await asyncio.to_thread(exposition)  # reads every worker's files in multiprocess mode
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def init_app(app: Quart) -> None:
    """Time every request from before the first before_request hook to after the last
    after_request hook, and serve /metrics."""
    app.extensions["metrics_allow"] = parse_allow(
        app.config.get("METRICS_ALLOW") or os.environ.get("MOONCART_METRICS_ALLOW") or DEFAULT_ALLOW
    )
    app.before_request_funcs.setdefault(None, []).insert(0, start_timer)
    app.after_request_funcs.setdefault(None, []).insert(0, record)  # they run last-registered first
    app.register_blueprint(bp)

    @app.after_serving
    async def forget_this_worker() -> None:
        """A stopped worker's live gauges leave the sums."""
        if MULTIPROCESS:  # its live gauges stop counting; its counters stay in the sums
            multiprocess.mark_process_dead(os.getpid())
