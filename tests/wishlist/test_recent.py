"""Recently viewed products: a cookie the product page writes (newest first, at most eight, bad
values ignored), shown on the product page (not the product itself) and the bag page, loaded in
one statement and none when there is nothing to show. And what the product page costs."""

from __future__ import annotations

from mooncart.wishlist.recent import COOKIE_NAME
from mooncart.wishlist.rules import RECENT_LIMIT, read_recent, remember, write_recent
from tests.conftest import log_in, post, soup, statements_run
from tests.factories import make_product, make_user


def recent_cookie(client) -> str | None:
    return next((cookie.value for cookie in client.cookie_jar if cookie.name == COOKIE_NAME), None)


def shown(html) -> list[str]:
    section = html.find("section", class_="recently-viewed")
    return [] if section is None else [name.get_text() for name in section.select(".product-card .product-name")]


def test_the_cookie_is_read_newest_first_without_repeats_or_bad_values():
    assert read_recent("12.7.3") == [12, 7, 3]
    assert read_recent("12.x.7.-1.0.12.4294967296.00009.１.7") == [12, 7, 9]
    assert read_recent(".".join(str(n) for n in range(1, 30))) == list(range(1, RECENT_LIMIT + 1))
    assert read_recent("9" * 500) == [] and read_recent("") == [] and read_recent(None) == []
    assert remember([3, 5, 7], 5) == [5, 3, 7]
    assert remember(list(range(1, RECENT_LIMIT + 1)), 99) == [99] + list(range(1, RECENT_LIMIT))
    assert write_recent([5, 3]) == "5.3"


async def test_the_product_page_remembers_views_newest_first_and_not_itself(client, conn):
    products = [await make_product(conn, name=f"Viewed Kurti {n}") for n in range(RECENT_LIMIT + 2)]
    page = soup(await (await client.get(products[0]["url"])).get_data())
    assert shown(page) == []  # nothing viewed before: no row at all
    assert recent_cookie(client) == str(products[0]["id"])
    for product in products[1:]:
        page = soup(await (await client.get(product["url"])).get_data())
    # the last page shows the eight viewed before it, newest first, the oldest fallen off
    assert shown(page) == [p["name"] for p in reversed(products[-RECENT_LIMIT - 1 : -1])]
    assert recent_cookie(client) == write_recent([p["id"] for p in reversed(products[-RECENT_LIMIT:])])
    # viewing one again moves it to the front and keeps it once
    page = soup(await (await client.get(products[-3]["url"])).get_data())
    assert products[-3]["name"] not in shown(page)
    assert shown(page)[0] == products[-1]["name"]
    assert read_recent(recent_cookie(client))[:2] == [products[-3]["id"], products[-1]["id"]]


async def test_a_bad_cookie_is_ignored_and_rewritten(app, conn):
    product, viewed = await make_product(conn), await make_product(conn, name="Still Here Dupatta")
    client = app.test_client()
    client.set_cookie("localhost", COOKIE_NAME, f"abc.{viewed['id']}.<script>.-5.99999999999.4000000000")
    response = await client.get(product["url"])
    assert response.status_code == 200
    assert shown(soup(await response.get_data())) == ["Still Here Dupatta"]
    # not an id: dropped; an id of no product (4000000000): kept, but no card
    assert recent_cookie(client) == f"{product['id']}.{viewed['id']}.4000000000"
    client.set_cookie("localhost", COOKIE_NAME, "%%%" * 100)
    response = await client.get(product["url"])
    assert response.status_code == 200 and shown(soup(await response.get_data())) == []


async def test_the_bag_page_shows_them_too(client, conn):
    first, second = await make_product(conn, name="Bag Row Kurti"), await make_product(conn, name="Bag Row Saree")
    assert shown(soup(await (await client.get("/bag")).get_data())) == []
    await client.get(first["url"])
    await client.get(second["url"])
    assert shown(soup(await (await client.get("/bag")).get_data())) == ["Bag Row Saree", "Bag Row Kurti"]


async def statements_for(client, conn, path: str) -> int:
    before = await statements_run(conn)
    response = await client.get(path)
    assert response.status_code == 200
    return await statements_run(conn) - before - 1


async def test_what_the_product_page_costs(app, conn, capsys):
    """A guest without recently viewed products pays nothing for the wishlist; the row costs one
    statement whatever its length; a signed-in shopper's hearts one more."""
    product = await make_product(conn)
    others = [await make_product(conn) for _ in range(5)]
    costs = {}
    fresh = app.test_client()
    costs["guest"] = await statements_for(fresh, conn, product["url"])
    await fresh.get(others[0]["url"])
    costs["guest, 1 viewed"] = await statements_for(fresh, conn, product["url"])
    for other in others[1:]:
        await fresh.get(other["url"])
    costs["guest, 5 viewed"] = await statements_for(fresh, conn, product["url"])
    shopper = app.test_client()
    await log_in(shopper, await make_user(conn))
    await post(shopper, f"/wishlist/items/{others[0]['id']}", form={})
    costs["signed in"] = await statements_for(shopper, conn, product["url"])
    await shopper.get(others[0]["url"])
    costs["signed in, 1 viewed"] = await statements_for(shopper, conn, product["url"])
    with capsys.disabled():
        print(f"\nproduct page statements: {costs}")
    assert costs["guest, 1 viewed"] == costs["guest, 5 viewed"] == costs["guest"] + 1
    assert costs["signed in, 1 viewed"] == costs["signed in"] + 1
    # the empty row costs nothing: the same page as before the wishlist, for a first-time guest
    assert costs["guest"] == 9  # 8, and since "complete the look" (issue 14) the look's one statement
