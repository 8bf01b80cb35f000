"""Search's own index in memory (search.index): the same ranking and keyset pages as a brute-force
ranking over the same weights, kept exact across app instances by the catalogue's change feed when
the shop's own writers rename, add or delete products on another connection."""

from __future__ import annotations

import aiomysql
import numpy as np
import pytest

from mooncart import create_app
from mooncart.admin.queries import delete_product
from mooncart.catalog.queries import ListingFilters
from mooncart.db import execute, fetch_all
from mooncart.inventory.queries import refresh_product_facets
from mooncart.search import index, page, queries
from mooncart.search.index import Matches, Postings, SearchIndex, add_up, best_of, both, parse_postings
from mooncart.search.rules import Synonyms, normalise, product_terms, title_patterns, understand
from tests.conftest import soup
from tests.factories import make_searchable_products
from tests.search.brute_force import brute_force_ranking

SPECS = [
    dict(
        key=f"p{i}",
        category=["Kurtis", "Lehengas", "Sarees"][i % 3],
        name=["Red Kurti", "Kurta Set Kurti", "Bridal Lehenga Choli", "Lehnga", "Silk Saree", "Cotton Sari"][i % 6]
        + f" {'zardozi ' * (i % 4)}{i}",
        description=["Pairs with a red dupatta.", "Kurti kurti.", "Zardozi work.", ""][i % 4],
        variants=[("M", ["Red", "Teal", "Maroon"][i % 3], i % 2)],
    )
    for i in range(40)
]


async def own_app(database):
    """An app instance on a connection of its own (autocommit: it sees what others commit, as a
    pooled worker does)."""
    connection = await aiomysql.connect(**database.connect_kwargs(), cursorclass=aiomysql.DictCursor)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database.url,
            "DB_CONNECTION": connection,
            "REFERENCE_CACHE_SECONDS": 0,
        }
    )
    return app, connection


async def found_slugs(client, query: str, **args) -> list[str]:
    response = await client.get("/search", query_string={"q": query, **args})
    assert response.status_code == 200
    page_ = soup(await response.get_data())
    return [a["href"].rsplit("/", 1)[1] for a in page_.select("#search-grid .product-card a")]


def test_postings_combine_as_the_expression_means():
    a = Postings(np.array([1, 3, 5, 9], dtype=np.uint32), np.array([4, 1, 2, 8]))
    b = Postings(np.array([3, 4, 9], dtype=np.uint32), np.array([5, 1, 1]))
    summed = add_up([a, b])
    assert summed.ids.tolist() == [1, 3, 4, 5, 9] and summed.weights.tolist() == [4, 6, 1, 2, 9]
    best = best_of([a, b])
    assert best.ids.tolist() == [1, 3, 4, 5, 9] and best.weights.tolist() == [4, 5, 1, 2, 8]
    common = both(a, b)
    assert common.ids.tolist() == [3, 9] and common.weights.tolist() == [6, 9]
    hex_rows = ["000100000002", "0000000a00010000000300050"[:-1]]  # rows of one term, in any order
    parsed = parse_postings(hex_rows)
    assert parsed.ids.tolist() == [3, 10, 65536] and parsed.weights.tolist() == [5, 1, 2]


def test_matches_rank_by_score_then_newest_and_page_by_cursor():
    found = Matches(np.array([2, 5, 7, 11, 12], dtype=np.uint32), np.array([3, 9, 3, 1, 9]))
    assert found.ranked(None, 10) == [(12, 9), (5, 9), (7, 3), (2, 3), (11, 1)]
    assert found.ranked(None, 2) == [(12, 9), (5, 9)]
    assert found.ranked((9, 5), 2) == [(7, 3), (2, 3)]  # after the (score, id) of the last card
    assert found.ranked((3, 2), 5) == [(11, 1)]
    assert found.ranked((99999999999, 10**12), 1) == [(12, 9)]  # a cursor beyond any is the start
    assert found.newest(None, 2) == [12, 11] and found.newest(11, 3) == [7, 5, 2]
    assert found.bitset() == sum(1 << i for i in (2, 5, 7, 11, 12))
    narrowed = found.within((1 << 5) | (1 << 11) | (1 << 300))  # a bit beyond the matches is no matter
    assert narrowed.ids.tolist() == [5, 11] and narrowed.ranked(None, 5) == [(5, 9), (11, 1)]
    assert len(found.within(0)) == 0
    assert Matches(np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)).bitset() == 0


def test_a_products_weights_count_its_title_four_times_and_only_words_a_query_can_ask_for():
    assert product_terms("Red Kurti Kurtis", "A red kurti, the best.") == {
        "red": 5,
        "kurti": 5,
        "kurtis": 4,
        "best": 1,
    }
    assert product_terms("ｋｕｒｔｉ", None) == {"kurti": 4}  # folded as queries are


@pytest.fixture
async def small_catalogue(committed):
    connection, made = committed
    return await make_searchable_products(connection, made, SPECS)


@pytest.mark.parametrize(
    "query", ["kurti", "kurta", "red kurti", "lehnga choli", "sari", "zardozi", "zar", "spacesuit"]
)
async def test_ranking_and_keyset_pages_equal_a_brute_force_ranking(small_catalogue, database, query):
    app, connection = await own_app(database)
    try:
        async with app.test_app(), app.app_context():
            groups = Synonyms.from_rows(await queries.select_synonyms(connection))
            units = understand(normalise(query), groups)
            found = await index.app_matches(connection, app, title_patterns(units))
            expected = await brute_force_ranking(connection, query)
            assert found.ranked(None, 10_000) == expected
            # pages of 7 following the cursor, as the "More" link does, are the same list
            pages, after = [], None
            while True:
                rows = await page.relevance_page(connection, found, ListingFilters(), after, 7)
                pages += [(row["id"], row["score"]) for row in rows[:7]]
                if len(rows) <= 7:
                    break
                after = (rows[6]["score"], rows[6]["id"])
            assert pages == expected
            # with a filter: the same order, only those in stock (checked a chunk at a time)
            in_stock = {
                row["product_id"]
                for row in await fetch_all(connection, "SELECT DISTINCT product_id FROM variants WHERE stock > 0")
            }
            monkey_chunk = page.FIRST_CHUNK
            page.FIRST_CHUNK = 3  # several chunks even on a small catalogue
            try:
                stocked = ListingFilters(in_stock_only=True)
                rows = await page.relevance_page(connection, found, stocked, None, 5)
                newest = await page.newest_page(connection, found, stocked, None, 5)
                counts = [await page.count_matches(connection, found, stocked, cap) for cap in (2, 1000)]
            finally:
                page.FIRST_CHUNK = monkey_chunk
            passing = [p for p in expected if p[0] in in_stock]
            assert [(r["id"], r["score"]) for r in rows] == passing[:6]
            assert [r["id"] for r in newest] == sorted((i for i, _ in passing), reverse=True)[:6]
            assert counts == [min(2, len(passing)), len(passing)]
            assert await page.matching_bitset(connection, query) == sum(1 << i for i, _ in expected)
    finally:
        connection.close()


async def test_a_term_too_long_for_one_row_is_read_in_ranges_of_ids(small_catalogue, database, monkeypatch):
    app, connection = await own_app(database)
    try:
        whole = SearchIndex()
        await whole.load(connection, ["kurti", "zardozi"])
        monkeypatch.setattr(queries, "GROUP_CONCAT_MAX", 30)  # every term's row cut short
        monkeypatch.setattr(queries, "POSTING_CHUNK_IDS", 2)
        chunked = SearchIndex()
        await chunked.load(connection, ["kurti", "zardozi"])
        for prefix in ("kurti", "zardozi"):
            assert whole.prefixes[prefix].ids.tolist() == chunked.prefixes[prefix].ids.tolist()
            assert whole.prefixes[prefix].weights.tolist() == chunked.prefixes[prefix].weights.tolist()
            assert len(whole.prefixes[prefix]) > 5
    finally:
        connection.close()


async def test_writers_on_another_connection_are_seen_by_every_instance_without_reloading_the_word(committed, database):
    writer, made = committed
    products = await make_searchable_products(
        writer,
        made,
        [dict(key="old", category="Kaftans", name="Qwertzu Kaftan", variants=[("M", "Teal", 1)])],
    )
    first, first_conn = await own_app(database)
    second, second_conn = await own_app(database)
    try:
        async with first.test_app(), second.test_app():
            clients = [first.test_client(), second.test_client()]
            for client in clients:  # each instance loads the words
                assert await found_slugs(client, "qwertzu") == [products["old"]["slug"]]
                assert await found_slugs(client, "qwertz", sort="new") == [products["old"]["slug"]]
            loads = [index.index_of(app).loads for app in (first, second)]

            # renamed by the shop's writer on another connection: no longer found, everywhere
            await execute(writer, "UPDATE products SET name = 'Plain Kaftan' WHERE id = %s", (products["old"]["id"],))
            await queries.refresh_search_text(writer, [products["old"]["id"]])
            for client in clients:
                assert await found_slugs(client, "qwertzu") == []
                assert await found_slugs(client, "qwertz", sort="new") == []
            # a new product with the word: found at once, best first
            added = await make_searchable_products(
                writer,
                made,
                [dict(key="new", category="Kaftans", name="Qwertzu Qwertzu Kaftan", variants=[("M", "Teal", 1)])],
            )
            for client in clients:
                assert await found_slugs(client, "qwertzu") == [added["new"]["slug"]]
            # renamed back: found again, below the new one (its title has the word once)
            await execute(writer, "UPDATE products SET name = 'Qwertzu Kaftan' WHERE id = %s", (products["old"]["id"],))
            await queries.refresh_search_text(writer, [products["old"]["id"]])
            for client in clients:
                assert await found_slugs(client, "qwertzu") == [added["new"]["slug"], products["old"]["slug"]]
            # deleted by the staff's delete: gone everywhere
            assert await delete_product(writer, added["new"]["id"])
            for client in clients:
                assert await found_slugs(client, "qwertzu") == [products["old"]["slug"]]
            # every answer came from the words each instance had loaded, patched, not read again
            assert [index.index_of(app).loads for app in (first, second)] == loads
    finally:
        first_conn.close()
        second_conn.close()


async def test_rebuilding_the_terms_writes_what_the_writers_write(small_catalogue, committed):
    connection, _ = committed
    ids = [p["id"] for p in small_catalogue.values()]
    placeholders = ", ".join(["%s"] * len(ids))
    mine = "SELECT term, product_id, weight FROM search_terms WHERE product_id IN (" + placeholders + ") ORDER BY 1, 2"
    written = await fetch_all(connection, mine, ids)
    await execute(connection, "DELETE FROM search_terms WHERE product_id IN (" + placeholders + ")", ids)
    assert await queries.rebuild_search_terms(connection, batch=7) >= len(ids)
    assert await fetch_all(connection, mine, ids) == written and written


async def test_a_filtered_search_that_checked_every_match_still_sees_the_next_stock_change(
    small_catalogue, committed, database
):
    writer, _ = committed
    app, connection = await own_app(database)
    sold_out = next(p for key, p in small_catalogue.items() if int(key[1:]) % 4 == 2)  # zardozi, no stock
    try:
        async with app.test_app():
            client = app.test_client()
            shown = await found_slugs(client, "zardozi", in_stock="1")
            assert shown and sold_out["slug"] not in shown
            found = next(iter(index.index_of(app).results.values()))
            assert found.narrowed, "every match was checked, so the passing ones are kept"
            await execute(writer, "UPDATE variants SET stock = 4 WHERE product_id = %s", (sold_out["id"],))
            await refresh_product_facets(writer, [sold_out["id"]])  # the stock writers' own step
            assert sold_out["slug"] in await found_slugs(client, "zardozi", in_stock="1")
            assert sold_out["slug"] in await found_slugs(client, "zardozi", in_stock="1", sort="new")
    finally:
        connection.close()


@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "discount", "popular", "loved"])
async def test_a_common_words_pages_in_a_listing_order_walk_that_order_and_equal_sorting_the_matches(
    small_catalogue, committed, database, monkeypatch, sort
):
    from mooncart.catalog.listing import ListingRequest, make_cursor
    from mooncart.catalog.reference import reference_data

    writer, _ = committed
    for i, product in enumerate(small_catalogue.values()):  # ties and spread in every order's column
        await execute(
            writer,
            "UPDATE products SET from_price_paise = %s, from_mrp_paise = %s, discount_percent = 0, "
            "units_sold_30d = %s, loved_points = %s WHERE id = %s",
            (100000 + (i % 5) * 1000, 100000 + (i % 5) * 1000, i % 3, i % 4, product["id"]),
        )
    await refresh_product_facets(writer, [p["id"] for p in small_catalogue.values()])  # as the price writers do
    app, connection = await own_app(database)
    try:
        async with app.test_app(), app.app_context():
            groups = Synonyms.from_rows(await queries.select_synonyms(connection))
            units = understand("kurti", groups)
            found = await index.app_matches(connection, app, title_patterns(units))
            reference = await reference_data(connection)
            stocked = ListingFilters(in_stock_only=True)
            for filters in (ListingFilters(), stocked):  # with a filter: the list of ids
                everything = await queries.select_sorted_page(
                    connection, [int(i) for i in found.ids], filters, sort, None, 10_000
                )
                monkeypatch.setattr(page, "MAX_LISTED_IDS", 0)
                monkeypatch.setattr(page, "MAX_LISTED_BESIDE_INDEX", 0)  # walk the order, a few rows a statement
                monkeypatch.setattr(page, "FIRST_CHUNK", 2)
                monkeypatch.setattr(page, "MAX_WALK_CHUNK", 3)
                walked, after = [], None
                while True:
                    rows = await page._page(
                        connection, units, found, ListingRequest(filters, sort, after), 4, reference
                    )
                    walked += [row["id"] for row in rows[:4]]
                    if len(rows) <= 4:
                        break
                    cursor = make_cursor(rows[3], sort).split(".")
                    after = (int(cursor[0]), int(cursor[1]))
                monkeypatch.undo()
                assert walked == [row["id"] for row in everything] and len(walked) > 4
    finally:
        connection.close()
