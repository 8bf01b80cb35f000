"""A category listing's HTML from the shared cache (catalog/listing_cache.py): every visitor gets
what a whole render would give her, with her own token, nonce and address, and no stock, price or
catalogue change is ever served stale. Real MariaDB and Redis, committed data."""

from __future__ import annotations

import asyncio
import random
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import redis.asyncio as redis

from mooncart import cache, create_app
from mooncart.catalog import queries
from mooncart.catalog.my_sizes import now
from mooncart.db import execute
from mooncart.inventory.queries import refresh_product_facets
from mooncart.security import unmasked
from tests.catalog.conftest import (
    REDIS_URL,
    committed_product,
    page_html,
    same_page,
    set_price_and_announce,
    set_stock_and_announce,
    statements_on_a_warm_visit,
    without_the_cache,
)
from tests.conftest import HTMX, csrf, log_in, soup
from tests.factories import make_category, make_product, make_user, size_id


@pytest.fixture
async def shop(cached_app):
    """A category of three kurtis (one sold out in M), two to a page, with the app and its cache."""
    app, conn, made = cached_app
    app.app.config["PAGE_SIZE"] = 2
    category = await make_category(conn)
    products = [
        await committed_product(conn, made, category=category, name="Anokhi Kurta", variants=[("M", "Teal", 3)]),
        await committed_product(
            conn, made, category=category, name="Bandhani Kurta", variants=[("M", "Teal", 0), ("L", "Teal", 2)]
        ),
        await committed_product(
            conn, made, category=category, name="Chanderi Kurta", variants=[("M", "Teal", 5)], mrp_paise=299900
        ),
    ]
    users: list[dict] = []
    yield app, conn, category, products, users
    for user in users:
        await execute(conn, "DELETE FROM users WHERE id = %s", (user["id"],))
    for product in products:
        await execute(conn, "DELETE FROM products WHERE id = %s", (product["id"],))
    await execute(conn, "DELETE FROM categories WHERE id = %s", (category["id"],))


async def _visitor(kind: str, conn, products, users):
    """How a visitor of this kind gets to be one (on a fresh client)."""
    if kind == "guest":
        return None
    if kind == "guest with sizes":

        async def guest_sizes(client):
            fields = {"csrf_token": await csrf(client), "only_mine": "1", "size": "M"}
            assert (await client.post("/my-sizes", form=fields)).status_code == 303

        return guest_sizes
    user = await make_user(conn, is_staff=kind == "staff")
    users.append(user)
    if kind == "shopper with hearts":
        for product in products[:2]:
            await execute(
                conn, "INSERT INTO wishlist_items (user_id, product_id) VALUES (%s, %s)", (user["id"], product["id"])
            )
    if kind == "shopper with sizes":
        sizes = (await size_id(conn, "M"), await size_id(conn, "L"))
        await queries.replace_my_sizes(conn, user["id"], sizes, False, now())

    async def sign_in(client):
        await log_in(client, user)

    return sign_in


async def _cached_then_whole(app, client, url: str, headers: dict | None = None) -> tuple[str, str]:
    """This visitor's answer from the HTML her first request cached (a hit on that entry alone:
    no data read), then the same request rendered whole without the cache."""
    shared = app.app.extensions["cache"]
    first = await client.get(url, headers=headers or {})
    assert first.status_code == 200
    hits, misses = shared.hits, shared.misses
    cached = await client.get(url, headers=headers or {})
    assert (shared.hits, shared.misses) == (hits + 1, misses)  # the HTML's entry, nothing else
    whole = await without_the_cache(app, client, url, headers)
    assert cached.status_code == whole.status_code == 200
    assert cached.headers.get("Vary") == whole.headers.get("Vary")
    cached_html = await cached.get_data(as_text=True)
    assert "\ue000" not in cached_html  # no mark left behind
    return same_page(cached_html), same_page(await whole.get_data(as_text=True))


VISITORS = ("guest", "guest with sizes", "shopper with hearts", "shopper with sizes", "staff")


@pytest.mark.parametrize("kind", VISITORS)
async def test_the_cached_listing_is_the_listing_rendered_whole_for_every_visitor(shop, kind):
    """Byte for byte but for tokens and nonce: the page (first and "More" pages, and as a history
    restore), the filter reply and the "More" reply, after another visitor cached them too."""
    app, conn, category, products, users = shop
    become = await _visitor(kind, conn, products, users)
    base = f"/c/{category['slug']}"
    first = soup(await page_html(app.test_client(), base + "?sort=price_asc"))
    more = first.find(id="load-more").find("a")["href"]  # the keyset "More" page
    assert "after=" in more
    other = app.test_client()  # another visitor (a guest) caches everything first
    client = app.test_client()
    if become is not None:
        await become(client)
    await client.get("/")  # a flash from her setup is shown (and spent) here
    answers = [
        (base + "?utm_source=x&colour=Teal", None),
        (more + "&utm_source=y", None),
        (base + '?a=1&b="x"<y>&size=M', HTMX),
        (more, HTMX),
        (base, {"HX-Request": "true", "HX-History-Restore-Request": "true"}),
    ]
    for url, headers in answers:
        await other.get(url, headers=headers or {})
        cached, whole = await _cached_then_whole(app, client, url, headers)
        assert cached == whole, (kind, url, headers)
    page = soup(await page_html(client, base))
    cards = {card.select_one(".product-name").get_text(): card for card in page.select(".product-card")}
    wished = {name for name, card in cards.items() if "wished" in card.find("form", class_="heart")["class"]}
    hearts = {"Anokhi Kurta", "Bandhani Kurta"} & set(cards) if kind == "shopper with hearts" else set()
    assert wished == hearts
    sized = {
        name: card.select_one(".my-size").get_text() for name, card in cards.items() if card.select_one(".my-size")
    }
    if kind == "guest with sizes":  # only hers in stock, by her switch
        assert set(cards) == {"Anokhi Kurta", "Chanderi Kurta"} and set(sized) == set(cards)
    elif kind == "shopper with sizes":  # she shows all; the cards say whether hers are there
        assert sized["Bandhani Kurta"] == "Your size L: in stock"
    else:
        assert sized == {}


async def test_each_visitor_gets_her_own_csrf_token_nonce_and_address_from_the_cached_listing(shop):
    app, conn, category, products, users = shop
    shared = app.app.extensions["cache"]
    url = f"/c/{category['slug']}"
    await page_html(app.test_client(), url + "?utm_source=mail")  # the entry is made
    secrets_seen = set()
    for campaign in ("a", "b"):
        client = app.test_client()  # a new visitor, her own session
        hits, misses = shared.hits, shared.misses
        response = await client.get(f"{url}?utm_source={campaign}")
        assert (shared.hits, shared.misses) == (hits + 1, misses)  # a tracking argument shares the entry
        page = soup(await response.get_data())
        secret = unmasked(page.find("meta", attrs={"name": "csrf-token"})["content"])
        fields = page.find_all("input", attrs={"name": "csrf_token"})
        assert len(fields) >= 2  # the hearts of the first page's two cards
        assert {unmasked(field["value"]) for field in fields} == {secret}
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        assert {script["nonce"] for script in page.find_all("script")} == {nonce}
        # her hearts come back to her own address without JavaScript, query string and all
        assert {field["value"] for field in page.select("form.heart input[name=next]")} == {
            f"{url}?utm_source={campaign}"
        }
        link = urlsplit(page.select_one(".my-sizes-link a")["href"])
        assert parse_qs(link.query)["next"] == [f"{url}?utm_source={campaign}"]
        # and the token works: a heart's form goes through (to the log-in page for a guest)
        heart = page.find("form", class_="heart")
        form = {field["name"]: field["value"] for field in heart.find_all("input")}
        assert (await client.post(heart["action"], form=form)).status_code in (302, 303)
        secrets_seen.add(secret)
    assert len(secrets_seen) == 2


async def test_a_sell_out_and_a_price_change_show_at_once_on_the_cached_listing(shop):
    """The page, the filter reply and the "More" reply, each warm, after a sale that sells a
    product out (announced as every stock change is) and a staff price change (a catalogue bump)."""
    app, conn, category, products, users = shop
    anokhi = products[0]
    client = app.test_client()
    page_url, filter_url = (
        f"/c/{category['slug']}?in_stock=1&sort=price_asc",
        f"/c/{category['slug']}?size=M&in_stock=1",
    )

    def names(html: str) -> set[str]:
        return {card.get_text() for card in soup(html).select(".product-name")}

    for _ in range(2):
        assert "Anokhi Kurta" in names(await page_html(client, page_url))
        filtered = await (await client.get(filter_url, headers=HTMX)).get_data(as_text=True)
        assert "Anokhi Kurta" in names(filtered)
    assert "M (2" in soup(filtered).find(id="facets").get_text()  # Anokhi and Chanderi in M, in stock
    await execute(conn, "UPDATE variants SET stock = 0 WHERE id = %s", (anokhi["variants"][0]["id"],))
    await refresh_product_facets(conn, [anokhi["id"]])  # as the shop's stock writers do, then announce
    await set_stock_and_announce(app, conn, anokhi["variants"][0]["id"], 0)
    assert "Anokhi Kurta" not in names(await page_html(client, page_url))
    filtered = await (await client.get(filter_url, headers=HTMX)).get_data(as_text=True)
    assert "Anokhi Kurta" not in names(filtered)
    assert "M (1" in soup(filtered).find(id="facets").get_text()  # the count follows at once
    sold_out = soup(await page_html(client, f"/c/{category['slug']}?sort=price_asc"))
    card = next(c for c in sold_out.select(".product-card") if "Anokhi" in c.get_text())
    assert "Sold out" in card.get_text()

    chanderi = products[2]
    for _ in range(2):
        assert "₹1,499" in await page_html(client, f"/c/{category['slug']}")
    await set_price_and_announce(app, conn, chanderi["id"], 99900, 299900)
    page = soup(await page_html(client, f"/c/{category['slug']}"))
    card = next(c for c in page.select(".product-card") if "Chanderi" in c.get_text())
    assert "₹999" in card.get_text() and "₹1,499" not in card.get_text()
    cheapest = soup(await page_html(client, f"/c/{category['slug']}?sort=price_asc")).select_one(".product-name")
    assert cheapest.get_text() == "Chanderi Kurta"  # and the sort follows it


async def test_two_shop_instances_share_the_listing_html_and_agree_at_once(shop, database):
    """Two app processes (here two apps) on one database and Redis: one renders, the other serves
    that HTML with its own token; a sale through either shows on the other's next request."""
    app_a, conn, category, products, users = shop
    other = create_app({"SECRET_KEY": "live", "DATABASE_URL": database.url, "REDIS_URL": REDIS_URL})
    other.config["PAGE_SIZE"] = 2
    url = f"/c/{category['slug']}?in_stock=1&sort=price_asc"
    async with other.test_app() as app_b:
        client_b = app_b.test_client()
        for _ in range(2):
            assert "Anokhi Kurta" in await page_html(client_b, url)
        shared_a = app_a.app.extensions["cache"]
        hits, misses = shared_a.hits, shared_a.misses
        from_a = await page_html(app_a.test_client(), url)
        assert (shared_a.hits, shared_a.misses) == (hits + 1, misses)  # B's HTML, served by A
        assert "Anokhi Kurta" in from_a and "\ue000" not in from_a
        await set_stock_and_announce(app_a, conn, products[0]["variants"][0]["id"], 0)  # through A
        assert "Anokhi Kurta" not in await page_html(client_b, url)
        await set_stock_and_announce(app_b, conn, products[0]["variants"][0]["id"], 4)  # back, through B
        assert "Anokhi Kurta" in await page_html(app_a.test_client(), url)


async def test_what_she_sees_of_herself_is_never_shown_to_another(shop):
    """Her hearts and her sizes make her own entry: a guest after her, and she after the guest,
    each get their own, in either order."""
    app, conn, category, products, users = shop
    sign_in = await _visitor("shopper with hearts", conn, products, users)
    her = app.test_client()
    await sign_in(her)
    await queries.replace_my_sizes(conn, users[0]["id"], (await size_id(conn, "L"),), True, now())
    guest = app.test_client()
    url = f"/c/{category['slug']}"
    for _ in range(2):
        for client, wished, names in (
            (guest, set(), {"Chanderi Kurta", "Bandhani Kurta"}),  # the newest two
            (her, {"Bandhani Kurta"}, {"Bandhani Kurta"}),  # only L in stock, by her switch
        ):
            page = soup(await page_html(client, url))
            cards = page.select(".product-card")
            assert {card.select_one(".product-name").get_text() for card in cards} == names
            assert {
                card.select_one(".product-name").get_text()
                for card in cards
                if "wished" in card.find("form", class_="heart")["class"]
            } == wished
            assert ("Showing your sizes in stock: L" in page.get_text(" ", strip=True)) == (client is her)


async def test_a_cached_listing_costs_a_guest_no_statement(app, conn):
    """Uncached, two statements (the listing and its facet counts); with the listing's HTML in the
    cache, none at all (the app shares the test's connection, so its statements are counted)."""
    shared = cache.Cache(redis.from_url(REDIS_URL), namespace=f"statements{random.getrandbits(48)}")
    app.app.extensions["cache"] = shared
    try:
        category = await make_category(conn)
        for name in ("Anokhi Kurta", "Bandhani Kurta"):
            await make_product(conn, category=category, name=name)
        statements, html = await statements_on_a_warm_visit(app, conn, f"/c/{category['slug']}")
        assert statements == 0
        page = soup(html)
        assert len(page.select(".product-card")) == 2
    finally:
        await shared.redis.aclose()


async def test_a_listing_reader_never_sees_stock_or_a_price_older_than_an_announced_change(cached_app):
    """A writer sells out one product after another and raises another's price, announcing each
    change as the shop does; readers (shoppers' requests to the same app) note what had been
    announced when they start, and the cached listing must show at least that: never fewer
    sell-outs, never a lower price. 4 readers, 20 sell-outs and 20 price rises."""
    app, conn, made = cached_app
    app.app.config["PAGE_SIZE"] = 30
    category = await make_category(conn)
    sold = [await committed_product(conn, made, category=category, stock=1) for _ in range(20)]
    priced = await committed_product(conn, made, category=category, stock=5, price_paise=100000, mrp_paise=999900)
    url = f"/c/{category['slug']}?in_stock=1"
    announced = {"sold": 0, "price": 100000}
    done = False
    checked = 0

    async def writer():
        nonlocal done
        for step, product in enumerate(sold, start=1):
            await set_stock_and_announce(app, conn, product["variants"][0]["id"], 0)
            announced["sold"] = step
            await set_price_and_announce(app, conn, priced["id"], 100000 + step * 100, 999900)
            announced["price"] = 100000 + step * 100
            await asyncio.sleep(random.uniform(0, 0.02))
        done = True

    async def reader():
        nonlocal checked
        client = app.test_client()
        while not done:
            floor = dict(announced)
            page = soup(await page_html(client, url))
            cards = {card.select_one(".product-name").get_text(): card for card in page.select(".product-card")}
            assert len(cards) <= 21 - floor["sold"], f"{len(cards)} in stock after {floor['sold']} sell-outs"
            paise = int(re.sub(r"\D", "", cards[priced["name"]].select_one(".product-price").get_text())) * 100
            assert paise >= floor["price"], f"price {paise} after {floor['price']} had been announced"
            checked += 1

    try:
        await asyncio.wait_for(asyncio.gather(writer(), *(reader() for _ in range(4))), timeout=120)
    finally:
        await execute(conn, "DELETE FROM products WHERE category_id = %s", (category["id"],))
        await execute(conn, "DELETE FROM categories WHERE id = %s", (category["id"],))
    assert checked > 20
    assert app.app.extensions["cache"].hits > 0  # the cache was really in the way, and still right
