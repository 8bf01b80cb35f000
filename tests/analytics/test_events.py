"""The clickstream: which requests become events, the visitor cookie and Do Not Track, funnels
that equal a brute-force count, retention, a slow database that no request waits for, and a
graceful shutdown that loses nothing."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

import aiomysql

from mooncart import create_app
from mooncart.admin.analytics import step_columns
from mooncart.analytics import queries
from mooncart.analytics.recorder import Event, EventRecorder
from mooncart.analytics.tracking import VISITOR_COOKIE, device_of
from mooncart.db import execute, execute_many, fetch_all, fetch_val
from tests.conftest import database_url, log_in, post, soup, statements_run
from tests.factories import make_category, make_product, make_user, make_voucher, shopper_with_bag

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)


async def written(app) -> int:
    """Write what the app's recorder has queued (tests share one connection, so nothing is
    written in the background)."""
    return await app.app.extensions["events"].flush()


async def test_views_adds_checkout_and_orders_become_events_under_one_visitor(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    product_id = await fetch_val(conn, "SELECT product_id FROM variants WHERE id = %s", (variants[0]["id"],))
    slug = await fetch_val(conn, "SELECT slug FROM products WHERE id = %s", (product_id,))
    await written(app)
    async with conn.cursor() as cur:
        await cur.execute("DELETE FROM events")
    assert (await client.get(f"/products/{slug}", headers={"User-Agent": PHONE})).status_code == 200
    await post(client, "/bag/add", form={"variant_id": str(variants[0]["id"]), "quantity": "1"})
    checkout = soup(await (await client.get("/checkout")).get_data())
    # the bag changed since shopper_with_bag read the page: send what this checkout page showed
    form["confirmation"] = checkout.find("input", attrs={"name": "confirmation"})["value"]
    placed = await post(client, "/checkout", form=form)
    assert placed.status_code == 303
    assert await fetch_val(conn, "SELECT COUNT(*) FROM events") == 0  # nothing written by the requests themselves
    await written(app)
    rows = await fetch_all(conn, "SELECT kind, visitor_id, device, product_id, order_id, step FROM events ORDER BY id")
    kinds = [row["kind"] for row in rows]
    assert kinds.count("view") == 1 and kinds.count("add") == 1 and kinds.count("order") == 1
    assert {row["step"] for row in rows if row["kind"] == "checkout"} >= {"show", "placed"}
    assert len({row["visitor_id"] for row in rows}) == 1
    assert rows[0]["device"] == "mobile"
    assert all(row["product_id"] == product_id for row in rows if row["kind"] in ("view", "add", "order"))
    assert [row["order_id"] for row in rows if row["kind"] == "order"][0] is not None


async def test_the_bag_pages_voucher_box_is_not_a_checkout_step(app, conn):
    # /bag/voucher is served by checkout's blueprint, but a shopper using it is still on the bag
    client, _user, _variants, _form = await shopper_with_bag(app, conn, 1)
    await make_voucher(conn, "BAGONLY10")
    await written(app)
    async with conn.cursor() as cur:
        await cur.execute("DELETE FROM events")
    assert (await post(client, "/bag/voucher", form={"code": "BAGONLY10"})).status_code == 303
    assert (await post(client, "/bag/voucher/remove", form={})).status_code == 303
    assert (await post(client, "/checkout/voucher", form={"code": "BAGONLY10"})).status_code == 303
    await written(app)
    steps = [row["step"] for row in await fetch_all(conn, "SELECT step FROM events WHERE kind = 'checkout'")]
    assert steps == ["apply_voucher-post"]


async def test_do_not_track_and_global_privacy_control_record_nothing_and_set_no_cookie(app, conn):
    product = await make_product(conn)
    await written(app)
    for header in ({"DNT": "1"}, {"Sec-GPC": "1"}):
        response = await app.test_client().get(product["url"], headers=header)
        assert response.status_code == 200
        assert VISITOR_COOKIE not in " ".join(response.headers.getlist("Set-Cookie"))  # every cookie set
    assert await written(app) == 0
    response = await app.test_client().get(product["url"])
    assert VISITOR_COOKIE in " ".join(response.headers.getlist("Set-Cookie"))
    assert await written(app) == 1


async def test_recording_costs_a_request_no_statement(app, conn):
    product = await make_product(conn)
    client = app.test_client()
    await client.get(product["url"])
    await written(app)
    app.app.extensions["events"].pending.clear()
    before = await statements_run(conn)
    await client.get(product["url"])
    with_event = await statements_run(conn) - before
    queued = len(app.app.extensions["events"].pending)
    before = await statements_run(conn)
    await client.get(product["url"], headers={"DNT": "1"})
    without = await statements_run(conn) - before
    assert queued == 1 and with_event == without


def test_devices_are_told_apart_by_user_agent():
    assert device_of(PHONE) == "mobile"
    assert device_of("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)") == "tablet"
    assert device_of("Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0") == "desktop"


def brute_force_funnel(events: list[dict], dimension: str) -> dict:
    """The funnel by the definition, counted one visitor at a time: (viewed, added, checkout,
    ordered) and, for each checkout step, the visitors counted in `checkout` who recorded it."""
    per: dict[tuple, set] = defaultdict(set)
    steps_of: dict[tuple, set] = defaultdict(set)
    for e in events:
        if e["kind"] == "checkout":
            steps_of[(e["occurred_at"].date(), e["visitor_id"])].add(e["step"] or "")
    for e in events:
        if e["kind"] in ("view", "add", "order"):
            dim = {"day": "all", "category": e["category_id"], "device": e["device"]}[dimension]
            per[(e["occurred_at"].date(), e["visitor_id"], dim)].add(e["kind"])
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    steps: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (day, visitor, dim), kinds in per.items():
        stages = ["view" in kinds, "add" in kinds, (day, visitor) in steps_of, "order" in kinds]
        reached = 0
        for stage in stages:
            if not stage:
                break
            reached += 1
        for i in range(reached):
            counts[(day, str(dim))][i] += 1
        if reached >= 3:
            for step in steps_of[(day, visitor)]:
                steps[(day, str(dim))][step] += 1
    return {key: (*value, dict(steps[key])) for key, value in counts.items() if value[0] > 0}


STEPS = ["show", "show", "place-post", "placed", "gift-wrap-post", None]


async def test_the_funnel_equals_a_brute_force_count_over_the_events(conn):
    rng = random.Random(15)
    categories = [(await make_category(conn))["id"] for _ in range(3)]
    recorder = EventRecorder(_SharedDatabase(conn))
    start = date.today() - timedelta(days=3)
    async with conn.cursor() as cur:
        await cur.execute("DELETE FROM events")
    for visitor_n in range(240):
        visitor = f"visitor{visitor_n:015d}"
        device = rng.choice(["mobile", "desktop", "tablet"])
        for _ in range(rng.randint(1, 8)):
            when = datetime.combine(start + timedelta(days=rng.randint(0, 3)), datetime.min.time()) + timedelta(
                minutes=rng.randint(0, 1439)
            )
            kind = rng.choice(["view", "view", "view", "add", "add", "checkout", "checkout", "order", "search"])
            category = rng.choice(categories) if kind in ("view", "add", "order") else None
            recorder.record(
                Event(
                    occurred_at=when,
                    visitor_id=visitor,
                    kind=kind,
                    device=device,
                    product_id=None,
                    category_id=category,
                    query="palazzo" if kind == "search" else None,
                    results=0 if kind == "search" else None,
                    # the steps the shop records, one it may record one day, and none at all
                    step=rng.choice(STEPS) if kind == "checkout" else None,
                )
            )
    # written as they are, without the writer's lookups (these orders are not real orders)
    events = list(recorder.pending)
    await execute_many(
        conn,
        queries.INSERT_EVENT,
        [
            (
                e.occurred_at,
                e.visitor_id,
                e.kind,
                e.device,
                e.product_id,
                e.category_id,
                None,
                None,
                e.query,
                e.results,
                e.step,
            )
            for e in events
        ],
    )
    stored = await queries.select_events(conn, start, date.today())
    assert len(stored) == len(events)
    for dimension in ("day", "category", "device"):
        rows = await queries.select_funnel(conn, start, date.today(), dimension)
        from_sql = {
            (row["day"], str(row["dim"])): (
                int(row["viewed"]),
                int(row["added"]),
                int(row["checkout"]),
                int(row["ordered"]),
                row["steps"],
            )
            for row in rows
        }
        assert from_sql == brute_force_funnel(stored, dimension), dimension
        assert all(set(row["steps"]) <= set(STEPS) - {None} | {""} for row in rows)
        assert all(max(row["steps"].values(), default=0) <= int(row["checkout"]) for row in rows)
    assert {step for row in rows for step in row["steps"]} == {"", "show", "place-post", "placed", "gift-wrap-post"}
    searches = await queries.select_searches_without_results(conn, start, date.today())
    assert searches[0]["query"] == "palazzo"
    assert searches[0]["searches"] == sum(1 for e in stored if e["kind"] == "search")


async def test_the_dashboard_shows_the_funnel_and_exports_csv(app, conn):
    product = await make_product(conn)
    visitor = app.test_client()
    await visitor.get(product["url"])
    await written(app)
    staff = app.test_client()
    await log_in(staff, await make_user(conn, is_staff=True))
    page = soup(await (await staff.get("/admin/analytics")).get_data())
    first = page.select_one("#funnel tbody tr").find_all("td")
    assert int(first[1].get_text()) >= 1
    response = await staff.get("/admin/analytics/funnel.csv?by=device")
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    lines = (await response.get_data(as_text=True)).splitlines()
    assert lines[0].startswith("day,dim,category_name,viewed,added,checkout,")
    assert lines[0].endswith(",ordered,view_to_order")
    assert len(lines) >= 2
    assert (await staff.get("/admin/analytics/passwords.csv")).status_code == 404
    assert (await staff.get("/admin/analytics?from=2026-02-30&to=yesterday&by=%27")).status_code == 200


async def test_the_funnel_shows_each_checkout_step_between_added_and_ordered_in_the_page_and_the_csv(app, conn):
    # one shopper views, adds, opens checkout, applies a voucher (the page shows the new total),
    # sends the form without an address (sent back) and places the order; the funnel has a
    # column per step she recorded, in her order
    client, _user, variants, form = await shopper_with_bag(app, conn, 1)
    await make_voucher(conn, "STEPS10")
    category_id = await fetch_val(
        conn,
        "SELECT p.category_id FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = %s",
        (variants[0]["id"],),
    )
    slug = await fetch_val(
        conn,
        "SELECT p.slug FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = %s",
        (variants[0]["id"],),
    )
    await written(app)
    await execute(conn, "DELETE FROM events")
    assert (await client.get(f"/products/{slug}")).status_code == 200
    await post(client, "/bag/add", form={"variant_id": str(variants[0]["id"]), "quantity": "1"})
    assert (await client.get("/checkout")).status_code == 200
    assert (await post(client, "/checkout/voucher", form={"code": "STEPS10"})).status_code == 303
    checkout = soup(await (await client.get("/checkout")).get_data())
    form["confirmation"] = checkout.find("input", attrs={"name": "confirmation"})["value"]
    assert (await post(client, "/checkout", form=dict(form, address_id="new"))).status_code == 422  # no address
    assert (await post(client, "/checkout", form=form)).status_code == 303
    await written(app)

    staff = app.test_client()
    await log_in(staff, await make_user(conn, is_staff=True))
    for by, dim in (("day", None), ("category", str(category_id)), ("device", "desktop")):
        page = soup(await (await staff.get(f"/admin/analytics?by={by}")).get_data())
        table = page.find(id="funnel")
        labels = [th.get_text() for th in table.select("thead tr")[1].find_all("th")]
        assert labels == ["Any step", "Opened checkout", "Applied a voucher", "Order form sent back", "Order placed"]
        steps = [th["data-step"] for th in table.select("thead th[data-step]")]
        assert steps == ["show", "apply_voucher-post", "place-refused", "placed"]
        header = [th.get_text() for th in table.select("thead tr")[0].find_all("th")]
        assert header.index("Checkout") == header.index("Added") + 1 and header[-2:] == ["Ordered", "View to order"]
        cells = [td.get_text() for td in table.select_one("tbody tr").find_all("td")]
        numbers = cells[1:] if by == "day" else cells[2:]
        # viewed, added, checkout (any step), its four steps, ordered, view to order
        assert numbers == ["1", "1", "1", "1", "1", "1", "1", "1", "100.0%"], by

        csv_text = await (await staff.get(f"/admin/analytics/funnel.csv?by={by}")).get_data(as_text=True)
        head, row = csv_text.splitlines()
        assert head == (
            "day,dim,category_name,viewed,added,checkout,checkout:show,checkout:apply_voucher-post,"
            "checkout:place-refused,checkout:placed,"
            "ordered,view_to_order"
        )
        assert row.split(",")[1] == (dim or "all") and row.split(",")[3:] == ["1"] * 8 + ["1.0000"]


def test_steps_are_shown_in_the_order_a_shopper_meets_them_and_unknown_ones_after():
    rows = [{"steps": {"placed": 1, "zz-new-page": 1, "show": 2}}, {"steps": {"": 1, "apply_voucher-post": 1}}]
    assert step_columns(rows) == [
        ("show", "Opened checkout"),
        ("apply_voucher-post", "Applied a voucher"),
        ("placed", "Order placed"),
        ("", "(no step)"),
        ("zz-new-page", "zz-new-page"),
    ]
    assert step_columns([]) == []


async def test_old_events_are_deleted_after_the_retention_period(conn):
    await execute(conn, "DELETE FROM events")
    for days_ago in (120, 91, 10, 0):
        await execute(
            conn,
            "INSERT INTO events (occurred_at, visitor_id, kind, device) "
            "VALUES (NOW(6) - INTERVAL %s DAY, 'retention-test-visitor', 'view', "
            "'desktop')",
            (days_ago,),
        )
    assert await queries.delete_old_events(conn, 90) == 2
    assert await fetch_val(conn, "SELECT COUNT(*) FROM events") == 2


def test_the_retention_period_comes_from_the_environment(monkeypatch):
    from mooncart.config import load_config

    monkeypatch.delenv("MOONCART_EVENTS_RETENTION_DAYS", raising=False)
    assert load_config({"SECRET_KEY": "t"})["EVENTS_RETENTION_DAYS"] == 90
    monkeypatch.setenv("MOONCART_EVENTS_RETENTION_DAYS", "30")
    assert load_config({"SECRET_KEY": "t"})["EVENTS_RETENTION_DAYS"] == 30


async def test_a_serving_shop_deletes_events_past_the_retention_period_without_waiting_an_hour(database):
    """The background writer purges on its first pass, then hourly: a shop started on a machine
    up for less than an hour (the loop's clock starts near its uptime) purged nothing at first."""
    old = await _committed(
        database,
        "INSERT INTO events (occurred_at, visitor_id, kind, device) "
        "VALUES (NOW(6) - INTERVAL 31 DAY, 'retention-serve-visit0', 'view', 'desktop')",
    )
    recent = await _committed(
        database,
        "INSERT INTO events (occurred_at, visitor_id, kind, device) "
        "VALUES (NOW(6) - INTERVAL 29 DAY, 'retention-serve-visit0', 'view', 'desktop')",
    )
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE_URL": database_url(database),
            "EVENTS_FLUSH_SECONDS": 0.05,
            "EVENTS_RETENTION_DAYS": 30,
        }
    )
    try:
        async with app.test_app():
            for _ in range(200):
                left = await _count(database, "SELECT COUNT(*) FROM events WHERE id IN (%s, %s)", (old, recent))
                if left == 1:
                    break
                await asyncio.sleep(0.05)
        assert await _count(database, "SELECT COUNT(*) FROM events WHERE id = %s", (old,)) == 0
        assert await _count(database, "SELECT COUNT(*) FROM events WHERE id = %s", (recent,)) == 1
    finally:
        await _committed(database, "DELETE FROM events WHERE visitor_id = 'retention-serve-visit0'")


def test_purge_events_deletes_past_the_retention_period_from_the_environment(database):
    import os
    import subprocess  # nosec B404
    import sys

    import pymysql

    def run(sql, params=()):
        conn = pymysql.connect(**database.connect_kwargs())
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            conn.close()

    for days_ago in (45, 20):
        run(
            "INSERT INTO events (occurred_at, visitor_id, kind, device) "
            "VALUES (NOW(6) - INTERVAL %s DAY, 'purge-cli-visitor00000', 'view', 'desktop')",
            (days_ago,),
        )
    env = dict(
        os.environ,
        MOONCART_DATABASE_URL=database_url(database),
        MOONCART_SECRET_KEY="cli-test",
        MOONCART_EVENTS_RETENTION_DAYS="30",
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mooncart", "purge-events"], env=env, capture_output=True, text=True, timeout=120
        )  # nosec B603
        assert done.returncode == 0, done.stderr
        assert "older than 30 days" in done.stdout
        left = run("SELECT DATEDIFF(NOW(), occurred_at) FROM events WHERE visitor_id = 'purge-cli-visitor00000'")
        assert [row[0] for row in left] == [20]
    finally:
        run("DELETE FROM events WHERE visitor_id = 'purge-cli-visitor00000'")


class _SharedDatabase:
    """The recorder's database interface over one test connection."""

    def __init__(self, conn):
        self.conn = conn
        self.shared_connection = conn

    async def acquire(self):
        return self.conn

    def release(self, conn):
        pass


async def _committed(database, sql, params=()):
    conn = await aiomysql.connect(**database.connect_kwargs())
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, params)
            return cur.lastrowid
    finally:
        conn.close()


async def test_a_slow_database_delays_the_writing_never_a_request_and_shutdown_loses_nothing(database):
    """Served with a real pool: while another connection holds the events table locked, the
    background write waits, yet pages are answered; on shutdown every event is written."""
    category_id = await _committed(database, "INSERT INTO categories (slug, name) VALUES ('slow-db-test', 'Slow')")
    product_id = await _committed(
        database,
        "INSERT INTO products (category_id, slug, name, description, "
        "from_price_paise) "
        "VALUES (%s, 'slow-db-kurti', 'Slow kurti', 'A test kurti.', 99900)",
        (category_id,),
    )
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE_URL": database_url(database),
            "REFERENCE_CACHE_SECONDS": 0,
            "EVENTS_FLUSH_SECONDS": 0.05,
        }
    )
    locker = await aiomysql.connect(**database.connect_kwargs())
    try:
        async with app.test_app() as test_app:
            recorder: EventRecorder = app.extensions["events"]
            client = test_app.test_client()
            assert (await client.get("/products/slow-db-kurti")).status_code == 200
            while recorder.written == 0:  # the first view is written in the background
                await asyncio.sleep(0.02)
            async with locker.cursor() as cur:
                await cur.execute("LOCK TABLES events WRITE")
            statuses = []
            for _ in range(20):
                statuses.append((await client.get("/products/slow-db-kurti")).status_code)
                await asyncio.sleep(0.01)
            while not recorder._lock.locked():  # the writer is now stuck behind the lock
                await asyncio.sleep(0.02)
            for _ in range(10):  # and pages are still answered meanwhile
                statuses.append((await client.get("/products/slow-db-kurti")).status_code)
            assert statuses == [200] * 30
            assert recorder._lock.locked() and recorder.written == 1
            async with locker.cursor() as cur:
                await cur.execute("UNLOCK TABLES")
            for n in range(500):  # queued just before a graceful shutdown
                recorder.record(
                    Event(
                        occurred_at=datetime.now(),
                        visitor_id=f"shutdown{n:014d}",
                        kind="view",
                        device="desktop",
                        product_id=product_id,
                        category_id=category_id,
                    )
                )
        views = await _count(
            database, "SELECT COUNT(*) FROM events WHERE product_id = %s AND kind = 'view'", (product_id,)
        )
        assert views == 31 + 500
    finally:
        locker.close()
        await _committed(database, "DELETE FROM events WHERE product_id = %s", (product_id,))
        await _committed(database, "DELETE FROM products WHERE id = %s", (product_id,))
        await _committed(database, "DELETE FROM categories WHERE id = %s", (category_id,))


async def _count(database, sql, params):
    conn = await aiomysql.connect(**database.connect_kwargs())
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, params)
            return (await cur.fetchone())[0]
    finally:
        conn.close()
