"""Prometheus metrics: /metrics only for allowed addresses; requests labelled by route, never by
path; orders counted once committed; the pool and live streams as gauges; with hypercorn's
workers, one scrape adds up every worker."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from mooncart import create_app
from mooncart.db import execute, fetch_val
from mooncart.ops import metrics
from tests.conftest import post, read_until, soup
from tests.factories import make_product, shopper_with_bag
from tests.shop_server import running_shop

LOOPBACK = {"client": ("127.0.0.1", 50000)}
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


async def scrape(client, scope=LOOPBACK) -> dict:
    """(sample name, sorted labels) -> value, from /metrics."""
    response = await client.get("/metrics", scope_base=scope)
    assert response.status_code == 200
    return parse(await response.get_data(as_text=True))


def parse(text: str) -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_are_served_to_loopback_in_prometheus_text_format(client):
    response = await client.get("/metrics", scope_base=LOOPBACK)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = await response.get_data(as_text=True)
    assert "# TYPE mooncart_http_request_duration_seconds histogram" in text
    assert (await client.get("/metrics", scope_base={"client": ("::1", 50000)})).status_code == 200
    assert (await client.get("/metrics", scope_base={"client": ("::ffff:127.0.0.1", 50000)})).status_code == 200


async def test_other_addresses_get_the_shops_404(client):
    for address in ("203.0.113.9", "10.0.0.5", "2001:db8::1", "<local>"):
        response = await client.get("/metrics", scope_base={"client": (address, 50000)})
        assert response.status_code == 404
        assert "mooncart_" not in await response.get_data(as_text=True)
        assert soup(await response.get_data()).find("h1") is not None  # the ordinary not-found page


async def test_the_allow_list_takes_addresses_and_networks(database, conn):
    app = create_app(
        {
            "SECRET_KEY": "t",
            "DATABASE_URL": database.url,
            "DB_CONNECTION": conn,
            "METRICS_ALLOW": "10.0.0.0/8, 192.0.2.7",
        }
    )
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/metrics", scope_base={"client": ("10.20.30.40", 1)})).status_code == 200
        assert (await client.get("/metrics", scope_base={"client": ("192.0.2.7", 1)})).status_code == 200
        assert (await client.get("/metrics", scope_base={"client": ("192.0.2.8", 1)})).status_code == 404
        assert (await client.get("/metrics", scope_base=LOOPBACK)).status_code == 404


def test_a_bad_allow_list_is_refused_at_start_with_a_clear_message(database):
    with pytest.raises(ValueError, match="MOONCART_METRICS_ALLOW: 'localhost' is not an address or network"):
        create_app({"SECRET_KEY": "t", "DATABASE_URL": database.url, "METRICS_ALLOW": "127.0.0.1,localhost"})


async def test_requests_are_counted_and_timed_by_route_not_by_path(client, conn):
    one, two = await make_product(conn), await make_product(conn)
    before = await scrape(client)
    for product in (one, two, one):
        assert (await client.get(f"/products/{product['slug']}")).status_code == 200
    assert (await client.get("/no/such/page/ever")).status_code == 404
    after = await scrape(client)
    route = {"method": "GET", "route": "/products/<slug>"}
    assert (
        value(after, "mooncart_http_requests_total", status="200", **route)
        - value(before, "mooncart_http_requests_total", status="200", **route)
        == 3
    )
    assert (
        value(after, "mooncart_http_request_duration_seconds_count", **route)
        - value(before, "mooncart_http_request_duration_seconds_count", **route)
        == 3
    )
    assert (
        value(after, "mooncart_http_requests_total", method="GET", route="unmatched", status="404")
        - value(before, "mooncart_http_requests_total", method="GET", route="unmatched", status="404")
        == 1
    )
    assert not any(one["slug"] in str(labels) or "/no/such" in str(labels) for _name, labels in after)


async def test_a_refused_post_is_counted_with_its_status(client):
    before = await scrape(client)
    response = await client.post("/bag/add", form={"variant_id": "1", "quantity": "1"})  # no CSRF token
    assert response.status_code == 403
    after = await scrape(client)
    labels = {"method": "POST", "route": "/bag/add", "status": "403"}
    assert (
        value(after, "mooncart_http_requests_total", **labels) - value(before, "mooncart_http_requests_total", **labels)
        == 1
    )


async def test_an_order_is_counted_once_with_its_value(app, conn):
    client, user, _variants, form = await shopper_with_bag(app, conn, 2, price_paise=49900)
    before = await scrape(client)
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 303
    await post(client, "/checkout", form=form)  # the same form again: the same order, not a new one
    after = await scrape(client)
    assert (
        value(after, "mooncart_orders_placed_total", payment_method="cod")
        - value(before, "mooncart_orders_placed_total", payment_method="cod")
        == 1
    )
    charged = await fetch_val(
        conn, "SELECT subtotal_paise + shipping_paise FROM orders WHERE user_id = %s", (user["id"],)
    )
    assert charged == 2 * 49900 + 7900  # what the shopper pays, delivery included
    assert (
        value(after, "mooncart_order_revenue_paise_total", payment_method="cod")
        - value(before, "mooncart_order_revenue_paise_total", payment_method="cod")
        == charged
    )


async def test_a_refused_order_is_not_counted(app, conn):
    client, _user, variants, form = await shopper_with_bag(app, conn, 3, stock=5)
    await execute(conn, "UPDATE variants SET stock = 1 WHERE id = %s", (variants[0]["id"],))
    before = await scrape(client)
    assert (await post(client, "/checkout", form=form)).status_code == 422
    after = await scrape(client)
    assert value(after, "mooncart_orders_placed_total", payment_method="cod") == value(
        before, "mooncart_orders_placed_total", payment_method="cod"
    )


def gauge(name: str) -> float:
    return parse(metrics.exposition().decode())[(name, ())]


async def test_the_pool_gauges_show_connections_lent_and_requests_waiting(database):
    # The app is not served (no test_app()): its background tasks (the event writer's purge, the
    # outbox sender, the holds tidy) would queue on the pool's one connection too and move the
    # process-wide waiting gauge under the test. The first acquire opens the pool, as the first
    # request after an outage does.
    app = create_app({"SECRET_KEY": "t", "DATABASE_URL": database.url, "DB_POOL_MIN": 1, "DB_POOL_MAX": 1})
    base_max = gauge("mooncart_db_pool_connections_max")
    db = app.extensions["db"]
    in_use, waiting = gauge("mooncart_db_pool_connections_in_use"), gauge("mooncart_db_pool_waiting")
    first = await db.acquire()
    try:
        assert gauge("mooncart_db_pool_connections_max") == base_max + 1
        assert gauge("mooncart_db_pool_connections_in_use") == in_use + 1
        second = asyncio.create_task(db.acquire())  # the pool's one connection is lent: this one waits
        async with asyncio.timeout(10):
            while gauge("mooncart_db_pool_waiting") != waiting + 1:
                await asyncio.sleep(0.01)
    finally:
        db.release(first)
    db.release(await second)
    assert gauge("mooncart_db_pool_waiting") == waiting
    assert gauge("mooncart_db_pool_connections_in_use") == in_use
    await db.close()
    assert gauge("mooncart_db_pool_connections_max") == base_max


async def test_open_live_stock_streams_are_counted(pooled_app):
    app, conn, made = pooled_app
    product = made["product"] = await make_product(conn, stock=3)
    before = gauge("mooncart_live_stock_subscribers")
    async with app.test_client().request(f"/live/product/{product['id']}") as stream:
        await stream.send_complete()
        await read_until(stream, b"listening")
        assert gauge("mooncart_live_stock_subscribers") == before + 1
        await stream.disconnect()
    while app.app.extensions["stock_events"].subscriptions:  # the stream notices the closed tab
        await asyncio.sleep(0.01)
    assert gauge("mooncart_live_stock_subscribers") == before


def referenced_series(expression: str) -> set[str]:
    """The metric names a PromQL expression reads (words followed by { or [ or standing alone
    before a comparison), minus PromQL's own functions and keywords."""
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*[{\[)\s]|$)", expression))
    promql = {
        "sum",
        "rate",
        "by",
        "or",
        "and",
        "unless",
        "histogram_quantile",
        "le",
        "route",
        "instance",
        "on",
        "without",
        "max",
        "min",
        "avg",
        "count",
        "irate",
        "increase",
        "status",
        "job",
    }
    return {w for w in words if w not in promql}


async def test_the_example_prometheus_config_and_alerts_parse_and_name_real_metrics(app, conn):
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    assert config["scrape_configs"][0]["metrics_path"] == "/metrics"
    assert config["rule_files"] == ["alerts.yml"]
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    alerts = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    assert {"MooncartHighErrorRate", "MooncartSlowRequests", "MooncartDatabasePoolExhausted"} <= set(alerts)
    for rule in alerts.values():
        assert rule["expr"] and rule["for"] and rule["labels"]["severity"] and rule["annotations"]["summary"]

    # exercise the shop a little (a page, an order), then every series the alerts read must exist
    client, _user, _variants, form = await shopper_with_bag(app, conn, 1)
    assert (await post(client, "/checkout", form=form)).status_code == 303
    response = await client.get("/metrics", scope_base=LOOPBACK)
    exported = {
        sample.name
        for family in text_string_to_metric_families(await response.get_data(as_text=True))
        for sample in family.samples
    }
    for name, rule in alerts.items():
        for series in referenced_series(rule["expr"]):
            if series == "up":  # made by Prometheus itself for every target
                continue
            assert series in exported, f"{name} reads {series}, which /metrics does not export"


def test_under_hypercorn_workers_one_scrape_adds_up_every_worker(database, tmp_path):
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left over from an earlier start")
    with running_shop(
        database.url,
        2,
        tmp_path / "shop.log",
        supervised=True,
        env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "MOONCART_DB_POOL_MAX": "7"},
    ) as (url, _process):
        assert not (metrics_dir / "counter_999999.db").exists()  # emptied for this start
        for _ in range(200):  # both workers have opened their pools
            samples = parse(httpx.get(f"{url}/metrics", timeout=30).text)
            if value(samples, "mooncart_db_pool_connections_max") == 14:
                break
            time.sleep(0.1)
        assert value(samples, "mooncart_db_pool_connections_max") == 2 * 7  # both workers' pools, added up
        assert len({p.name.rsplit("_", 1)[1] for p in metrics_dir.glob("gauge_livesum_*.db")}) == 2
        before = value(samples, "mooncart_http_requests_total", method="GET", route="/healthz", status="200")
        for _ in range(20):  # a new connection each, so both workers take some
            assert httpx.get(f"{url}/healthz", headers={"Connection": "close"}, timeout=30).status_code == 200
        samples = parse(httpx.get(f"{url}/metrics", timeout=30).text)
        assert (
            value(samples, "mooncart_http_requests_total", method="GET", route="/healthz", status="200") == before + 20
        )
        assert httpx.get(f"{url}/readyz", timeout=30).json() == {"status": "ready", "checks": {"database": "ok"}}
    # stopped: the workers took their live gauges with them
    assert not list(metrics_dir.glob("gauge_livesum_*.db"))
