"""Time the facet statement (issue 13) and the listing's own on a big catalogue and a small one:

.venv/bin/mooncart init-db && .venv/bin/mooncart seed-demo --products 1000000   # in its own database
.venv/bin/python bench/facets.py <database> [--repeat 5] kurtis [ethnic-wear ...]

Each statement runs alone, `--repeat` times in a row, and the median is printed with the load
average, so that runs on a busy machine can be compared (run the same on a 10,000-product
database for the 1M : 10k ratio). The cases are what a listing asks: nothing chosen, a size, in
stock only, a colour, "my sizes" (her sizes in stock, the size facet counted without them), a
discount, and everything at once. The listing is timed as listing_context runs it (a parent
category: its children, merged); the facets over the category and its children."""

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import replace
from functools import partial

import aiomysql

from mooncart.catalog import queries
from mooncart.catalog.facets import PRICE_BANDS
from mooncart.catalog.queries import ListingFilters
from mooncart.cli import database_settings


async def timed(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


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
    args = parser.parse_args()
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
            count = partial(queries.select_facet_counts, conn, ids, filters, bands, size_filters=size_filters)
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


asyncio.run(main())
