"""MRP beside the price (issue 13 part 3): the discount's rounding, the price markup on cards and
the product page, the listing's "Biggest discount", "Popular" and "Loved by buyers" sorts with
their keyset pages, and the discount filter, each checked against a brute-force ORDER BY."""

from __future__ import annotations

import pytest
from pymysql.err import MySQLError

from mooncart.catalog import queries
from mooncart.catalog.queries import SOLD_STATUSES, ListingFilters
from mooncart.db import execute, fetch_all, fetch_val
from mooncart.formatting import discount_percent
from mooncart.insights.queries import sync_loved_points
from tests.conftest import HTMX, soup
from tests.factories import make_category, make_delivered_order, make_product, make_review, make_user


@pytest.mark.parametrize(
    "price, mrp, percent",
    [
        (199_900, 399_900, 50),  # ₹1,999 of ₹3,999: 50.01%
        (200_000, 399_900, 49),  # 49.99%: never rounded up to 50
        (333_400, 1_000_000, 66),  # 66.66%
        (99_900, 99_900, 0),  # at MRP
        (399_000, 399_900, 0),  # ₹9 off ₹3,999 is under 1%
        (99_900, None, 0),  # no MRP known
        (100, 300, 66),
    ],
)
def test_a_discount_is_whole_percent_rounded_down(price, mrp, percent):
    assert discount_percent(price, mrp) == percent


async def test_the_database_discount_rule_rounds_as_python_does(conn):
    """The CHECK on products holds discount_percent to the same arithmetic as the card's filter."""
    for price, mrp in ((199_900, 399_900), (200_000, 399_900), (333_400, 1_000_000), (1, 3)):
        assert await fetch_val(conn, "SELECT (%s - %s) * 100 DIV %s", (mrp, price, mrp)) == discount_percent(price, mrp)
    product = await make_product(conn, price_paise=199_900, mrp_paise=399_900)
    with pytest.raises(MySQLError):
        await execute(conn, "UPDATE products SET discount_percent = 51 WHERE id = %s", (product["id"],))
    assert await fetch_val(conn, "SELECT discount_percent FROM products WHERE id = %s", (product["id"],)) == 50


async def test_the_database_refuses_a_price_above_the_mrp(conn):
    product = await make_product(conn, price_paise=199_900, mrp_paise=399_900)
    variant_id = product["variants"][0]["id"]
    with pytest.raises(MySQLError):
        await execute(conn, "UPDATE variants SET price_paise = 400000 WHERE id = %s", (variant_id,))
    with pytest.raises(MySQLError):
        await execute(conn, "UPDATE variants SET mrp_paise = 100000 WHERE id = %s", (variant_id,))
    row = (await fetch_all(conn, "SELECT price_paise, mrp_paise FROM variants WHERE id = %s", (variant_id,)))[0]
    assert row == {"price_paise": 199_900, "mrp_paise": 399_900}


async def test_a_variant_written_without_an_mrp_has_its_price_as_mrp(conn):
    product = await make_product(conn, price_paise=149_900)
    assert await fetch_val(conn, "SELECT mrp_paise FROM variants WHERE id = %s", (product["variants"][0]["id"],)) == (
        149_900
    )


def price_tag(html):
    tag = html.select_one(".price-tag")
    return (
        tag.select_one(".product-price, .selling-price").get_text(strip=True),
        tag.select_one("del.mrp").get_text(" ", strip=True) if tag.select_one("del.mrp") else None,
        tag.select_one(".discount").get_text(strip=True) if tag.select_one(".discount") else None,
    )


async def test_a_card_shows_price_struck_mrp_and_discount(client, conn):
    product = await make_product(conn, price_paise=199_900, mrp_paise=399_900)
    html = soup(await (await client.get(f"/c/{product['category']['slug']}")).get_data())
    card = html.select_one(".product-card")
    assert price_tag(card) == ("₹1,999", "MRP ₹3,999", "(50% OFF)")
    assert card.select_one("del.mrp .visually-hidden").get_text() == "MRP "


async def test_a_card_at_mrp_shows_only_the_price(client, conn):
    product = await make_product(conn, price_paise=149_900)
    html = soup(await (await client.get(f"/c/{product['category']['slug']}")).get_data())
    card = html.select_one(".product-card")
    assert price_tag(card) == ("₹1,499", None, None)
    assert "OFF" not in card.get_text() and "MRP" not in card.get_text()


async def test_the_product_page_shows_the_mrp_with_its_tax_note(client, conn):
    product = await make_product(conn, price_paise=199_900, mrp_paise=399_900)
    html = soup(await (await client.get(f"/products/{product['slug']}")).get_data())
    price = html.select_one(".product-info .price")
    assert price_tag(price) == ("₹1,999", "MRP ₹3,999", "(50% OFF)")
    assert "MRP inclusive of all taxes" in price.get_text(" ", strip=True)
    at_mrp = await make_product(conn, price_paise=149_900)
    html = soup(await (await client.get(f"/products/{at_mrp['slug']}")).get_data())
    price = html.select_one(".product-info .price")
    assert price_tag(price) == ("₹1,499", None, None)
    assert "MRP inclusive of all taxes" in price.get_text(" ", strip=True)


# --- sorts and the discount filter against a brute-force ORDER BY -------------------------------

BRUTE = {
    "discount": "discount_percent DESC, id DESC",
    "popular": "units_sold_30d DESC, id DESC",
    "loved": "loved_points DESC, id DESC",
}


async def fill_category(conn, n: int = 31) -> dict:
    """n products with ties on every sort's column, so keysets must break them by id."""
    category = await make_category(conn)
    mrps = (None, 199_900, 249_900, 399_900)
    for i in range(n):
        product = await make_product(
            conn, category=category, name=f"Kurti {i:02d}", price_paise=149_900, mrp_paise=mrps[i % 4]
        )
        await execute(
            conn,
            "UPDATE products SET units_sold_30d = %s, loved_points = %s WHERE id = %s",
            ((i * 7) % 5, (i * 3) % 4 * 1000, product["id"]),
        )
    return category


async def brute_force(conn, category: dict, sort: str, where: str = "") -> list[str]:
    rows = await fetch_all(
        conn,
        "SELECT name FROM products WHERE category_id = %s " + where + " ORDER BY " + BRUTE[sort],  # nosec B608
        (category["id"],),
    )
    return [row["name"] for row in rows]


async def walk(client, category: dict, query: str, pages: list | None = None) -> list[str]:
    """Every card name, following "More" over htmx to the end; asserts each page is a fragment."""
    html = soup(await (await client.get(f"/c/{category['slug']}?{query}")).get_data())
    names = [c.get_text(strip=True) for c in html.select(".product-card .product-name")]
    link = html.select_one("#load-more a.button")
    while link is not None:
        if pages is not None:
            pages.append(link["href"])
        more = soup(await (await client.get(link["href"], headers=HTMX)).get_data())
        assert more.find("html") is None
        names += [c.get_text(strip=True) for c in more.select(".product-card .product-name")]
        link = more.select_one("#load-more a.button")
    return names


@pytest.mark.parametrize("sort", ["discount", "popular", "loved"])
async def test_each_new_sort_pages_like_a_brute_force_order_by(client, conn, sort):
    category = await fill_category(conn)
    names = await walk(client, category, f"sort={sort}")
    assert len(names) == 31 and len(set(names)) == 31, "no duplicates, no gaps"
    assert names == await brute_force(conn, category, sort)


@pytest.mark.parametrize("sort", ["discount", "popular", "loved"])
async def test_a_new_sort_pages_a_parent_category_merged_from_its_children(conn, sort):
    parent = await make_category(conn)
    children = [await make_category(conn, parent_id=parent["id"]) for _ in range(2)]
    for i in range(12):
        product = await make_product(
            conn, category=children[i % 2], price_paise=99_900, mrp_paise=(99_900, 199_900, 149_900)[i % 3]
        )
        await execute(
            conn,
            "UPDATE products SET units_sold_30d = %s, loved_points = %s WHERE id = %s",
            (i % 3, i % 4, product["id"]),
        )
    ids = [c["id"] for c in children]
    seen: list[int] = []
    after = None
    while True:
        rows = await queries.select_listing(conn, ids, ListingFilters(), sort, after, 5)
        seen += [r["id"] for r in rows[:5]]
        if len(rows) <= 5:
            break
        last = rows[4]
        after = (last[queries.SORT_KEYS[sort]], last["id"])
    expected = await fetch_all(
        conn,
        "SELECT id FROM products WHERE category_id IN (%s, %s) ORDER BY " + BRUTE[sort],  # nosec B608
        tuple(ids),
    )
    assert seen == [r["id"] for r in expected]


@pytest.mark.parametrize("percent", [10, 30, 50])
@pytest.mark.parametrize("sort", ["new", "discount", "price_asc"])
async def test_the_discount_filter_equals_brute_force(client, conn, percent, sort):
    category = await fill_category(conn, n=60)
    links: list[str] = []
    names = await walk(client, category, f"sort={sort}&discount={percent}", links)
    order = {"new": "id DESC", "discount": BRUTE["discount"], "price_asc": "from_price_paise, id"}[sort]
    rows = await fetch_all(
        conn,
        "SELECT name, from_price_paise, from_mrp_paise FROM products WHERE category_id = %s ORDER BY " + order,  # nosec B608
        (category["id"],),
    )
    # brute force from the prices themselves, not from the stored discount column
    assert names == [r["name"] for r in rows if discount_percent(r["from_price_paise"], r["from_mrp_paise"]) >= percent]
    assert names, "the filter keeps some products"
    assert (len(links) > 0) == (len(names) > 24) and all(f"discount={percent}" in link for link in links)


async def test_the_discount_filter_shows_as_a_chip_that_takes_it_off(client, conn):
    category = await fill_category(conn, n=8)
    html = soup(await (await client.get(f"/c/{category['slug']}?discount=30&sort=popular")).get_data())
    chips = [a for a in html.select("a.chip-off") if "30% and above" in a.get_text()]
    assert len(chips) == 1 and "discount" not in chips[0]["href"] and "sort=popular" in chips[0]["href"]
    assert html.select_one("input[name=discount][value='30']").has_attr("checked")
    bad = soup(await (await client.get(f"/c/{category['slug']}?discount=33")).get_data())
    assert "didn't recognise that discount" in bad.get_text()


@pytest.mark.parametrize("sort", ["discount", "popular", "loved"])
async def test_a_forged_cursor_for_a_new_sort_starts_again(client, conn, sort):
    category = await fill_category(conn, n=3)
    html = soup(await (await client.get(f"/c/{category['slug']}?sort={sort}&after=1%27OR%201=1")).get_data())
    assert "out of date" in html.get_text() and len(html.select(".product-card")) == 3


# --- where the sorts' numbers come from ---------------------------------------------------------


async def test_popular_counts_units_sold_in_the_last_30_days(conn):
    category = await make_category(conn)
    shopper = await make_user(conn)
    hit, old, cancelled, unsold = [await make_product(conn, category=category) for _ in range(4)]
    for _ in range(3):
        await make_delivered_order(conn, shopper, hit)
    await make_delivered_order(conn, shopper, old, placed_at="2020-01-01 10:00:00")
    await make_delivered_order(conn, shopper, cancelled, status="cancelled")
    await execute(conn, "UPDATE products SET units_sold_30d = 9 WHERE id = %s", (unsold["id"],))  # stale
    await queries.refresh_units_sold(conn)
    units = {
        r["id"]: r["units_sold_30d"]
        for r in await fetch_all(
            conn, "SELECT id, units_sold_30d FROM products WHERE category_id = %s", (category["id"],)
        )
    }
    assert units == {hit["id"]: 3, old["id"]: 0, cancelled["id"]: 0, unsold["id"]: 0}
    assert "'cancelled'" not in SOLD_STATUSES
    assert await queries.refresh_units_sold(conn) == 0, "nothing changed, nothing written"


async def test_loved_points_follow_the_loved_score(conn):
    product = await make_product(conn)
    await make_review(conn, await make_user(conn), product, rating=5)
    score = await fetch_val(
        conn, "SELECT loved_score FROM product_review_scores WHERE product_id = %s", (product["id"],)
    )
    points = await fetch_val(conn, "SELECT loved_points FROM products WHERE id = %s", (product["id"],))
    assert points == round(score * 1000) and points > 4000
    await execute(conn, "DELETE FROM product_review_scores WHERE product_id = %s", (product["id"],))
    await sync_loved_points(conn, [product["id"]])
    assert await fetch_val(conn, "SELECT loved_points FROM products WHERE id = %s", (product["id"],)) == 0


async def test_the_loved_sort_ranks_as_the_loved_page_does(client, conn):
    category = await make_category(conn)
    liked, loved, unreviewed = [await make_product(conn, category=category, name=f"Saree {i}") for i in range(3)]
    for _ in range(3):
        await make_review(conn, await make_user(conn), loved, rating=5)
    await make_review(conn, await make_user(conn), liked, rating=3)
    html = soup(await (await client.get(f"/c/{category['slug']}?sort=loved")).get_data())
    names = [c.get_text(strip=True) for c in html.select(".product-card .product-name")]
    assert names == [loved["name"], liked["name"], unreviewed["name"]]
    page = soup(await (await client.get(f"/loved?category={category['slug']}")).get_data())
    assert [c.get_text(strip=True) for c in page.select(".product-card .product-name")] == names[:2]


async def test_checkout_charges_the_selling_price_not_the_mrp(app, conn):
    from tests.conftest import post
    from tests.factories import shopper_with_bag

    client, user, variants, form = await shopper_with_bag(app, conn, 2, price_paise=49_900)
    await execute(conn, "UPDATE variants SET mrp_paise = 99900 WHERE id = %s", (variants[0]["id"],))
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 303
    order = (await fetch_all(conn, "SELECT id, subtotal_paise FROM orders WHERE user_id = %s", (user["id"],)))[0]
    assert order["subtotal_paise"] == 2 * 49_900
    lines = await fetch_all(
        conn, "SELECT unit_price_paise, quantity FROM order_items WHERE order_id = %s", (order["id"],)
    )
    assert lines == [{"unit_price_paise": 49_900, "quantity": 2}]
