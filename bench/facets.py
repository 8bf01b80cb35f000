"""Time the facet statement (issue 13), the facet index (catalog/facet_index.py) and the listing's
own statement on a big catalogue and a small one:

.venv/bin/mooncart init-db && .venv/bin/mooncart seed-demo --products 1000000   # in its own database
.venv/bin/python bench/facets.py <database> [--repeat 5] [--no-sql] kurtis [ethnic-wear ...]

Read-only: the index is built on the bench's own connection (it only reads the facet rows and the
change feed), its build time and memory printed, and each case's counts from the index compared
with the statement's (an error if they differ). "index" is the counting alone; "+feed" adds the
catch-up with the change feed that an app does before each count (one statement); "search" counts
with a search's matches (1% of the products, a Python int bitset) over the category, and
"whole shop" the same over every category, as a search page would.

Each statement runs alone, `--repeat` times in a row, and the median is printed with the load
average, so that runs on a busy machine can be compared (run the same on a 10,000-product
database for the 1M : 10k ratio). The cases are what a listing asks: nothing chosen, a size, in
stock only, a colour, "my sizes" (her sizes in stock, the size facet counted without them), a
discount, and everything at once. The listing is timed as listing_context runs it (a parent
category: its children, merged); the facets over the category and its children."""

import argparse
import asyncio
import os
import random
import resource
import statistics
import time
from dataclasses import replace
from functools import partial

import aiomysql

from mooncart.catalog import queries
from mooncart.catalog.facet_index import FacetIndex
from mooncart.catalog.facets import PRICE_BANDS
from mooncart.catalog.queries import ListingFilters
from mooncart.changes import CatalogFeed
from mooncart.cli import database_settings


async def timed(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def fastest(repeat: int, work) -> float:
    """The fastest of `repeat` runs of a synchronous work(), in ms (other work shares the cores)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def without_colour_0(counts):
    return replace(counts, colours={k: v for k, v in counts.colours.items() if k})


async def rows_read(conn, work) -> int:
    """Rows the server read for work() (the session's Handler_read_* counters): a measure that,
    unlike time, a busy machine does not change."""

    async def handler_reads() -> int:
        async with conn.cursor() as cur:
            await cur.execute("SHOW SESSION STATUS LIKE 'Handler_read%%'")
            return sum(int(value) for _, value in await cur.fetchall())

    before = await handler_reads()
    await work()
    return await handler_reads() - before


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("slugs", nargs="+")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    parser.add_argument("--facets-only", action="store_true", help="time the facet statement alone")
    parser.add_argument("--no-sql", action="store_true", help="time the index alone (no statements)")
    parser.add_argument(
        "--requests",
        type=int,
        default=0,
        help="instead: time N whole listing requests per case (Quart's test client), index on and off",
    )
    parser.add_argument("--sql-requests", type=int, default=2, help="with --requests: requests with the index off")
    parser.add_argument(
        "--url", default="", help="with --requests: the app's MOONCART_DATABASE_URL (e.g. a read-only account)"
    )
    args = parser.parse_args()
    if args.requests:
        await time_requests(args)
        return
    s = database_settings().with_database(args.database)
    conn = await aiomysql.connect(**s.connect_kwargs())
    await conn.autocommit(True)
    cats = await queries.select_categories(conn)
    sizes = {r["label"]: r["id"] for r in await queries.select_sizes(conn)}
    colours = {r["name"]: r["id"] for r in await queries.select_colours(conn)}
    async with conn.cursor() as cur:
        await cur.execute("SELECT COUNT(*) FROM products")
        (products,) = await cur.fetchone()
    print(f"{args.database}: {products:,} products; load average {os.getloadavg()}", flush=True)
    index, feed = FacetIndex(), CatalogFeed()
    feed.subscribe(index.consume)
    before = rss_mb()
    started = time.perf_counter()
    await index.build_until_done(conn, feed)
    print(
        f"index built in {time.perf_counter() - started:.1f} s: {index.products():,} products, "
        f"{index.memory_bytes() / 2**20:.1f} MB of arrays, process RSS +{rss_mb() - before:.0f} MB "
        f"(load {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    rng = random.Random(13)
    top = int(await fetch_top(conn))
    searched = 0
    for product_id in rng.sample(range(1, top + 1), max(1, top // 100)):
        searched |= 1 << product_id

    async def caught_up_counts(*a, **kw):
        async with feed.lock:
            await feed.catch_up(conn)
            return index.counts(*a, **kw)

    some_colour = colours[sorted(colours)[3]]
    mine = ListingFilters(size_ids=(sizes["S"], sizes["M"]), in_stock_only=True)
    cases = [
        ("no filter", ListingFilters(), None),
        ("size M", ListingFilters(size_ids=(sizes["M"],)), None),
        ("in stock", ListingFilters(in_stock_only=True), None),
        ("colour", ListingFilters(colour_ids=(some_colour,)), None),
        ("my sizes S+M in stock", mine, replace(mine, size_ids=(), in_stock_only=False)),
        ("50% off and more", ListingFilters(min_discount=50), None),
        (
            "M+L, colour, in stock, 1000-1999",
            ListingFilters(
                size_ids=(sizes["M"], sizes["L"]),
                colour_ids=(some_colour,),
                min_paise=100000,
                max_paise=199900,
                in_stock_only=True,
            ),
            None,
        ),
    ]
    bands = [b.paise() for b in PRICE_BANDS]
    for slug in args.slugs:
        cat = queries.find_category(cats, slug)
        ids = [cat.id] + [c.id for c in cat.children]
        listed = ids if len(ids) == 1 else ids[1:]
        for name, filters, size_filters in cases:
            if args.only not in name:
                continue
            by_index = partial(index.counts, ids, filters, bands, size_filters=size_filters)
            counted, shown_in = by_index()
            shown = sum(shown_in.values())
            indexed = fastest(args.repeat, by_index)
            with_feed = await timed(
                args.repeat, partial(caught_up_counts, ids, filters, bands, size_filters=size_filters)
            )
            search = fastest(args.repeat, partial(by_index, matched=searched))
            whole_shop = fastest(args.repeat, partial(index.counts, None, filters, bands, matched=searched))
            print(
                f"{slug:10} {name:34} index {indexed:7.2f} ms  +feed {with_feed:7.2f} ms  search {search:7.2f} ms"
                f"  whole shop {whole_shop:7.2f} ms  shows {shown:,}  (load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
            if args.no_sql:
                continue
            count = partial(queries.select_facet_counts, conn, ids, filters, bands, size_filters=size_filters)
            if without_colour_0(await count()) != counted:
                raise SystemExit(f"the index's counts differ from the statement's: {name}")
            facets = await timed(args.repeat, count)
            read = await rows_read(conn, count)
            listing = by_price = 0.0
            if not args.facets_only:
                listing = await timed(
                    args.repeat,
                    lambda listed=listed, f=filters: queries.select_listing(conn, listed, f, "new", None, 24),
                )
                by_price = await timed(
                    args.repeat,
                    lambda listed=listed, f=filters: queries.select_listing(conn, listed, f, "price_asc", None, 24),
                )
            print(
                f"{slug:10} {name:34} facets {facets:9.1f} ms ({read:,} rows read)  listing new {listing:8.1f} ms"
                f"  price_asc {by_price:8.1f} ms  (load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
    conn.close()


REQUEST_CASES = [
    ("no filter", ""),
    ("size M", "size=M"),
    ("in stock", "in_stock=1"),
    ("colour", "colour=Emerald"),
    ("sizes S+M in stock", "size=S&size=M&in_stock=1"),
    ("50% off and more", "discount=50"),
    ("M+L, colour, in stock, 1000-1999", "size=M&size=L&colour=Emerald&in_stock=1&min=1000&max=1999"),
    ("matches nothing (over Rs 20,000)", "min=20000"),
]


async def time_requests(args) -> None:
    """Whole listing requests, as a shopper's browser sends them (a new visitor each time, with
    Global Privacy Control so no analytics event is written; the holds tidy off): the fastest and
    the median of --requests per case with the facet index, then --sql-requests without it."""
    from mooncart import create_app
    from mooncart.catalog.facet_index import index_of

    url = args.url or database_settings().with_database(args.database).url
    config = {"SECRET_KEY": "bench-facets", "DATABASE_URL": url, "HOLD_TIDY_SECONDS": 0}
    print(f"{args.database}: listing requests; load average {os.getloadavg()}", flush=True)
    for label, on, repeat in (("index", True, args.requests), ("sql", False, args.sql_requests)):
        if not repeat:
            continue
        app = create_app({**config, "FACET_INDEX": on})
        async with app.test_app() as test_app:
            if on:
                started = time.perf_counter()
                index = index_of(app)
                assert index.building is not None
                lags = []

                async def tick(lags: list[float] = lags) -> None:
                    """How long the event loop is held up while the index builds (what a request
                    arriving then would wait on top of its own time)."""
                    while True:
                        before = time.perf_counter()
                        await asyncio.sleep(0.005)
                        lags.append((time.perf_counter() - before) * 1000 - 5)

                ticker = asyncio.create_task(tick())
                await index.building
                ticker.cancel()
                lags.sort()
                print(
                    f"index built in the background in {time.perf_counter() - started:.1f} s, "
                    f"{index.memory_bytes() / 2**20:.1f} MB; event loop held up at most {lags[-1]:.0f} ms, "
                    f"99th percentile {lags[len(lags) * 99 // 100]:.0f} ms (load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
            client = test_app.test_client()
            for slug in args.slugs:
                for name, query in REQUEST_CASES:
                    if args.only not in name:
                        continue
                    path = f"/c/{slug}" + (f"?{query}" if query else "")
                    times = []
                    for i in range(repeat + 1):  # the first warms the reference cache and templates
                        client.cookie_jar = None
                        started = time.perf_counter()
                        response = await client.get(path, headers={"Sec-GPC": "1"})
                        elapsed = (time.perf_counter() - started) * 1000
                        assert response.status_code == 200, (path, response.status_code)
                        if i:
                            times.append(elapsed)
                    print(
                        f"{label:5} {slug:11} {name:34} fastest {min(times):8.1f} ms  median "
                        f"{statistics.median(times):8.1f} ms  (load {os.getloadavg()[0]:.2f})",
                        flush=True,
                    )


async def fetch_top(conn) -> int:
    async with conn.cursor() as cur:
        await cur.execute("SELECT COALESCE(MAX(id), 0) FROM products")
        (top,) = await cur.fetchone()
    return top


asyncio.run(main())
