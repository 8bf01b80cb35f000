"""Time search's statements (issue 13) on a big catalogue against a small one: the results page's
cards (best match, and newest first), its capped count, the type-ahead's products and "Did you
mean", for a fixed set of queries. Each is run once to warm the buffer pool, then REPEAT times in
isolation (one connection, nothing else of ours running); the median and the fastest are
printed (on a loaded machine the fastest is the better guess at the work itself), with the rows
EXPLAIN ANALYZE (MariaDB: ANALYZE FORMAT=JSON) says were read.

    .venv/bin/python bench/search_scale.py <database> [<database> ...] [--repeat 7] [--explain]
    .venv/bin/python bench/search_scale.py mooncart_bench_10k mooncart_bench_1m --sorts [--words kurti --orders popular]

--sorts times every order with and without filters as the results page asks for them (read only);
MOONCART_BENCH_SRC=<a checkout of the code before>/src times that code the same way.

Build the databases as bench/benchmark.py does (ensure_catalogue: seed_demo, seed 42), e.g.
`mooncart init-db && mooncart seed-demo --products 1000000` in a database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import aiomysql

ROOT = Path(__file__).resolve().parents[1]
# before/after: MOONCART_BENCH_SRC=<another worktree>/src times that code on the same databases
sys.path.insert(0, os.environ.get("MOONCART_BENCH_SRC", str(ROOT / "src")))

from mooncart.catalog.listing import ListingRequest  # noqa: E402
from mooncart.catalog.queries import ListingFilters  # noqa: E402
from mooncart.config import DatabaseSettings  # noqa: E402
from mooncart.search import page, queries  # noqa: E402
from mooncart.search.rules import Synonyms, Vocabulary, did_you_mean, expression, normalise, understand  # noqa: E402

QUERIES = {
    "kurti": "common",
    "red kurti": "common",  # no red in the demo catalogue: found by the words only
    "maroon kurti": "common",
    "saree": "common",
    "lehnga": "common",
    "mint kaftan": "rare",
    "kurtii": "typo",
    "phulkary": "typo",
    "spacesuit": "no result",
}
PAGE = 24
SUGGESTIONS = 6
COUNT_CAP = 1000


def listing(sort: str, filters: ListingFilters | None = None) -> ListingRequest:
    """A first page in this order (with no filters unless given)."""
    return ListingRequest(filters or ListingFilters(), sort, None)


async def suggest(conn, units, match, vocabulary):
    """The type-ahead's products as search.page finds them (before this branch: FULLTEXT only)."""
    if not hasattr(page, "suggested_products"):
        return await queries.select_suggestions(conn, match, SUGGESTIONS)
    from mooncart.search.lexicon import SUGGESTION_WINDOW
    from mooncart.search.rules import title_patterns, titles_may_match

    low, high = await queries.select_search_id_range(conn)
    floor = high - SUGGESTION_WINDOW if high - SUGGESTION_WINDOW > low else None
    if floor is not None and not titles_may_match(title_patterns(units), vocabulary):
        floor = None
    return await page.suggested_products(conn, units, match, floor)


def show(row: dict) -> dict:
    """Print one measurement as soon as it is made."""
    print(
        f"{row['db']:<24} {row['query']:<18} {row['kind']:<9} {row['op']:<12} "
        f"{row['ms'][0]:9.2f} ms (min {row['ms'][1]:8.2f})  rows={row['rows']}  {row['read']}",
        flush=True,
    )
    return row


class Recorder:
    """The statements the cursors ran (for EXPLAIN)."""

    def __init__(self):
        self.sql: list[str] = []
        original = aiomysql.Cursor.execute

        async def execute(cursor, query, args=None):
            result = await original(cursor, query, args)
            self.sql.append(cursor._executed)
            return result

        aiomysql.Cursor.execute = execute  # type: ignore[method-assign]


async def timed(repeat: int, work) -> tuple[float, object]:
    result = await work()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = await work()
        times.append((time.perf_counter() - start) * 1000)
    return (statistics.median(times), min(times)), result


async def rows_read(conn, sql: str) -> str:
    """MariaDB's ANALYZE: the rows each table access read (r_rows), in order."""
    async with conn.cursor() as cur:
        await cur.execute("ANALYZE FORMAT=JSON " + sql)
        (plan,) = await cur.fetchone()
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "table_name" in node and "r_rows" in node:
                rows, loops = node["r_rows"] or 0, node.get("r_loops", 1)
                found.append(f"{node['table_name']}:{node.get('access_type')}:{rows:.0f}x{loops}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(plan))
    return " ".join(found)


async def measure(database: str, repeat: int, explain: bool, recorder: Recorder, only: set[str]) -> list[dict]:
    server = os.environ.get("MOONCART_BENCH_SERVER_URL", "mysql://root@127.0.0.1:3306/")
    settings = DatabaseSettings.from_url(server, allow_no_database=True).with_database(database)
    conn = await aiomysql.connect(**settings.connect_kwargs())
    synonyms = Synonyms.from_rows(await queries.select_synonyms(conn))
    async with conn.cursor() as cur:
        await cur.execute("SELECT id FROM sizes WHERE label = 'M'")
        (size_m,) = await cur.fetchone()
    size_m_in_stock = ListingFilters(size_ids=(size_m,), in_stock_only=True)
    ms, texts = await timed(repeat, lambda: queries.select_vocabulary_texts(conn, 20_000))
    vocabulary = Vocabulary.from_texts([*texts, *synonyms.group_of])
    out = [
        show(dict(db=database, query="(vocabulary load)", kind="", op="vocabulary", ms=ms, rows=len(texts), read=""))
    ]
    # this branch's results page is search.index's (--index times it); before it, FULLTEXT's
    legacy = not hasattr(page, "find_matches")
    for query, kind in QUERIES.items():
        units = understand(normalise(query), synonyms)
        match = expression(units)
        ops = {
            # the results page's statements, as search.page runs them
            "best match": lambda m=match: page._page(conn, m, listing(page.RELEVANCE), PAGE),
            "newest": lambda m=match: page._page(conn, m, listing("new"), PAGE),
            "count": lambda m=match: queries.count_matches(conn, m, ListingFilters(), COUNT_CAP),
            "best M+stk": lambda m=match: page._page(conn, m, listing(page.RELEVANCE, size_m_in_stock), PAGE),
            "count M+stk": lambda m=match: queries.count_matches(conn, m, size_m_in_stock, COUNT_CAP),
            "suggest": lambda m=match, u=units: suggest(conn, u, m, vocabulary),
        }
        for op, work in ops.items():
            if (only and op not in only) or (not legacy and op != "suggest"):
                continue
            ms, result = await timed(repeat, work)
            read = ""
            if explain:
                recorder.sql.clear()
                await work()
                read = " | ".join([await rows_read(conn, sql) for sql in list(recorder.sql)])
            rows = result if isinstance(result, int) else len(result)
            out.append(show(dict(db=database, query=query, kind=kind, op=op, ms=ms, rows=rows, read=read)))

        async def correct(q=query):
            return did_you_mean(normalise(q), vocabulary)

        ms, result = await timed(repeat, correct)
        out.append(show(dict(db=database, query=query, kind=kind, op="did you mean", ms=ms, rows=result, read="")))
    conn.close()
    return out


async def measure_index(database: str, repeat: int, load_all: bool) -> list[dict]:
    """Search's own index (search.index) on a database that has search_terms (--build-index makes
    one beside a read-only bench database): per query, the first search of a fresh index (its
    words read from the database: "cold"), the same with the words loaded and the query's result
    dropped ("eval": the arrays combined again), and the results page's statements with everything
    loaded ("warm" best match, newest, count, with size M in stock)."""
    import resource

    from mooncart.changes import CatalogFeed
    from mooncart.search import index
    from mooncart.search.rules import title_patterns

    server = os.environ.get("MOONCART_BENCH_SERVER_URL", "mysql://root@127.0.0.1:3306/")
    settings = DatabaseSettings.from_url(server, allow_no_database=True).with_database(database)
    conn = await aiomysql.connect(**settings.connect_kwargs(), cursorclass=aiomysql.DictCursor)
    synonyms = Synonyms.from_rows(await queries.select_synonyms(conn))
    async with conn.cursor() as cur:
        await cur.execute("SELECT id FROM sizes WHERE label = 'M'")
        size_m = (await cur.fetchone())["id"]
    size_m_in_stock = ListingFilters(size_ids=(size_m,), in_stock_only=True)
    feed = CatalogFeed()
    shared = index.SearchIndex()
    feed.subscribe(shared.apply)
    out = []
    for query, kind in QUERIES.items():
        patterns = title_patterns(understand(normalise(query), synonyms))

        async def cold(p=patterns):
            fresh = index.SearchIndex()
            found = await index.find(conn, fresh, feed, p)
            return await page.relevance_page(conn, found, ListingFilters(), None, PAGE)

        async def evaluate(p=patterns):
            shared.results.clear()
            return await index.find(conn, shared, feed, p)

        found = await index.find(conn, shared, feed, patterns)
        ops = {
            "idx cold": cold,
            "idx eval": evaluate,
            "idx best": lambda f=found: page.relevance_page(conn, f, ListingFilters(), None, PAGE),
            "idx newest": lambda f=found: page.newest_page(conn, f, ListingFilters(), None, PAGE),
            "idx count": lambda f=found: page.count_matches(conn, f, ListingFilters(), COUNT_CAP),
            "idx best M+stk": lambda f=found: page.relevance_page(conn, f, size_m_in_stock, None, PAGE),
            "idx count M+stk": lambda f=found: page.count_matches(conn, f, size_m_in_stock, COUNT_CAP),
        }
        for op, work in ops.items():
            if op == "idx cold":  # each run a fresh index: no warm-up run that would load the words
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    result = await work()
                    times.append((time.perf_counter() - start) * 1000)
                ms = (statistics.median(times), min(times))
            else:
                ms, result = await timed(repeat, work)
            rows = result if isinstance(result, int) else len(result)
            out.append(
                show(dict(db=database, query=query, kind=kind, op=op, ms=ms, rows=rows, read=f"matches={len(found)}"))
            )
    if not load_all:
        conn.close()
        return out
    everything = index.SearchIndex()
    start = time.perf_counter()
    terms = [row["term"] for row in await fetch_terms(conn)]
    await everything.load(conn, terms)
    ms = (time.perf_counter() - start) * 1000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.append(
        show(
            dict(
                db=database,
                query="(every word)",
                kind="",
                op="idx load all",
                ms=(ms, ms),
                rows=everything.loaded,
                read=f"{len(terms)} terms, {everything.loaded * 8 / 1e6:.0f} MB of arrays, max RSS {rss:.0f} MB",
            )
        )
    )
    conn.close()
    return out


async def fetch_terms(conn) -> list[dict]:
    async with conn.cursor() as cur:
        await cur.execute("SELECT DISTINCT term FROM search_terms")
        return list(await cur.fetchall())


async def measure_requests(database: str, repeat: int) -> None:
    """The whole GET /search (the app's own request path, test client, its connection of its own):
    the first request for a query in a fresh app (cold), then the fastest and median of `repeat`."""
    from mooncart import create_app

    server = os.environ.get("MOONCART_BENCH_SERVER_URL", "mysql://root@127.0.0.1:3306/")
    settings = DatabaseSettings.from_url(server, allow_no_database=True).with_database(database)
    conn = await aiomysql.connect(**settings.connect_kwargs(), cursorclass=aiomysql.DictCursor)
    app = create_app(
        {"SECRET_KEY": "bench", "DATABASE_URL": settings.url, "DB_CONNECTION": conn, "REFERENCE_CACHE_SECONDS": 300}
    )
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await client.get("/search", query_string={"q": "zzzz"})  # reference data, synonyms, the feed
        for query, kind in QUERIES.items():
            for args in ({"q": query}, {"q": query, "size": "M", "in_stock": "1"}, {"q": query, "sort": "new"}):
                start = time.perf_counter()
                response = await client.get("/search", query_string=args)
                cold = (time.perf_counter() - start) * 1000
                assert response.status_code == 200
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    await client.get("/search", query_string=args)
                    times.append((time.perf_counter() - start) * 1000)
                label = "&".join(f"{k}={v}" for k, v in args.items() if k != "q") or "best match"
                print(
                    f"{database:<24} {query:<18} {kind:<9} GET /search {label:<20} first {cold:9.2f} ms  "
                    f"then {statistics.median(times):8.2f} ms (min {min(times):8.2f})",
                    flush=True,
                )
    conn.close()


SORT_QUERIES = ("kurti", "saree", "lehnga", "maroon kurti", "mint kaftan")
SORT_ORDERS = ("relevance", "new", "price_asc", "price_desc", "discount", "popular", "loved")


async def measure_sorts(
    database: str, repeat: int, orders: tuple[str, ...], words: tuple[str, ...] = SORT_QUERIES
) -> None:
    """The results page's cards in every order, with and without filters, as search.page finds
    them in an app whose indexes are built (the facet index, the query's words: warm), plus the
    capped count on a first page; nothing written (the whole GET records the search). The
    facet index is built first on the app's connection (about 30 s on a million products)."""
    from quart import current_app

    from mooncart import create_app
    from mooncart.catalog import facet_index
    from mooncart.catalog.reference import reference_data

    server = os.environ.get("MOONCART_BENCH_SERVER_URL", "mysql://root@127.0.0.1:3306/")
    settings = DatabaseSettings.from_url(server, allow_no_database=True).with_database(database)
    conn = await aiomysql.connect(**settings.connect_kwargs(), cursorclass=aiomysql.DictCursor)
    app = create_app(
        {"SECRET_KEY": "bench", "DATABASE_URL": settings.url, "DB_CONNECTION": conn, "REFERENCE_CACHE_SECONDS": 300}
    )
    async with app.test_app(), app.app_context():
        synonyms = Synonyms.from_rows(await queries.select_synonyms(conn))
        reference = await reference_data(conn)
        sizes = {row["label"]: row["id"] for row in reference.sizes}
        cases = {
            "-": ListingFilters(),
            "M+stock": ListingFilters(size_ids=(sizes["M"],), in_stock_only=True),
            "500-1500": ListingFilters(min_paise=50_000, max_paise=150_000),
            "disc30+stk": ListingFilters(min_discount=30, in_stock_only=True),
        }
        if hasattr(facet_index, "with_ready_index"):  # before this branch, search did not use it
            start = time.perf_counter()
            built = await facet_index.with_ready_index(current_app, conn, lambda index: index.products())
            print(f"{database}: facet index of {built} products in {time.perf_counter() - start:.1f} s", flush=True)
        for query in words:
            units = understand(normalise(query), synonyms)
            for name, filters in cases.items():
                for order in orders:

                    async def work(u=units, f=filters, o=order):
                        found = await page.find_matches(conn, u)
                        rows = await page._page(conn, u, found, ListingRequest(f, o, None), PAGE, reference)
                        total = await page.count_matches(conn, found, f, COUNT_CAP)
                        return found, rows, total

                    start = time.perf_counter()
                    found, rows, total = await work()
                    first = (time.perf_counter() - start) * 1000
                    times = []
                    for _ in range(repeat):
                        start = time.perf_counter()
                        await work()
                        times.append((time.perf_counter() - start) * 1000)
                    print(
                        f"{database:<20} {query:<13} {name:<10} {order:<10} first {first:8.1f} ms  "
                        f"then min {min(times):8.1f} median {statistics.median(times):8.1f} ms  "
                        f"matches={len(found)} shown={len(rows)} count={total}",
                        flush=True,
                    )
    conn.close()


async def build_index_database(source: str, target: str, batch: int = 20_000) -> None:
    """A database of our own for timing search's index on a shared bench database that must stay
    read-only: every table of `source` as a view (MariaDB merges a plain view into the statement,
    so the same indexes are used), and a search_terms table of its own, filled from source's
    product_search by the same rules the writers use, sorted in the primary key's order and bulk
    loaded (mysql --local-infile)."""
    import subprocess
    import tempfile

    from mooncart.search.rules import product_terms

    server = os.environ.get("MOONCART_BENCH_SERVER_URL", "mysql://root@127.0.0.1:3306/")
    settings = DatabaseSettings.from_url(server, allow_no_database=True).with_database(source)
    conn = await aiomysql.connect(**settings.connect_kwargs())
    await conn.autocommit(True)
    started = time.perf_counter()
    async with conn.cursor() as cur:
        await cur.execute(f"CREATE DATABASE IF NOT EXISTS `{target}`")
        await cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            (source,),
        )
        tables = [row[0] for row in await cur.fetchall()]
        for table in tables:
            if table != "search_terms":
                await cur.execute(f"CREATE OR REPLACE VIEW `{target}`.`{table}` AS SELECT * FROM `{source}`.`{table}`")
        await cur.execute(f"DROP TABLE IF EXISTS `{target}`.search_terms")
        await cur.execute(
            f"CREATE TABLE `{target}`.search_terms (term VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin "
            "NOT NULL, product_id INT UNSIGNED NOT NULL, weight SMALLINT UNSIGNED NOT NULL, "
            "PRIMARY KEY (term, product_id), KEY ix_search_terms_product (product_id)) ENGINE=InnoDB"
        )
        await cur.execute("SELECT COALESCE(MAX(product_id), 0) FROM product_search")
        (high,) = await cur.fetchone()
        rows = 0
        with tempfile.TemporaryDirectory() as folder:
            raw, ordered = Path(folder) / "raw.tsv", Path(folder) / "sorted.tsv"
            with raw.open("w", encoding="utf-8") as out:
                for first in range(0, int(high) + 1, batch):
                    await cur.execute(
                        "SELECT product_id, title, body FROM product_search WHERE product_id BETWEEN %s AND %s",
                        (first, first + batch - 1),
                    )
                    for product_id, title, body in await cur.fetchall():
                        for term, weight in product_terms(title, body).items():
                            out.write(f"{term}\t{product_id}\t{weight}\n")
                            rows += 1
            print(f"{rows} terms written in {time.perf_counter() - started:.1f} s", flush=True)
            env = dict(os.environ, LC_ALL="C")
            subprocess.run(["sort", "-t", "\t", "-k1,1", "-k2,2n", "-o", str(ordered), str(raw)], check=True, env=env)
            print(f"sorted in {time.perf_counter() - started:.1f} s", flush=True)
            subprocess.run(
                [
                    "mysql",
                    "--local-infile=1",
                    target,
                    "-e",
                    f"LOAD DATA LOCAL INFILE '{ordered}' INTO TABLE search_terms CHARACTER SET utf8mb4 "
                    "(term, product_id, weight)",
                ],
                check=True,
            )
    print(f"{target}: search_terms of {source} ({rows} rows) in {time.perf_counter() - started:.1f} s", flush=True)
    conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("databases", nargs="+")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--ops", default="", help="only these, e.g. 'best match,suggest'")
    parser.add_argument(
        "--build-index", metavar="TARGET", help="make TARGET: views of the (one) database and its search_terms"
    )
    parser.add_argument("--index", action="store_true", help="time search.index (a database with search_terms)")
    parser.add_argument("--requests", action="store_true", help="time the whole GET /search")
    parser.add_argument("--load-all", action="store_true", help="with --index: also load every word, for memory")
    parser.add_argument("--sorts", action="store_true", help="time every order with and without filters, warm")
    parser.add_argument("--orders", default=",".join(SORT_ORDERS), help="with --sorts: only these orders")
    parser.add_argument("--words", default=",".join(SORT_QUERIES), help="with --sorts: only these queries")
    args = parser.parse_args()
    if args.sorts:
        print("load average", os.getloadavg())
        for database in args.databases:
            await measure_sorts(database, args.repeat, tuple(args.orders.split(",")), tuple(args.words.split(",")))
        print("load average", os.getloadavg())
        return
    if args.index or args.requests:
        print("load average", os.getloadavg())
        for database in args.databases:
            if args.index:
                await measure_index(database, args.repeat, args.load_all)
            if args.requests:
                await measure_requests(database, args.repeat)
        print("load average", os.getloadavg())
        return
    if args.build_index:
        await build_index_database(args.databases[0], args.build_index)
        return
    recorder = Recorder()
    print("load average", os.getloadavg())
    for database in args.databases:
        await measure(database, args.repeat, args.explain, recorder, set(args.ops.split(",")) if args.ops else set())
    print("load average", os.getloadavg())


if __name__ == "__main__":
    asyncio.run(main())
