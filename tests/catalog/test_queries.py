"""The catalogue's SQL on the real database: the category tree, a listing's filters (sizes and
colours as IN lists), its price bounds and keyset pages, and a product by slug."""

from __future__ import annotations

from mooncart.catalog import queries
from mooncart.catalog.queries import ListingFilters
from tests.factories import make_category, make_colour, make_product, size_id


async def test_the_tree_puts_each_child_under_its_parent(conn):
    parent = await make_category(conn)
    child = await make_category(conn, parent_id=parent["id"])
    tree = await queries.select_categories(conn)
    found = queries.find_category(tree, child["slug"])
    assert found is not None and found.parent_id == parent["id"]
    assert [c.slug for c in queries.find_category(tree, parent["slug"]).children] == [child["slug"]]
    assert queries.find_category(tree, "no-such-category") is None


async def listing_ids(conn, category, filters: ListingFilters | None = None) -> set[int]:
    rows = await queries.select_listing(conn, [category["id"]], filters or ListingFilters(), "new", None, 10)
    return {row["id"] for row in rows}


async def test_a_listing_filters_by_any_of_the_chosen_sizes_and_colours(conn):
    category = await make_category(conn)
    pink_m = await make_product(conn, category=category, variants=[("M", "Rani Pink", 3)])
    mustard_l = await make_product(conn, category=category, variants=[("L", "Mustard", 0)])
    mustard_m = await make_product(conn, category=category, variants=[("M", "Mustard", 5)])
    m, large = await size_id(conn, "M"), await size_id(conn, "L")
    mustard = await make_colour(conn, "Mustard")
    assert await listing_ids(conn, category, ListingFilters(size_ids=(m,))) == {pink_m["id"], mustard_m["id"]}
    assert await listing_ids(conn, category, ListingFilters(size_ids=(m, large))) == {
        pink_m["id"],
        mustard_l["id"],
        mustard_m["id"],
    }
    assert await listing_ids(conn, category, ListingFilters(colour_ids=(mustard,))) == {
        mustard_l["id"],
        mustard_m["id"],
    }
    assert await listing_ids(conn, category, ListingFilters(size_ids=(m,), colour_ids=(mustard,))) == {mustard_m["id"]}
    assert await listing_ids(conn, category, ListingFilters(in_stock_only=True)) == {pink_m["id"], mustard_m["id"]}


async def test_a_listing_keeps_to_the_price_bounds(conn):
    category = await make_category(conn)
    cheap, middle, dear = [
        await make_product(conn, category=category, price_paise=price) for price in (50_000, 150_000, 300_000)
    ]
    assert await listing_ids(conn, category, ListingFilters(min_paise=100_000)) == {middle["id"], dear["id"]}
    assert await listing_ids(conn, category, ListingFilters(max_paise=150_000)) == {cheap["id"], middle["id"]}
    assert await listing_ids(conn, category, ListingFilters(min_paise=100_000, max_paise=200_000)) == {middle["id"]}


async def test_keyset_pages_by_price_meet_every_product_once(conn):
    category = await make_category(conn)
    for price in (30_000, 10_000, 20_000, 20_000):
        await make_product(conn, category=category, price_paise=price)
    first = await queries.select_listing(conn, [category["id"]], ListingFilters(), "price_asc", None, 2)
    assert len(first) == 3, "one row more than the page says there is a next page"
    last = first[1]
    rest = await queries.select_listing(
        conn, [category["id"]], ListingFilters(), "price_asc", (last["from_price_paise"], last["id"]), 2
    )
    prices = [row["from_price_paise"] for row in first[:2] + rest]
    assert prices == [10_000, 20_000, 20_000, 30_000]
    assert len({row["id"] for row in first[:2] + rest}) == 4


async def test_a_product_is_found_by_slug_with_its_category_and_photos(conn):
    product = await make_product(conn)
    found = await queries.select_product(conn, product["slug"])
    assert (found["id"], found["category_slug"]) == (product["id"], product["category"]["slug"])
    assert [image["alt"] for image in await queries.select_images(conn, product["id"])] == [product["name"]]
    assert await queries.select_product(conn, "no-such-product") is None
