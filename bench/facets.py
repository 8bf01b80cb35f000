"""Time the facet statement (issue 13) against the listing's own on a big catalogue:

.venv/bin/mooncart init-db && .venv/bin/mooncart seed-demo --products 1000000   # in its own database
.venv/bin/python bench/facets.py <database> kurtis [ethnic-wear ...]
"""

import asyncio
import statistics
import sys
import time

import aiomysql

from mooncart.catalog import queries
from mooncart.catalog.facets import PRICE_BANDS
from mooncart.catalog.queries import ListingFilters
from mooncart.cli import database_settings


async def main():
    s = database_settings().with_database(sys.argv[1])
    conn = await aiomysql.connect(**s.connect_kwargs())
    cats = {c.slug: c for c in await queries.select_categories(conn)}

    def find(slug):
        return queries.find_category(list(cats.values()), slug)

    sizes = {r["label"]: r["id"] for r in await queries.select_sizes(conn)}
    colours = {r["name"]: r["id"] for r in await queries.select_colours(conn)}
    async with conn.cursor() as cur:
        await cur.execute("SELECT COUNT(*) FROM products")
        print("products", await cur.fetchone())
    some_colour = sorted(colours)[3]
    cases = [
        ("no filter", ListingFilters()),
        ("size M", ListingFilters(size_ids=(sizes["M"],))),
        ("in stock", ListingFilters(in_stock_only=True)),
        ("colour", ListingFilters(colour_ids=(colours[some_colour],))),
        (
            "M+L, colour, in stock, 1000-1999",
            ListingFilters(
                size_ids=(sizes["M"], sizes["L"]),
                colour_ids=(colours[some_colour],),
                min_paise=100000,
                max_paise=199900,
                in_stock_only=True,
            ),
        ),
    ]
    bands = [b.paise() for b in PRICE_BANDS]
    for slug in sys.argv[2:]:
        cat = find(slug)
        ids = [cat.id] + [c.id for c in cat.children]
        for name, f in cases:
            times = []
            for _ in range(3):
                t = time.perf_counter()
                await queries.select_facet_counts(conn, ids, f, bands)
                times.append((time.perf_counter() - t) * 1000)
            lt = []
            for _ in range(3):
                t = time.perf_counter()
                await queries.select_listing(conn, ids if len(ids) == 1 else ids[1:], f, "new", None, 24)
                lt.append((time.perf_counter() - t) * 1000)
            print(
                f"{slug:10} {name:34} facets {statistics.median(times):8.1f} ms"
                f"  (listing {statistics.median(lt):6.1f} ms)",
                flush=True,
            )
    conn.close()


asyncio.run(main())
