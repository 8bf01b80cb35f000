"""Search's pages in every order with and without the listing's filters: with the facet index
ready (the filters are its set of products that pass them; price and discount sorted by its keys
in memory) and without it (the filters checked in SQL), pages 1-3 through the cursor equal a
brute-force order over the same catalogue, and a stock change is seen by the next search of an
app that has already built both indexes."""

from __future__ import annotations

import aiomysql
import pytest

from mooncart import create_app
from mooncart.catalog import facet_index
from mooncart.catalog.listing import ListingRequest, make_cursor
from mooncart.catalog.queries import ListingFilters
from mooncart.catalog.reference import reference_data
from mooncart.db import execute, fetch_all
from mooncart.inventory.queries import refresh_product_facets
from mooncart.search import index, page, queries
from mooncart.search.rules import Synonyms, normalise, title_patterns, understand
from tests.conftest import soup
from tests.factories import make_searchable_products
from tests.search.brute_force import brute_force_ranking

SIZES = ["M", "L", "S"]
COLOURS = ["Red", "Teal", "Maroon"]
SPECS = [
    dict(
        key=f"p{i}",
        category=["Kurtis", "Sarees", "Dresses"][i % 3],
        name=["Red Kurti", "Kurti Set", "Cotton Kurta", "Silk Saree"][i % 4] + f" {i}",
        description=["A kurti for every day.", "", "Pairs with a kurti."][i % 3],
        # prices with ties (id breaks them), discounts from 0 to 44%
        price_paise=100000 + (i % 5) * 5000,
        mrp_paise=(100000 + (i % 5) * 5000) * (100 + (i % 4) * 25) // 100,
        variants=[(SIZES[i % 3], COLOURS[i % 3], i % 2), (SIZES[(i + 1) % 3], COLOURS[(i + 2) % 3], (i // 2) % 2)],
    )
    for i in range(45)
]
SORTS = ["relevance", "new", "price_asc", "price_desc", "discount", "popular", "loved"]
PAGE = 4


@pytest.fixture
async def catalogue(committed):
    connection, made = committed
    products = await make_searchable_products(connection, made, SPECS)
    for i, product in enumerate(products.values()):  # ties and spread in popular and loved
        await execute(
            connection,
            "UPDATE products SET units_sold_30d = %s, loved_points = %s WHERE id = %s",
            (i % 3, (i * 7) % 5, product["id"]),
        )
    return products


async def own_app(database, *, facet_index: bool):
    """An app on a connection of its own (it sees what others commit, as a pooled worker does);
    `facet_index` False: the facet index never answers, as while a serving app builds it."""
    connection = await aiomysql.connect(**database.connect_kwargs(), cursorclass=aiomysql.DictCursor)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database.url,
            "DB_CONNECTION": connection,
            "REFERENCE_CACHE_SECONDS": 0,
            "FACET_INDEX": facet_index,
        }
    )
    return app, connection


async def brute_force_order(conn, query: str, filters: ListingFilters, sort: str) -> list[int]:
    """The product ids a search shows, in order: the brute-force ranking's matches, the listing's
    filters checked on every variant in Python (one variant with a chosen size, a chosen colour and
    stock), sorted by the products' own columns as the listing's ORDER BY does."""
    ranked = await brute_force_ranking(conn, query)
    ids = [product_id for product_id, _ in ranked]
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    products = {
        row["id"]: row
        for row in await fetch_all(
            conn,
            "SELECT id, from_price_paise, discount_percent, units_sold_30d, loved_points FROM products "  # nosec B608 # test: placeholders only
            f"WHERE id IN ({marks})",
            ids,
        )
    }
    variants = await fetch_all(
        conn, f"SELECT product_id, size_id, colour_id, stock FROM variants WHERE product_id IN ({marks})", ids
    )

    def passes(product_id: int) -> bool:
        product = products[product_id]
        if filters.min_paise is not None and product["from_price_paise"] < filters.min_paise:
            return False
        if filters.max_paise is not None and product["from_price_paise"] > filters.max_paise:
            return False
        if filters.min_discount and product["discount_percent"] < filters.min_discount:
            return False
        if not (filters.size_ids or filters.colour_ids or filters.in_stock_only):
            return True
        return any(
            v["product_id"] == product_id
            and (not filters.size_ids or v["size_id"] in filters.size_ids)
            and (not filters.colour_ids or v["colour_id"] in filters.colour_ids)
            and (not filters.in_stock_only or v["stock"] > 0)
            for v in variants
        )

    kept = [product_id for product_id in ids if passes(product_id)]  # best match, then newest
    column = {
        "price_asc": "from_price_paise",
        "price_desc": "from_price_paise",
        "discount": "discount_percent",
        "popular": "units_sold_30d",
        "loved": "loved_points",
    }.get(sort)
    if sort == "new":
        return sorted(kept, reverse=True)
    if column is None:
        return kept
    return sorted(kept, key=lambda i: (products[i][column], i), reverse=sort != "price_asc")


async def filter_cases(conn) -> dict[str, ListingFilters]:
    sizes = {row["label"]: row["id"] for row in await fetch_all(conn, "SELECT id, label FROM sizes")}
    colours = {row["name"]: row["id"] for row in await fetch_all(conn, "SELECT id, name FROM colours")}
    return {
        "none": ListingFilters(),
        "size": ListingFilters(size_ids=(sizes["M"],)),
        "colour": ListingFilters(colour_ids=(colours["Teal"], colours["Maroon"])),
        "in stock": ListingFilters(in_stock_only=True),
        "price": ListingFilters(min_paise=105000, max_paise=115000),
        "discount": ListingFilters(min_discount=20),
        "size, colour and stock": ListingFilters(
            size_ids=(sizes["M"],), colour_ids=(colours["Red"],), in_stock_only=True
        ),
    }


async def three_pages(conn, units, found, filters: ListingFilters, sort: str, reference) -> list[int]:
    """Pages 1 to 3 as the "More" link asks for them: each after the last card's cursor."""
    shown: list[int] = []
    after = None
    for _ in range(3):
        rows = await page._page(conn, units, found, ListingRequest(filters, sort, after), PAGE, reference)
        shown += [row["id"] for row in rows[:PAGE]]
        if len(rows) <= PAGE:
            break
        last = rows[PAGE - 1]
        if sort == "relevance":
            after = (last["score"], last["id"])
        elif sort == "new":
            after = (0, last["id"])
        else:
            key, product_id = make_cursor(last, sort).split(".")
            after = (int(key), int(product_id))
    return shown


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("ready", [True, False], ids=["facet index", "sql"])
async def test_pages_in_every_order_and_filter_equal_a_brute_force_order(catalogue, database, sort, ready):
    app, connection = await own_app(database, facet_index=ready)
    try:
        async with app.test_app(), app.app_context():
            reference = await reference_data(connection)
            units = understand(normalise("kurti"), Synonyms.from_rows(await queries.select_synonyms(connection)))
            for name, filters in (await filter_cases(connection)).items():
                found = await index.app_matches(connection, app, title_patterns(units))
                expected = await brute_force_order(connection, "kurti", filters, sort)
                assert await three_pages(connection, units, found, filters, sort, reference) == expected[:12], name
                assert await page.count_matches(connection, found, filters, 1000) == len(expected), name
            assert len(await brute_force_order(connection, "kurti", ListingFilters(), sort)) > 3 * PAGE
    finally:
        connection.close()


@pytest.mark.parametrize("sort", ["popular", "loved", "price_asc"])
async def test_a_walk_of_the_listing_order_keeps_only_the_passing_matches(catalogue, database, monkeypatch, sort):
    """Many passing matches: popular and loved walk the listing's order over the categories the
    matches are in, a few rows a statement, keeping the (matches AND passing) ones."""
    app, connection = await own_app(database, facet_index=True)
    monkeypatch.setattr(page, "MAX_LISTED_IDS", 0)
    monkeypatch.setattr(page, "MAX_LISTED_BESIDE_INDEX", 0)
    monkeypatch.setattr(page, "FIRST_CHUNK", 2)
    monkeypatch.setattr(page, "MAX_WALK_CHUNK", 3)
    try:
        async with app.test_app(), app.app_context():
            reference = await reference_data(connection)
            units = understand(normalise("kurti"), Synonyms.from_rows(await queries.select_synonyms(connection)))
            for name, filters in (await filter_cases(connection)).items():
                found = await index.app_matches(connection, app, title_patterns(units))
                expected = await brute_force_order(connection, "kurti", filters, sort)
                assert await three_pages(connection, units, found, filters, sort, reference) == expected[:12], name
    finally:
        connection.close()


def result_ids(html) -> list[str]:
    return [a["href"].rsplit("/", 1)[1] for a in soup(html).select("#search-grid .product-card a")]


@pytest.mark.parametrize("sort", ["relevance", "new", "price_asc", "discount", "popular"])
async def test_a_stock_change_is_seen_by_the_next_search_of_an_app_that_built_both_indexes(
    catalogue, committed, database, sort
):
    writer, _ = committed
    app, connection = await own_app(database, facet_index=True)
    try:
        async with app.test_app():
            client = app.test_client()

            async def in_stock() -> list[str]:
                args = {"q": "kurti", "in_stock": "1", "sort": sort}
                response = await client.get("/search", query_string=args)
                assert response.status_code == 200
                return result_ids(await response.get_data())

            shown = await in_stock()
            assert shown
            assert index.index_of(app).results, "the search index answered"
            assert facet_index.index_of(app).ready, "and the facet index"
            first = next(p for p in catalogue.values() if p["slug"] == shown[0])
            await execute(writer, "UPDATE variants SET stock = 0 WHERE product_id = %s", (first["id"],))
            await refresh_product_facets(writer, [first["id"]])  # the stock writers' own step, committed
            assert first["slug"] not in await in_stock()
            await execute(writer, "UPDATE variants SET stock = 3 WHERE product_id = %s", (first["id"],))
            await refresh_product_facets(writer, [first["id"]])
            assert first["slug"] in await in_stock()
    finally:
        connection.close()


@pytest.mark.parametrize("sort", ["price_asc", "discount", "popular"])
async def test_a_match_the_facet_index_does_not_hold_is_still_shown_with_no_filter(
    catalogue, committed, database, monkeypatch, sort
):
    """A product without facet rows (none of the shop's writers leaves one so): with no filter the
    page does not depend on the facet index for it, and sorts in SQL as before."""
    from mooncart import changes

    writer, _ = committed
    odd = next(p for p in catalogue.values() if "Kurti" in p["name"])
    await execute(writer, "DELETE FROM product_facets WHERE product_id = %s", (odd["id"],))
    await changes.record(writer, [odd["id"]])
    app, connection = await own_app(database, facet_index=True)
    monkeypatch.setattr(page, "MAX_LISTED_IDS", 0)
    monkeypatch.setattr(page, "MAX_LISTED_BESIDE_INDEX", 0)
    try:
        async with app.test_app(), app.app_context():
            reference = await reference_data(connection)
            units = understand(normalise("kurti"), Synonyms.from_rows(await queries.select_synonyms(connection)))
            assert await facet_index.with_ready_index(app, connection, lambda ix: ix.products()), "built"
            found = await index.app_matches(connection, app, title_patterns(units))
            expected = await brute_force_order(connection, "kurti", ListingFilters(), sort)
            assert odd["id"] in expected
            shown: list[int] = []
            after = None
            while True:
                rows = await page._page(
                    connection, units, found, ListingRequest(ListingFilters(), sort, after), 4, reference
                )
                shown += [row["id"] for row in rows[:4]]
                if len(rows) <= 4:
                    break
                key, product_id = make_cursor(rows[3], sort).split(".")
                after = (int(key), int(product_id))
            assert shown == expected
    finally:
        connection.close()


def test_a_search_keeps_a_bounded_number_of_filter_sets():
    """A crawler walking price links (min=1, 2, 3...) must not grow the worker's memory: a search's
    words keep the passing matches of at most NARROWED_KEPT filter sets, the newest."""
    from types import SimpleNamespace

    from mooncart.catalog.queries import ListingFilters
    from mooncart.search import page

    found = SimpleNamespace(narrowed={})
    for rupees in range(1, 300):
        page._remember(found, ListingFilters(min_paise=rupees * 100), SimpleNamespace())
    assert len(found.narrowed) == page.NARROWED_KEPT
    assert ListingFilters(min_paise=299 * 100) in found.narrowed
    assert ListingFilters(min_paise=100) not in found.narrowed
