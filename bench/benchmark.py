"""Mooncart's benchmark: hypercorn on loopback against databases of its own, loaded by wrk.

Prints, for each endpoint at 8 and 32 connections: requests per second, p50 and p99 latency, SQL
statements per request (MariaDB's global Questions counter: exact only when nothing else uses the
server) and response bytes. Each endpoint runs right next to its references, in the same run:
bench/bare_app.py (Quart + aiomysql, the same SQL and templates, none of the shop's middleware)
for add to bag, the product page and the listing, and bench/seed_app.py (the seed design: Flask
+ PyMySQL, a connection per request, gunicorn sync workers, JSON) for add to bag; then each ratio
against its target. Last, the listing and product page on 1,000,000 products against 10,000.

    bench/run                    # everything (seeds the catalogues the first time: ~3 minutes)
    bench/run --quick            # a smoke pass: 2 s per run, no 1,000,000-product comparison
    bench/run --rounds 3         # alternate each endpoint with its references 3 times, report medians
    bench/run --only add,product --connections 8   # a subset
    bench/run --skip-million     # no 1,000,000-product comparison
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import aiomysql
import pymysql
from itsdangerous import Signer, URLSafeSerializer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("MOONCART_BENCH_SRC", str(ROOT / "src")))  # bench/cpu.py may pass an older src/
sys.path.insert(0, str(ROOT))

from mooncart import create_app  # noqa: E402
from mooncart.checkout import confirmation  # noqa: E402
from mooncart.checkout.pricing import order_totals  # noqa: E402
from mooncart.config import DatabaseSettings  # noqa: E402
from mooncart.demo import seed_demo  # noqa: E402
from mooncart.migrations import create_database  # noqa: E402

SECRET = "mooncart-bench-secret"
SERVER = DatabaseSettings.from_url(
    os.environ.get("MOONCART_BENCH_SERVER_URL", "mysql://root@127.0.0.1:3306/"), allow_no_database=True
)
# the 10,000-product database; another name lets two people measure at once without resetting each other's bags
SMALL_DATABASE = os.environ.get("MOONCART_BENCH_DATABASE", "mooncart_bench_10k")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- databases -----------------------------------------------------------------------------


async def ensure_catalogue(name: str, products: int) -> DatabaseSettings:
    settings = SERVER.with_database(name)
    await create_database(settings, report=log)
    conn = await aiomysql.connect(**settings.connect_kwargs())
    try:
        async with conn.cursor() as cur:
            await cur.execute("SELECT COUNT(*) FROM products")
            (count,) = await cur.fetchone()
        if count != products:
            log(f"Building the {products:,}-product catalogue in {name} (once; kept for later runs)")
            conn.close()
            admin = await aiomysql.connect(**settings.connect_kwargs(with_database=False))
            async with admin.cursor() as cur:
                await cur.execute(f"DROP DATABASE `{name}`")
            admin.close()
            await create_database(settings, report=log)
            conn = await aiomysql.connect(**settings.connect_kwargs())
            await seed_demo(conn, products=products, seed=42, batch_size=5000)
    finally:
        conn.close()
    return settings


def sync_connect(settings: DatabaseSettings):
    kwargs = settings.connect_kwargs()
    kwargs["database"] = kwargs.pop("db")
    return pymysql.connect(**kwargs, cursorclass=pymysql.cursors.DictCursor)


def questions(settings: DatabaseSettings) -> int:
    conn = sync_connect(settings)
    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL STATUS LIKE 'Questions'")
        value = int(cur.fetchone()["Value"])
    conn.close()
    return value


# ---- shoppers for the POST benchmarks -------------------------------------------------------


class Signers:
    """Cookies exactly as the app would sign them."""

    def __init__(self, settings: DatabaseSettings):
        self.app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": settings.url})
        self.session = self.app.session_interface.get_signing_serializer(self.app)
        self.bag = Signer(SECRET, salt="mooncart.bag")
        self.auth = self.app.extensions["mooncart_auth"]

    def confirmation(self, variant_id: int, price_paise: int) -> str:
        """The checkout page's signed record of a one-piece bag with no voucher, as the shop signs
        it (checkout/confirmation.py), so a prepared order is one the shopper has seen."""
        line = SimpleNamespace(variant_id=variant_id, quantity=1, price_paise=price_paise)
        priced = SimpleNamespace(totals=order_totals([line]), code="")
        return URLSafeSerializer(SECRET, salt=confirmation.SALT).dumps(confirmation.shown([line], priced))

    def cookies(
        self, csrf: str, bag_token: str | None = None, auth_token: str | None = None, visitor: str | None = None
    ) -> str:
        parts = [f"mooncart={self.session.dumps({'csrf_token': csrf})}"]
        if bag_token:
            parts.append(f"mooncart_bag={self.bag.sign(bag_token).decode()}")
        if auth_token:
            parts.append(f"mooncart_session={self.auth.dump_token(auth_token, app=self.app)}")
        if visitor:
            # the analytics visitor cookie (mooncart.analytics.tracking), which a shopper's first
            # page gave her: without it every add would be a first visit and be sent a new one
            parts.append(f"mooncart_visitor={visitor}")
        return "; ".join(parts)


def prepare_bag_requests(settings, signers, workdir: Path) -> tuple[dict[str, Path], list]:
    """Guests with bags: add-to-bag over many variants, quantity changes on existing lines, and the
    same add-to-bag traffic for the bare app and the seed design (the bag token in a plain cookie).
    Returns the request files and the guests' bags, for reset_bags()."""
    conn = sync_connect(settings)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM carts WHERE user_id IS NULL")
        cur.execute("SELECT id FROM variants WHERE stock >= 20 ORDER BY RAND(7) LIMIT 6000")
        variants = [row["id"] for row in cur.fetchall()]
        guests = []
        for _ in range(500):
            token, csrf, visitor = secrets.token_hex(16), secrets.token_urlsafe(32), secrets.token_urlsafe(16)
            cur.execute("INSERT INTO carts (token) VALUES (%s)", (token,))
            cart_id = cur.lastrowid
            lines = random.sample(variants, 3)
            guests.append((token, csrf, lines, cart_id, visitor))
    conn.commit()
    conn.close()
    reset_bags(settings, guests)
    files = {name: workdir / f"{name}.txt" for name in ("add", "change", "bare")}
    with files["add"].open("w") as add, files["bare"].open("w") as bare, files["change"].open("w") as change:
        for i, variant_id in enumerate(variants):
            token, csrf, lines, _, visitor = guests[i % len(guests)]
            body = f"variant_id={variant_id}&quantity=1"
            add.write(f"POST\t/bag/add\t{signers.cookies(csrf, token, visitor=visitor)}\t{csrf}\t{body}\n")
            bare.write(f"POST\t/bag/add\tbare_bag={token}\t-\t{body}\n")
        for i, (token, csrf, lines, _, visitor) in enumerate(guests):
            for n, variant_id in enumerate(lines):
                change.write(
                    f"POST\t/bag/items/{variant_id}\t{signers.cookies(csrf, token, visitor=visitor)}\t{csrf}\t"
                    f"quantity={1 + (i + n) % 2}\n"
                )
    return files, guests


def reset_bags(settings, guests) -> None:
    """Every guest's bag back to its three lines of one, so that each add-to-bag run (the shop's,
    the bare app's, the seed design's) starts from the same bags and no line reaches its limit."""
    conn = sync_connect(settings)
    with conn.cursor() as cur:
        cart_ids = [g[3] for g in guests]
        cur.execute("DELETE FROM cart_items WHERE cart_id IN (" + ",".join(["%s"] * len(cart_ids)) + ")", cart_ids)
        cur.executemany(
            # a slow server may still be working through requests wrk left queued: it may add a
            # line between the DELETE and this INSERT, so the line is set, not added
            "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1) "
            "ON DUPLICATE KEY UPDATE quantity = 1",
            [(cart_id, v) for _, _, lines, cart_id, _ in guests for v in lines],
        )
    conn.commit()
    conn.close()


def prepare_checkout_requests(settings, signers, workdir: Path, shoppers: int) -> Path:
    """Signed-in shoppers, each with a saved address and a one-line bag, each placing one order."""
    import hashlib

    conn = sync_connect(settings)
    path = workdir / "checkout.txt"
    with conn.cursor() as cur, path.open("w") as out:
        # variants in stock already: topping them up changes no facet row (migration 0509), which
        # this direct UPDATE, outside the shop's writers, would not keep in step
        cur.execute("SELECT id FROM variants WHERE stock > 0 ORDER BY RAND(11) LIMIT 500")
        variants = [row["id"] for row in cur.fetchall()]
        cur.execute(
            "SELECT id, price_paise AS price FROM variants WHERE id IN (" + ",".join(["%s"] * len(variants)) + ")",
            variants,
        )
        prices = {row["id"]: row["price"] for row in cur.fetchall()}
        cur.execute(
            "UPDATE variants SET stock = 1000000 WHERE id IN (" + ",".join(["%s"] * len(variants)) + ")", variants
        )
        run = secrets.token_hex(3)
        for i in range(shoppers):
            cur.execute(
                "INSERT INTO users (email, name, mobile, password_hash) VALUES (%s, 'Bench Shopper', "
                "'9876543210', 'x')",
                (f"bench.{run}.{i}@example.in",),
            )
            user_id = cur.lastrowid
            auth_token, bag_token, csrf = secrets.token_urlsafe(32), secrets.token_hex(16), secrets.token_urlsafe(32)
            cur.execute(
                "INSERT INTO sessions (token_hash, user_id) VALUES (%s, %s)",
                (hashlib.sha256(auth_token.encode()).hexdigest(), user_id),
            )
            cur.execute("INSERT INTO carts (token, user_id) VALUES (%s, %s)", (bag_token, user_id))
            variant_id = variants[i % len(variants)]
            cur.execute(
                "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)", (cur.lastrowid, variant_id)
            )
            cur.execute(
                "INSERT INTO addresses (user_id, full_name, line1, city, state, pin_code, mobile) VALUES "
                "(%s, 'Bench Shopper', '1 MG Road', 'Bengaluru', 'Karnataka', '560001', '9876543210')",
                (user_id,),
            )
            body = (
                f"csrf_token={csrf}&idempotency_key={secrets.token_hex(16)}&address_id={cur.lastrowid}"
                f"&payment_method=cod&confirmation={signers.confirmation(variant_id, prices[variant_id])}"
            )
            out.write(f"POST\t/checkout\t{signers.cookies(csrf, bag_token, auth_token)}\t{csrf}\t{body}\n")
    conn.commit()
    conn.close()
    return path


# ---- servers and load ----------------------------------------------------------------------


def flush_redis(url: str) -> None:
    """Empty the bench's Redis database, so the cached shop starts cold, as after a deploy."""
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """hypercorn (Mooncart, the bare app) or gunicorn (the seed design) on a free loopback port."""

    def __init__(
        self, app: str, settings: DatabaseSettings, workers: int, env: dict | None = None, gunicorn: bool = False
    ):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = dict(
            os.environ,
            MOONCART_DATABASE_URL=settings.url,
            MOONCART_SECRET_KEY=SECRET,
            PYTHONPATH=f"{ROOT / 'src'}:{ROOT / 'bench'}",
            **(env or {}),
        )
        if gunicorn:
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                app,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "30",
            ]
        else:
            command = [
                sys.executable,
                "-m",
                "hypercorn",
                app,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "uvloop",
            ]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 -- the server writes to it while it runs
        self.process = subprocess.Popen(command, env=environment, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.log.seek(0)
                    raise RuntimeError(f"{app} did not start: {self.log.read().decode()[-2000:]}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(15)


def run_wrk(url: str, duration: int, connections: int, threads: int = 2, lines: Path | None = None) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if lines is not None:
        command += ["-s", str(ROOT / "bench" / "requests.lua"), url, "--", str(lines), str(threads)]
    else:
        command.append(url)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1]),
    }


def response_bytes(url: str, lines: Path | None = None) -> int:
    request = urllib.request.Request(url)
    if lines is not None:
        method, path, cookie, token, body = lines.read_text().splitlines()[-1].split("\t", 4)
        request = urllib.request.Request(
            url + path,
            data=body.encode(),
            method=method,
            headers={
                "Cookie": cookie,
                "HX-Request": "true",
                "X-CSRF-Token": token,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return len(response.read())
    except urllib.error.HTTPError as error:
        return len(error.read())


def measure(
    name: str,
    server: Server,
    settings,
    duration: int,
    connections: int,
    path: str = "",
    lines: Path | None = None,
    before_each=None,
) -> dict:
    if before_each is not None:
        before_each()
    size = response_bytes(server.url + path, lines)
    if before_each is not None:
        before_each()
    before = questions(settings)
    result = run_wrk(server.url + path if lines is None else server.url, duration, connections, lines=lines)
    after = questions(settings)
    result.update(name=name, connections=connections, bytes=size, sql=(after - before - 1) / max(result["requests"], 1))
    log(
        f"  {name:<28} c{connections:<3} {result['rps']:>7.0f} req/s  p50 {result['p50']:7.2f} ms  "
        f"p99 {result['p99']:7.2f} ms  {result['sql']:.2f} SQL/req  {size} B  {result['errors']} non-2xx/3xx"
    )
    return result


# what the 10k-against-1M comparison asks (issue 13: listings and search with facets on a million
# products within 1.5x of their time on ten thousand): filters and common words, not just a bare
# category
SCALE_PAGES = (
    ("listing", "/c/kurtis"),
    ("listing, size M in stock", "/c/kurtis?size=M&in_stock=1"),
    ("listing, parent, one colour, 50% off", "/c/ethnic-wear?colour=Red&discount=50"),
    ("search kurti", "/search?q=kurti"),
    ("search red kurti, size M", "/search?q=red+kurti&size=M"),
)


def warm(server: Server, paths: list[str], limit_seconds: float = 240.0) -> None:
    """Time what a shop serves once warm. A worker builds its facet index in the background when
    it starts (half a minute on a million products) and loads a search word on its first search;
    until then it answers from SQL. Ask each path until it has answered quickly eight times in a
    row (each worker warm), or the time is up (then say so)."""
    deadline = time.monotonic() + limit_seconds
    for path in paths:
        fast = 0
        while fast < 8:
            if time.monotonic() > deadline:
                log(f"  (still slow after {limit_seconds:.0f} s: {path})")
                return
            started = time.monotonic()
            with urllib.request.urlopen(server.url + path, timeout=120) as reply:
                reply.read()
            fast = fast + 1 if time.monotonic() - started < 0.25 else 0


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput (of 1, 3, 5 ... rounds); its p50 and p99 with it."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["rounds"] = [round(r["rps"]) for r in runs]
    return chosen


def table(rows: list[dict]) -> str:
    lines = [
        "| endpoint | connections | req/s | p50 ms | p99 ms | SQL/request | bytes | non-2xx/3xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['connections']} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['sql']:.2f} | {r['bytes']} | {r['errors']} |"
        )
    return "\n".join(lines)


# (endpoint, its reference, least throughput ratio, most p99 ratio at 8 connections)
TARGETS = [
    ("add to bag (htmx)", "bare: add to bag", 0.85, 1.5),
    ("product page", "bare: product page", 0.8, 1.5),
    ("category listing", "bare: category listing", 0.8, 1.5),
    ("add to bag (htmx)", "seed design: add to bag (JSON)", 2.0, None),
    # issue 13: the shared Redis cache at least doubles what the heaviest reads serve
    ("product page (Redis cache)", "product page", 2.0, None),
    ("category listing (Redis cache)", "category listing", 2.0, None),
]


def ratio_table(rows: list[dict]) -> tuple[str, list[str]]:
    by = {(r["name"], r["connections"]): r for r in rows}
    lines = [
        "| endpoint | reference | connections | req/s | reference req/s | ratio | target | p99 ms | "
        "reference p99 ms | p99 ratio | |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    summary = []
    for connections in sorted({r["connections"] for r in rows}):
        for name, reference, least, p99_most in TARGETS:
            shop, ref = by.get((name, connections)), by.get((reference, connections))
            if shop is None or ref is None:
                continue
            ratio, p99_ratio = shop["rps"] / ref["rps"], shop["p99"] / ref["p99"]
            met = ratio >= least and (p99_most is None or connections != 8 or p99_ratio <= p99_most)
            p99_target = f" and p99 <= {p99_most}x" if p99_most and connections == 8 else ""
            lines.append(
                f"| {name} | {reference} | {connections} | {shop['rps']:.0f} | {ref['rps']:.0f} | "
                f"{ratio:.2f} | >= {least}{p99_target} | {shop['p99']:.2f} | {ref['p99']:.2f} | "
                f"{p99_ratio:.2f} | {'met' if met else '**missed**'} |"
            )
            summary.append(
                f"{name} at {connections} connections: {ratio:.2f} of {reference} "
                f"({shop['rps']:.0f} vs {ref['rps']:.0f} req/s), p99 {p99_ratio:.2f}x"
            )
    return "\n".join(lines), summary


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = (
        int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        // 1024
        // 1024
    )
    conn = sync_connect(SERVER.with_database("mysql"))
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION() AS v")
        version = cur.fetchone()["v"]
    conn.close()
    load = Path("/proc/loadavg").read_text().split()[:3]
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} GiB, Python {platform.python_version()}, "
        f"MariaDB {version}, {subprocess.run(['wrk', '-v'], capture_output=True, text=True).stdout.split()[1]}; "
        f"load average before the run {' '.join(load)}"
    )


ENDPOINTS = ("home", "listing", "product", "search", "add", "change", "order")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--connections", default="8,32", help="wrk connection counts (default 8,32)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="alternate each endpoint with its reference this many times; the median is "
        "reported (default 1; 3 on a busy machine)",
    )
    parser.add_argument("--workers", type=int, default=2, help="hypercorn/gunicorn workers (default 2, one per core)")
    parser.add_argument(
        "--only", default=",".join(ENDPOINTS), help=f"endpoints to run, of {','.join(ENDPOINTS)} (default all)"
    )
    parser.add_argument("--skip-million", action="store_true", help="skip the 1,000,000-product comparison")
    parser.add_argument(
        "--million-only", action="store_true", help="only the 1,000,000-product comparison (10k against 1M)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke pass: 2 s runs, one round, no 1,000,000-product comparison"
    )
    parser.add_argument("--json", type=Path, help="also write every run's numbers here")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.rounds, args.skip_million = 2, 1, True
    duration, levels = args.duration, [int(c) for c in args.connections.split(",")]
    only = set() if args.million_only else set(args.only.split(","))
    if only - set(ENDPOINTS):
        parser.error(f"--only takes {','.join(ENDPOINTS)}")

    small = asyncio.run(ensure_catalogue(SMALL_DATABASE, 10_000))
    big = None if args.skip_million else asyncio.run(ensure_catalogue("mooncart_bench_1m", 1_000_000))
    signers = Signers(small)
    workdir = Path(tempfile.mkdtemp(prefix="mooncart-bench-"))
    bag_files, guests = prepare_bag_requests(small, signers, workdir)
    order_seconds = min(duration, 8)
    checkout = None
    if "order" in only:
        checkout = prepare_checkout_requests(small, signers, workdir, shoppers=500 if args.quick else 6000)
    conn = sync_connect(small)
    with conn.cursor() as cur:
        cur.execute("SELECT p.slug FROM products p WHERE p.id = 5000")
        small_product = cur.fetchone()["slug"]
    conn.close()
    header = machine()
    reset = lambda: reset_bags(small, guests)  # noqa: E731

    log(
        f"\nMooncart, its bare references and the seed design on {small.database} ({args.workers} workers "
        f"each), wrk -c{'/'.join(map(str, levels))}, {duration} s per run, {args.rounds} round(s)"
    )
    shop = Server("mooncart.asgi:app", small, args.workers)
    bare = Server("bare_app:app", small, args.workers)
    seed = Server("seed_app:app", small, args.workers, gunicorn=True)
    # the same shop with the shared cache on (its own Redis database, emptied so it starts cold)
    redis_url = os.environ.get("MOONCART_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    flush_redis(redis_url)
    cached = Server("mooncart.asgi:app", small, args.workers, env={"MOONCART_REDIS_URL": redis_url})
    product_path = f"/products/{small_product}"
    # each group: the endpoint and its references, run back to back and alternated round by round
    groups = []
    if "home" in only:
        groups.append([("home", shop, "/", None)])
    if "listing" in only:
        groups.append(
            [
                ("category listing", shop, "/c/kurtis", None),
                ("bare: category listing", bare, "/c/kurtis", None),
                ("category listing (Redis cache)", cached, "/c/kurtis", None),
            ]
        )
    if "product" in only:
        groups.append(
            [
                ("product page", shop, product_path, None),
                ("bare: product page", bare, product_path, None),
                ("product page (Redis cache)", cached, product_path, None),
            ]
        )
    # what shoppers type into the header's box, a few letters in, as the type-ahead asks (htmx)
    suggest_lines = workdir / "suggest.txt"
    suggest_lines.write_text(
        "".join(f"GET\t/search/suggest?q={q}\t\t\t\n" for q in ("kurt", "lehn", "sare", "red+ku", "dupat", "jutt"))
    )
    if "search" in only:  # issue 13: the header's type-ahead (htmx) and the results page
        groups.append(
            [
                ("search suggestions (htmx)", shop, "", suggest_lines),
                ("search suggestions (Redis cache)", cached, "", suggest_lines),
                ("search results", shop, "/search?q=red+kurti", None),
            ]
        )
    if "add" in only:
        groups.append(
            [
                ("add to bag (htmx)", shop, "", bag_files["add"]),
                ("bare: add to bag", bare, "", bag_files["bare"]),
                ("seed design: add to bag (JSON)", seed, "", bag_files["bare"]),
            ]
        )
    if "change" in only:
        groups.append([("change quantity (htmx)", shop, "", bag_files["change"])])
    rows, placed = [], None
    try:
        for connections in levels:
            for group in groups:
                runs: dict[str, list] = {name: [] for name, *_ in group}
                for _ in range(args.rounds):
                    for name, server, path, lines in group:
                        runs[name].append(
                            measure(
                                name,
                                server,
                                small,
                                duration,
                                connections,
                                path,
                                lines,
                                before_each=reset if lines is not None else None,
                            )
                        )
                rows += [median_run(r) for r in runs.values()]
        if checkout is not None:  # each shopper orders once: only at the highest connection count
            orders_before = count_orders(small)
            rows.append(measure("place order (htmx)", shop, small, order_seconds, levels[-1], lines=checkout))
            placed = count_orders(small) - orders_before
            log(f"  ({placed} orders placed)")
    finally:
        for server in (shop, bare, seed, cached):
            server.stop()
        reset()

    scale_rows = []
    if big is not None:
        log("\nListings, search and the product page: 10,000 vs 1,000,000 products")
        conn = sync_connect(big)
        with conn.cursor() as cur:
            cur.execute("SELECT slug FROM products WHERE id = 500000")
            big_product = cur.fetchone()["slug"]
        conn.close()
        for settings, slug, label in ((small, small_product, "10k"), (big, big_product, "1M")):
            server = Server("mooncart.asgi:app", settings, args.workers)
            try:
                paths = [(page, path) for page, path in SCALE_PAGES] + [("product page", f"/products/{slug}")]
                warm(server, [path for _, path in paths])
                for page, path in paths:
                    scale_rows.append(measure(f"{page}, {label}", server, settings, duration, levels[-1], path))
            finally:
                server.stop()

    print(
        f"\nMachine: {header}\nLoad: wrk, 2 threads, {duration} s per run, {args.rounds} round(s) alternating "
        f"each endpoint with its references (median shown); hypercorn {args.workers} workers with uvloop "
        f"(seed design: gunicorn {args.workers} sync workers)\n"
    )
    print(table(rows))
    ratios, summary = ratio_table(rows)
    if summary:
        print("\nAgainst the references, in this run:\n")
        print(ratios)
        print()
        for line in summary:
            print(line)
    if scale_rows:
        print()
        print(table(scale_rows))
        by = {r["name"]: r for r in scale_rows}
        for page in [page for page, _ in SCALE_PAGES] + ["product page"]:
            small_r, big_r = by[f"{page}, 10k"], by[f"{page}, 1M"]
            print(
                f"{page}: p50 on 1M is {big_r['p50'] / small_r['p50']:.2f}x of 10k, "
                f"throughput {big_r['rps'] / small_r['rps']:.2f}x"
            )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": header,
                    "duration": duration,
                    "rounds": args.rounds,
                    "rows": rows,
                    "scale": scale_rows,
                    "orders_placed": placed,
                },
                indent=1,
            )
        )


def count_orders(settings) -> int:
    conn = sync_connect(settings)
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM orders")
        n = cur.fetchone()["n"]
    conn.close()
    return n


if __name__ == "__main__":
    main()
