"""The facet index (catalog/facet_index.py) of a serving app stays exact: changes the shop's own
writers commit on another connection show in the next count, on every instance; a change rolled
back never shows; a listing whose filters match nothing skips its statement."""

from __future__ import annotations

import asyncio

import aiomysql
import pytest

from mooncart import changes, create_app
from mooncart.admin import queries as admin_queries
from mooncart.catalog import facet_index, queries
from mooncart.catalog.facet_index import index_of, indexed_counts
from mooncart.catalog.facets import PRICE_BANDS
from mooncart.catalog.queries import FacetCounts, ListingFilters
from mooncart.db import transaction
from mooncart.inventory.stock import lock_variants, move_stock
from tests.conftest import soup
from tests.factories import make_category, make_product, size_id

BANDS = [band.paise() for band in PRICE_BANDS]
NOTHING_CHOSEN = ListingFilters()


@pytest.fixture
async def two_apps(database, committed):
    """Two instances of the shop on the same database, each serving with its own pool (so each
    builds its index in the background), and a connection that commits what the test writes."""
    writer, made = committed
    apps = [create_app({"SECRET_KEY": "live", "DATABASE_URL": database.url}) for _ in range(2)]
    async with apps[0].test_app() as first, apps[1].test_app() as second:
        readers = [await aiomysql.connect(**database.connect_kwargs()) for _ in range(2)]
        try:
            yield [(first, readers[0]), (second, readers[1])], writer, made
        finally:
            for reader in readers:
                reader.close()


async def counted(app, reader, category_ids, filters=NOTHING_CHOSEN) -> tuple[FacetCounts, int]:
    """The app's counts through its index, once its background build is done, and how many
    products the listing shows."""
    index = index_of(app.app)
    if not index.ready:
        assert index.building is not None, "a serving app builds its index from the start"
        await index.building
    found = await indexed_counts(app.app, reader, category_ids, filters, BANDS)
    assert found is not None
    return found[0], sum(found[1].values())


async def assert_exact(apps, writer, category_ids, filters=NOTHING_CHOSEN) -> FacetCounts:
    """Every app's index counts what the statement counts on committed data, now."""
    truth = await queries.select_facet_counts(writer, category_ids, filters, BANDS)
    for app, reader in apps:
        counts, _ = await counted(app, reader, category_ids, filters)
        assert counts == truth, filters
    return truth


async def test_committed_changes_by_the_shops_writers_show_in_the_next_count_on_every_instance(two_apps):
    apps, writer, made = two_apps
    category, elsewhere = await make_category(writer), await make_category(writer)
    made["categories"] += [category["id"], elsewhere["id"]]
    first = await make_product(writer, category=category, price_paise=79900, variants=[("M", "Facet Teal", 1)])
    made["products"].append(first["id"])
    m, in_stock = await size_id(writer, "M"), ListingFilters(in_stock_only=True)
    size_m = ListingFilters(size_ids=(m,), in_stock_only=True)
    for app, reader in apps:  # both built, with the first product in
        assert (await counted(app, reader, [category["id"]], size_m))[0].sizes == {m: 1}

    # a sell-out, committed on the writer's connection
    variant = first["variants"][0]
    async with transaction(writer):
        locked = await lock_variants(writer, [variant["id"]])
        await move_stock(writer, {variant["id"]: -1}, locked, "correction")
    assert (await assert_exact(apps, writer, [category["id"]], size_m)).sizes == {}
    for app, reader in apps:
        assert (await counted(app, reader, [category["id"]], size_m))[1] == 0, "the listing shows nothing"

    # a restock
    async with transaction(writer):
        locked = await lock_variants(writer, [variant["id"]])
        await move_stock(writer, {variant["id"]: 5}, locked, "received")
    assert (await assert_exact(apps, writer, [category["id"]], size_m)).sizes == {m: 1}

    # a new product, then a price change that moves it to another band
    second = await make_product(writer, category=category, price_paise=129900, variants=[("L", "Facet Plum", 2)])
    made["products"].append(second["id"])
    assert (await assert_exact(apps, writer, [category["id"]], in_stock)).bands == {1: 1, 2: 1}
    async with transaction(writer):
        await admin_queries.update_variant(
            writer,
            second["variants"][0]["id"],
            {"sku": second["variants"][0]["sku"], "price_paise": 450000, "mrp_paise": 900000, "low_stock_threshold": 5},
        )
        await admin_queries.refresh_from_price(writer, second["id"])
    assert (await assert_exact(apps, writer, [category["id"]], in_stock)).bands == {1: 1, 4: 1}
    assert (await assert_exact(apps, writer, [category["id"]], ListingFilters(min_discount=50))).bands == {4: 1}

    # a category move: out of one, into the other
    await admin_queries.update_product(
        writer,
        second["id"],
        dict(category_id=elsewhere["id"], name=second["name"], description="Moved.", fabric="Cotton", fit_note=""),
    )
    assert (await assert_exact(apps, writer, [category["id"]], in_stock)).bands == {1: 1}
    assert (await assert_exact(apps, writer, [elsewhere["id"]], in_stock)).bands == {4: 1}

    # a deleted product counts nowhere
    assert await admin_queries.delete_product(writer, first["id"])
    made["products"].remove(first["id"])
    assert (await assert_exact(apps, writer, [category["id"]])) == FacetCounts({}, {}, {})
    for app, reader in apps:
        assert (await counted(app, reader, [category["id"]]))[1] == 0


async def test_a_change_rolled_back_never_shows(two_apps):
    apps, writer, made = two_apps
    category = await make_category(writer)
    made["categories"].append(category["id"])
    product = await make_product(writer, category=category, variants=[("M", "Facet Teal", 1)])
    made["products"].append(product["id"])
    in_stock = ListingFilters(in_stock_only=True)
    before = await assert_exact(apps, writer, [category["id"]], in_stock)
    assert sum(before.bands.values()) == 1
    variant = product["variants"][0]
    await writer.begin()
    locked = await lock_variants(writer, [variant["id"]])
    await move_stock(writer, {variant["id"]: -1}, locked, "correction")  # recorded in the feed, then undone
    for app, reader in apps:
        assert (await counted(app, reader, [category["id"]], in_stock))[0] == before, "not committed yet"
    await writer.rollback()
    for app, reader in apps:
        assert (await counted(app, reader, [category["id"]], in_stock))[0] == before
    assert await assert_exact(apps, writer, [category["id"]], in_stock) == before


async def test_a_search_counts_only_the_products_it_matched(two_apps):
    apps, writer, made = two_apps
    category = await make_category(writer)
    made["categories"].append(category["id"])
    products = [
        await make_product(writer, category=category, price_paise=price, variants=[(size, "Facet Teal", 3)])
        for price, size in ((79900, "M"), (129900, "L"), (129900, "M"))
    ]
    made["products"] += [p["id"] for p in products]
    app, reader = apps[0]
    await counted(app, reader, [category["id"]])
    matched = (1 << products[1]["id"]) | (1 << products[2]["id"])
    counts, shown = await indexed_counts(app.app, reader, [category["id"]], ListingFilters(), BANDS, matched=matched)
    m, large = await size_id(writer, "M"), await size_id(writer, "L")
    assert counts.sizes == {m: 1, large: 1} and counts.bands == {2: 2} and shown == {category["id"]: 2}
    # over the whole shop (no categories), the same two
    counts, shown = await indexed_counts(app.app, reader, None, ListingFilters(), BANDS, matched=matched)
    assert sum(shown.values()) == 2 and counts.bands == {2: 2}


async def test_turned_off_the_facets_are_counted_in_sql(database, committed):
    writer, made = committed
    category = await make_category(writer)
    made["categories"].append(category["id"])
    product = await make_product(writer, category=category, variants=[("M", "Facet Teal", 3)])
    made["products"].append(product["id"])
    app = create_app({"SECRET_KEY": "live", "DATABASE_URL": database.url, "FACET_INDEX": False})
    async with app.test_app() as test_app:
        assert await indexed_counts(app, writer, [category["id"]], ListingFilters(), BANDS) is None
        page = soup(await (await test_app.test_client().get(f"/c/{category['slug']}?size=M")).get_data())
        assert len(page.select("#listing-results .product-card")) == 1
        assert "facet_index" not in app.extensions or not index_of(app).ready


async def test_a_listing_whose_filters_match_nothing_skips_its_statement(client, conn, monkeypatch):
    category = await make_category(conn)
    await make_product(conn, category=category, variants=[("M", "Facet Teal", 0)])
    page = soup(await (await client.get(f"/c/{category['slug']}")).get_data())
    assert len(page.select("#listing-results .product-card")) == 1

    async def no_statement(*args, **kwargs):
        raise AssertionError("the listing's statement ran for filters the index counted nothing for")

    monkeypatch.setattr(queries, "select_listing", no_statement)
    page = soup(await (await client.get(f"/c/{category['slug']}?size=M&in_stock=1")).get_data())
    assert "Nothing matches these filters" in page.select_one("#listing-results .empty-state").get_text()
    assert page.find(id="facets") is not None


async def test_a_parent_listing_reads_only_the_children_with_products_to_show(client, conn, monkeypatch):
    parent = await make_category(conn)
    kurtis = await make_category(conn, parent_id=parent["id"])
    sarees = await make_category(conn, parent_id=parent["id"])
    await make_product(conn, category=kurtis, price_paise=79900, variants=[("M", "Facet Teal", 2)])
    await make_product(conn, category=sarees, price_paise=299900, variants=[("M", "Facet Plum", 2)])
    read = []
    select_listing = queries.select_listing

    async def recording(conn, category_ids, *args):
        read.append(list(category_ids))
        return await select_listing(conn, category_ids, *args)

    monkeypatch.setattr(queries, "select_listing", recording)
    page = soup(await (await client.get(f"/c/{parent['slug']}?min=2000")).get_data())
    assert len(page.select("#listing-results .product-card")) == 1
    assert read == [[sarees["id"]]], "neither the parent nor the kurtis, which have nothing over Rs 2,000"
    page = soup(await (await client.get(f"/c/{parent['slug']}?colour=Facet+Teal")).get_data())
    assert read[-1] == [kurtis["id"]]


async def test_a_serving_app_purges_the_change_feed_now_and_then(database, monkeypatch):
    purged = asyncio.Event()

    async def purge(conn, keep_seconds=changes.KEEP_SECONDS):
        assert keep_seconds == changes.KEEP_SECONDS  # a day's rows stay for feeds that look late
        purged.set()
        return 0

    monkeypatch.setattr(changes, "purge", purge)
    monkeypatch.setattr(facet_index, "PURGE_SECONDS", 0.01)
    app = create_app({"SECRET_KEY": "live", "DATABASE_URL": database.url, "FACET_INDEX": False})
    async with app.test_app():
        await asyncio.wait_for(purged.wait(), 5)
