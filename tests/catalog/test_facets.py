"""Facet counts on category listings (issue 13): every size, colour and price band shows how many
products choosing it would show, counted with the other filters but not its own (disjunctive
faceting), in one statement; choices that would show nothing stay visible but disabled."""

from __future__ import annotations

import random
import re
from dataclasses import replace

from mooncart.admin import queries as admin_queries
from mooncart.catalog import queries
from mooncart.catalog.facet_index import FacetIndex
from mooncart.catalog.facets import PRICE_BANDS
from mooncart.catalog.queries import ListingFilters, ProductCondition
from mooncart.changes import CatalogFeed
from mooncart.db import transaction
from mooncart.formatting import discount_percent
from mooncart.inventory.stock import lock_variants, move_stock
from tests.conftest import HTMX, soup, statements_run
from tests.factories import make_category, make_colour, make_product, size_id

SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
COLOURS = ["Facet Teal", "Facet Mustard", "Facet Plum"]
# prices on and either side of the bands' ends (₹499, ₹499.50, ₹500, ₹999, ₹1,000, ...)
PRICES = [19900, 49900, 49950, 50000, 99900, 100000, 150000, 199900, 200000, 399900, 400000, 1499900]


async def random_catalogue(conn, rng: random.Random, products: int = 45):
    """A parent category with two children and `products` products with random variants, prices
    and stock (a third of the variants sold out); returns (parent, children, products as dicts)."""
    parent = await make_category(conn)
    children = [await make_category(conn, parent_id=parent["id"]) for _ in range(2)]
    made = []
    for _ in range(products):
        colours = rng.sample(COLOURS, rng.randint(1, 3))
        sizes = rng.sample(SIZES, rng.randint(1, 4))
        variants = [(s, c, rng.choice([0, 0, 3, 10])) for c in colours for s in sizes if rng.random() < 0.8]
        variants = variants or [(sizes[0], colours[0], 0)]
        price = rng.choice(PRICES)
        mrp = rng.choice([None, price, price * 5 // 4, price * 2, price * 4])  # 0%, 20%, 50%, 75% off
        product = await make_product(
            conn, category=rng.choice(children), price_paise=price, variants=variants, mrp_paise=mrp
        )
        made.append(product | {"price": price, "discount": discount_percent(price, mrp)})
    return parent, children, made


class Indexed:
    """A facet index (facet_index.py) on the test's connection, kept up to date by its own feed,
    as an app's is: built at first use, caught up before each count."""

    def __init__(self) -> None:
        self.index = FacetIndex()
        self.feed = CatalogFeed()
        self.feed.subscribe(self.index.consume)

    async def counts(self, conn, category_ids, filters, bands, **kwargs):
        if not self.index.ready:
            await self.index.build_until_done(conn, self.feed)
        async with self.feed.lock:
            await self.feed.catch_up(conn)
            assert self.index.ready
            return self.index.counts(category_ids, filters, bands, **kwargs)


def coloured(counts):
    """The counts without colour 0 (a product without variants), which is no colour to choose: the
    index never counts it, the SQL counts it only when no size or stock is chosen."""
    return replace(counts, colours={k: v for k, v in counts.colours.items() if k})


def shown(products, filters: ListingFilters, ids: dict) -> int:
    """Brute force: how many products the listing shows for `filters` (one variant must match
    every variant condition; prices inclusive)."""
    count = 0
    for product in products:
        price = product["price"]
        if filters.min_paise is not None and price < filters.min_paise:
            continue
        if filters.max_paise is not None and price > filters.max_paise:
            continue
        if filters.min_discount and product["discount"] < filters.min_discount:
            continue
        if any(
            (not filters.size_ids or ids[v["size"]] in filters.size_ids)
            and (not filters.colour_ids or ids[v["colour"]] in filters.colour_ids)
            and (not filters.in_stock_only or v["stock"] > 0)
            for v in product["variants"]
        ):
            count += 1
    return count


def random_filters(rng: random.Random, ids: dict) -> ListingFilters:
    low = rng.choice([None, None, *PRICES])
    high = rng.choice([None, None, *PRICES])
    if low is not None and high is not None and low > high:
        low, high = high, low
    return ListingFilters(
        size_ids=tuple(ids[s] for s in rng.sample(SIZES, rng.choice([0, 0, 1, 2, 3]))),
        colour_ids=tuple(ids[c] for c in rng.sample(COLOURS, rng.choice([0, 0, 1, 2]))),
        min_paise=low,
        max_paise=high,
        in_stock_only=rng.random() < 0.5,
        min_discount=rng.choice([None, None, 10, 50, 70]),
    )


async def test_every_facet_count_equals_a_brute_force_count_over_random_filters(conn):
    rng = random.Random(1313)
    parent, children, made = await random_catalogue(conn, rng)
    ids = {s: await size_id(conn, s) for s in SIZES} | {c: await make_colour(conn, c) for c in COLOURS}
    bands = [band.paise() for band in PRICE_BANDS]
    category_ids = [parent["id"]] + [c["id"] for c in children]
    indexed = Indexed()
    for filters in [ListingFilters(), ListingFilters(in_stock_only=True)] + [
        random_filters(rng, ids) for _ in range(40)
    ]:
        counts = await queries.select_facet_counts(conn, category_ids, filters, bands)
        # the facet index counts exactly what the SQL counts, and what the listing shows
        index_counts, index_shown = await indexed.counts(conn, category_ids, filters, bands)
        assert index_counts == coloured(counts), filters
        # the brute force agrees with the listing itself on what the filters show
        listing = await queries.select_listing(conn, category_ids[1:], filters, "new", None, 1000)
        assert len(listing) == shown(made, filters, ids) == sum(index_shown.values())
        # a search's matches: as a bitset for the index, as SQL for the statement
        found = rng.sample(made, rng.randint(0, len(made)))
        matched = sum(1 << product["id"] for product in found)
        extra = ProductCondition(
            "p.id IN (" + ",".join(str(product["id"]) for product in found) + ")" if found else "FALSE"
        )
        searched, searched_shown = await indexed.counts(conn, category_ids, filters, bands, matched=matched)
        assert searched == coloured(await queries.select_facet_counts(conn, category_ids, filters, bands, extra=extra))
        assert sum(searched_shown.values()) == shown(found, filters, ids)
        for child in children:  # and per category, which the listing reads only where there are some
            mine = [product for product in made if product["category"]["id"] == child["id"]]
            assert index_shown[child["id"]] == shown(mine, filters, ids)
        # with a size facet that counts without the listing's sizes, as "my sizes" does
        size_filters = replace(filters, size_ids=(), in_stock_only=not filters.in_stock_only)
        assert (await indexed.counts(conn, category_ids, filters, bands, size_filters=size_filters))[0] == coloured(
            await queries.select_facet_counts(conn, category_ids, filters, bands, size_filters=size_filters)
        )
        for size in SIZES:  # each size as if it alone were ticked, the other filters kept
            expected = shown(made, replace(filters, size_ids=(ids[size],)), ids)
            assert counts.sizes.get(ids[size], 0) == expected, (filters, size)
        for colour in COLOURS:
            expected = shown(made, replace(filters, colour_ids=(ids[colour],)), ids)
            assert counts.colours.get(ids[colour], 0) == expected, (filters, colour)
        for i, (low, high) in enumerate(bands):
            expected = shown(made, replace(filters, min_paise=low, max_paise=high), ids)
            assert counts.bands.get(i, 0) == expected, (filters, PRICE_BANDS[i])


async def assert_counts_match(conn, rng, made, ids, category_ids, rounds: int, indexed: Indexed) -> None:
    """The facets of `rounds` random filter sets equal the brute force over `made` (and the listing),
    counted in SQL and by the facet index, which catches up with the writers' changes."""
    bands = [band.paise() for band in PRICE_BANDS]
    # nothing chosen, with and without "in stock only" (read from the counts kept per category), and random sets
    for filters in [ListingFilters(), ListingFilters(in_stock_only=True)] + [
        random_filters(rng, ids) for _ in range(rounds)
    ]:
        counts = await queries.select_facet_counts(conn, category_ids, filters, bands)
        index_counts, index_shown = await indexed.counts(conn, category_ids, filters, bands)
        assert index_counts == coloured(counts), filters
        listing = await queries.select_listing(conn, category_ids[1:], filters, "new", None, 1000)
        assert len(listing) == shown(made, filters, ids) == sum(index_shown.values()), filters
        for size in SIZES:
            assert counts.sizes.get(ids[size], 0) == shown(made, replace(filters, size_ids=(ids[size],)), ids)
        for colour in COLOURS:
            assert counts.colours.get(ids[colour], 0) == shown(made, replace(filters, colour_ids=(ids[colour],)), ids)
        for i, (low, high) in enumerate(bands):
            assert counts.bands.get(i, 0) == shown(made, replace(filters, min_paise=low, max_paise=high), ids)


async def test_counts_follow_stock_prices_new_variants_and_categories_through_the_shops_writers(conn):
    """The facet rows (migration 0509) are kept in step by the shop's own writers: stock that sells
    out or comes back (move_stock: orders, cancellations, returns, restocks, staff adjustments), a
    variant's new price and MRP, a new variant, a product moved to another category, a deleted one."""
    rng = random.Random(909)
    parent, children, made = await random_catalogue(conn, rng, products=30)
    ids = {s: await size_id(conn, s) for s in SIZES} | {c: await make_colour(conn, c) for c in COLOURS}
    category_ids = [parent["id"]] + [c["id"] for c in children]
    indexed = Indexed()  # built now, then patched by every change below
    await assert_counts_match(conn, rng, made, ids, category_ids, 5, indexed)
    for round_ in range(4):
        # stock: some variants sell out, some come back, some merely move (20 -> 19)
        for product in rng.sample(made, 8):
            variant = rng.choice(product["variants"])
            change = rng.choice([-variant["stock"], 5, 1]) or 2
            async with transaction(conn):
                locked = await lock_variants(conn, [variant["id"]])
                await move_stock(conn, {variant["id"]: change}, locked, "correction")
            variant["stock"] += change
        # a price and MRP edit, as the back office saves it
        product = rng.choice(made)
        price = rng.choice(PRICES)
        mrp = price * rng.choice([1, 2])
        async with transaction(conn):
            for variant in product["variants"]:
                await admin_queries.update_variant(
                    conn,
                    variant["id"],
                    {"sku": variant["sku"], "price_paise": price, "mrp_paise": mrp, "low_stock_threshold": 5},
                )
            await admin_queries.refresh_from_price(conn, product["id"])
        product.update(price=price, discount=discount_percent(price, mrp))
        # a new size in a new colour, with no stock yet
        product = rng.choice(made)
        taken = {(v["size"], v["colour"]) for v in product["variants"]}
        free = [(s, c) for s in SIZES for c in COLOURS if (s, c) not in taken]
        if free:
            size, colour = rng.choice(free)
            sku = f"F{product['id']}-{round_}-{size}"
            async with transaction(conn):
                variant_id = await admin_queries.insert_variant(
                    conn,
                    product["id"],
                    dict(
                        size_id=ids[size],
                        colour_id=ids[colour],
                        sku=sku,
                        price_paise=product["price"],
                        mrp_paise=product["price"] * 100 // (100 - product["discount"])
                        if product["discount"]
                        else product["price"],
                        low_stock_threshold=5,
                    ),
                )
                await admin_queries.refresh_from_price(conn, product["id"])
            product["variants"].append({"id": variant_id, "size": size, "colour": colour, "stock": 0, "sku": sku})
        await assert_counts_match(conn, rng, made, ids, category_ids, 5, indexed)
    # a product moved out of these categories, and one deleted, count nowhere here any more
    elsewhere = await make_category(conn)
    moved, deleted = made[0], made[1]
    await admin_queries.update_product(
        conn,
        moved["id"],
        dict(category_id=elsewhere["id"], name=moved["name"], description="Moved.", fabric="Cotton", fit_note=""),
    )
    assert await admin_queries.delete_product(conn, deleted["id"])
    made = made[2:]
    await assert_counts_match(conn, rng, made, ids, category_ids, 10, indexed)
    moved_counts = await queries.select_facet_counts(conn, [elsewhere["id"]], ListingFilters(), [(None, None)])
    assert moved_counts.bands == {0: 1}
    assert (await indexed.counts(conn, [elsewhere["id"]], ListingFilters(), [(None, None)]))[0].bands == {0: 1}


async def test_all_facets_cost_one_statement_and_take_an_extra_product_condition(conn):
    category = await make_category(conn)
    await make_product(conn, category=category, name="Facet Lotus Kurta", variants=[("M", "Facet Teal", 4)])
    await make_product(conn, category=category, name="Facet Plain Kurta", variants=[("M", "Facet Teal", 4)])
    before = await statements_run(conn)
    counts = await queries.select_facet_counts(
        conn,
        [category["id"]],
        ListingFilters(),
        [band.paise() for band in PRICE_BANDS],
        extra=ProductCondition("p.name LIKE %(words)s", {"words": "%Lotus%"}),
    )
    assert await statements_run(conn) - before == 2  # the facets and the SHOW that counts
    assert counts.sizes == {await size_id(conn, "M"): 1}
    assert sum(counts.bands.values()) == 1


def text(element) -> str:
    """What a reader hears: the element's text with its white space folded."""
    return " ".join(element.get_text().split())


def facet_labels(page, name: str) -> dict[str, tuple[str, bool, bool]]:
    """value -> (count shown, disabled, checked) of the filter form's checkboxes called `name`."""
    found = {}
    for box in page.select(f"#facets input[name={name}]"):
        label = text(box.find_parent("label"))
        count = re.search(r"\((\d+) products?\)", label).group(1)
        found[box["value"]] = (count, box.has_attr("disabled"), box.has_attr("checked"))
    return found


async def test_the_listing_shows_counts_and_disables_choices_that_would_show_nothing(client, conn):
    category = await make_category(conn)
    await make_product(
        conn, category=category, price_paise=79900, variants=[("M", "Facet Teal", 5), ("L", "Facet Teal", 0)]
    )
    await make_product(
        conn, category=category, price_paise=129900, variants=[("M", "Facet Plum", 2), ("S", "Facet Plum", 1)]
    )
    page = soup(await (await client.get(f"/c/{category['slug']}")).get_data())
    sizes = facet_labels(page, "size")
    assert sizes["M"] == ("2", False, False)
    assert sizes["L"] == ("1", False, False)
    assert sizes["XS"] == ("0", True, False)  # still shown, but not a choice
    colours = facet_labels(page, "colour")
    assert colours["Facet Teal"] == ("1", False, False) and colours["Facet Plum"] == ("1", False, False)

    # ticking Facet Teal: sizes count teal products only; colours still count both (their own facet)
    page = soup(await (await client.get(f"/c/{category['slug']}?colour=Facet+Teal&in_stock=1")).get_data())
    sizes = facet_labels(page, "size")
    assert sizes["M"] == ("1", False, False)
    assert sizes["S"] == ("0", True, False)
    assert sizes["L"] == ("0", True, False)  # teal L is sold out, and in stock only is ticked
    assert facet_labels(page, "colour")["Facet Plum"] == ("1", False, False)
    assert facet_labels(page, "colour")["Facet Teal"] == ("1", False, True)

    # a ticked choice that now shows nothing stays ticked and enabled, so she can untick it
    page = soup(await (await client.get(f"/c/{category['slug']}?size=XS")).get_data())
    assert facet_labels(page, "size")["XS"] == ("0", False, True)


async def test_price_bands_link_to_their_range_and_a_band_with_nothing_is_not_a_link(client, conn):
    category = await make_category(conn)
    await make_product(conn, category=category, price_paise=79900)
    await make_product(conn, category=category, price_paise=99900)
    page = soup(await (await client.get(f"/c/{category['slug']}?sort=price_asc")).get_data())
    bands = page.select("#facets .price-bands li")
    assert [text(li) for li in bands] == [
        "Under ₹500 (0 products)",
        "₹500 to ₹999 (2 products)",
        "₹1,000 to ₹1,999 (0 products)",
        "₹2,000 to ₹3,999 (0 products)",
        "₹4,000 and above (0 products)",
    ]
    assert bands[0].find("a") is None and bands[0].find(attrs={"aria-disabled": "true"})
    link = bands[1].find("a")
    assert link["href"] == f"/c/{category['slug']}?sort=price_asc&min=500&max=999"
    assert link["hx-get"] == link["href"]
    # chosen: marked, its counts unchanged (the price facet ignores the price), and the link takes it off
    page = soup(await (await client.get(link["href"])).get_data())
    chosen = page.select("#facets .price-bands li")[1].find("a")
    assert chosen["aria-current"] == "true" and text(chosen) == "Remove ₹500 to ₹999 (2 products)"
    assert chosen["href"] == f"/c/{category['slug']}?sort=price_asc"
    assert page.select_one("#facets input[name=min]")["value"] == "500"


async def test_the_htmx_filter_reply_carries_the_results_and_the_facets_again(client, conn):
    category = await make_category(conn)
    await make_product(conn, category=category, variants=[("M", "Facet Teal", 5)])
    await make_product(conn, category=category, variants=[("L", "Facet Plum", 5)])
    response = await client.get(f"/c/{category['slug']}?size=M", headers=HTMX)
    body = await response.get_data(as_text=True)
    reply = soup(body)
    assert "<html" not in body
    assert len(reply.select("#listing-results .product-card")) == 1
    partial = reply.find("hx-partial")
    assert partial["hx-target"] == "#facets" and partial["hx-swap"] == "outerMorph"
    colours = facet_labels(reply, "colour")
    assert colours["Facet Teal"] == ("1", False, False)
    assert colours["Facet Plum"] == ("0", True, False)  # no plum M
    assert facet_labels(reply, "size")["L"] == ("1", False, False)  # sizes ignore the size ticked


async def test_more_over_htmx_appends_cards_without_counting_facets_again(client, conn, app):
    app.app.config["PAGE_SIZE"] = 1  # the test app wraps the Quart app
    category = await make_category(conn)
    first = await make_product(conn, category=category)
    await make_product(conn, category=category)
    before = await statements_run(conn)
    page = soup(await (await client.get(f"/c/{category['slug']}")).get_data())
    full_page = await statements_run(conn) - before
    more = page.select_one("#load-more a")["href"]
    before = await statements_run(conn)
    reply = soup(await (await client.get(more, headers=HTMX)).get_data())
    assert reply.find(id="facets") is None and [a["href"] for a in reply.select(".product-card a")] == [first["url"]]
    assert await statements_run(conn) - before < full_page
    # without JavaScript the "More" link is a whole page, facets and all
    page = soup(await (await client.get(more)).get_data())
    assert page.find(id="facets") is not None
