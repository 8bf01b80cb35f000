"""The Redis cache of product pages, listings and the product page's reviews and recommendation
rows: it must never show stock or a price older than the event that changed it (cache.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
from decimal import Decimal

import aiomysql
import pytest
import redis.asyncio as redis

from mooncart import cache, create_app
from mooncart.catalog import queries
from mooncart.catalog.product_page import product_data
from mooncart.db import execute
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
from tests.conftest import log_in, post, soup
from tests.factories import make_delivered_order, make_look, make_product, make_review, make_user


def test_values_come_back_equal():
    value = {
        "histogram": {5: 3, 4: 0},
        "pair": (1, "a"),
        "average": Decimal("4.25"),
        "when": dt.datetime(2026, 11, 28, 14, 32, 5),
        "day": dt.date(2026, 12, 3),
        "$odd": [None, True, 1.5],
    }
    assert cache.loads(cache.dumps(value)) == value


def test_a_value_that_is_not_data_is_refused():
    with pytest.raises(TypeError):
        cache.dumps({"x": object()})


async def test_the_product_page_is_read_once_then_served_from_the_cache(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=4)
    shared = app.app.extensions["cache"]
    client = app.test_client()
    for _ in range(3):
        response = await client.get(product["url"])
        assert response.status_code == 200
    # the first read learns which variants the page shows, the second stores it, the third hits
    assert shared.hits >= 1
    async with app.app.app_context():
        direct = await queries.select_product_page(conn, product["slug"])
    entry = await shared.entry(cache.key("product", product["slug"]))
    assert entry is not None and entry["value"] == direct


async def test_a_sale_shows_at_once_on_the_product_page_and_the_listing(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=2)
    variant_id = product["variants"][0]["id"]
    client = app.test_client()
    listing = f"/c/{product['category']['slug']}?in_stock=1"
    for _ in range(3):  # warm both entries
        page = soup(await (await client.get(product["url"])).get_data())
        cards = soup(await (await client.get(listing)).get_data())
    assert "Sold out" not in page.get_text()
    assert product["name"] in cards.get_text()

    await set_stock_and_announce(app, conn, variant_id, 0)

    page = soup(await (await client.get(product["url"])).get_data())
    assert "Sold out" in page.get_text() or "Out of stock" in page.get_text()
    cards = soup(await (await client.get(listing)).get_data())
    assert product["name"] not in cards.get_text()


async def test_a_staff_price_edit_shows_at_once(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=5, price_paise=149900)
    client = app.test_client()
    for _ in range(3):
        assert "1,499" in soup(await (await client.get(product["url"])).get_data()).get_text()
    await set_price_and_announce(app, conn, product["id"], 129900, 149900)
    text = soup(await (await client.get(product["url"])).get_data()).get_text()
    assert "1,299" in text and "13% OFF" in text  # the new price, below the MRP of ₹1,499


async def test_a_reader_never_sees_stock_older_than_an_announced_change(cached_app, database):
    """Writers set ever higher stock and announce it; readers, on their own connections, note the
    highest announced value when they start, and must read at least that. 8 readers, 60 changes."""
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=1000)
    variant_id = product["variants"][0]["id"]
    announced = 1000
    done = False
    checked = 0

    async def writer():
        nonlocal announced, done
        for stock in range(1001, 1061):
            await set_stock_and_announce(app, conn, variant_id, stock)
            announced = stock
            await asyncio.sleep(random.uniform(0, 0.01))
        done = True

    async def reader():
        nonlocal checked
        own = await aiomysql.connect(**database.connect_kwargs())
        try:
            while not done:
                floor = announced
                async with app.app.app_context():
                    page = await product_data(own, product["slug"])
                seen = page["variants"][0]["stock"]
                assert seen >= floor, f"read stock {seen} after {floor} had been announced"
                checked += 1
        finally:
            own.close()

    await asyncio.wait_for(asyncio.gather(writer(), *(reader() for _ in range(8))), timeout=60)
    assert checked > 60
    assert app.app.extensions["cache"].hits > 0  # the cache was really in the way, and still right


async def test_without_redis_nothing_is_cached(app):
    assert app.app.extensions["cache"].enabled is False


async def test_a_redis_that_goes_away_costs_speed_not_correctness(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=3)
    app.app.extensions["cache"] = cache.Cache(redis.from_url("redis://127.0.0.1:1/0"), namespace="gone")
    for _ in range(2):
        response = await app.test_client().get(product["url"])
        assert response.status_code == 200
        assert product["name"] in (await response.get_data(as_text=True))
    await app.app.extensions["cache"].bump([cache.STOCK])  # logged, never raised to the seller


async def test_two_shops_on_one_redis_do_not_share_entries(cached_app):
    app, conn, made = cached_app
    shared = app.app.extensions["cache"]
    other = cache.Cache(redis.from_url(REDIS_URL), namespace="another_shop")
    try:
        assert other.prefix != shared.prefix
        await other.get_or_load("x", lambda: _value("theirs"))
        await shared.get_or_load("x", lambda: _value("ours"))
        assert await other.get_or_load("x", lambda: _value("reloaded")) == "theirs"
        assert await shared.get_or_load("x", lambda: _value("reloaded")) == "ours"
    finally:
        await other.redis.aclose()


async def _value(v):
    return v


# ---- the product page's HTML in the cache (catalog/page_cache.py) ------------------------------


async def test_the_cached_product_page_is_the_page_rendered_whole(cached_app):
    """The same visitor gets the same page, byte for byte but for tokens and nonce, from the cached
    HTML as from a whole render without the cache: a product in a look, with reviews' region."""
    app, conn, made = cached_app
    product = await committed_product(conn, made, variants=[("S", "Rani Pink", 3), ("M", "Rani Pink", 0)])
    other = await committed_product(conn, made, stock=2)
    look = await make_look(conn, [product, other])
    shared = app.app.extensions["cache"]
    client = app.test_client()
    try:
        for _ in range(3):
            cached = await page_html(client, product["url"] + "?utm_source=x")
        hits = shared.hits
        assert same_page(cached) == same_page(await page_html(client, product["url"] + "?utm_source=x"))
        assert shared.hits > hits
        app.app.extensions["cache"] = cache.Cache(None)  # the same request, rendered whole
        whole = await page_html(client, product["url"] + "?utm_source=x")
    finally:
        app.app.extensions["cache"] = shared
        await execute(conn, "DELETE FROM looks WHERE id = %s", (look["id"],))
    assert same_page(cached) == same_page(whole)
    page = soup(cached)
    assert page.find(id=f"look-{look['id']}") is not None
    assert page.find(id="reviews") is not None and page.find(id="delivery-check") is not None
    # the heart comes back to this very address, query and all, as a whole render says
    assert page.find("form", class_="heart").find("input", attrs={"name": "next"})["value"] == (
        product["url"] + "?utm_source=x"
    )


async def test_each_visitor_gets_her_own_csrf_token_and_nonce_from_the_cached_page(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=0)  # sold out: the waitlist's form too
    shared = app.app.extensions["cache"]
    await page_html(app.test_client(), product["url"])  # the entry is made
    hits = shared.hits
    secrets_seen = set()
    for _ in range(2):
        client = app.test_client()  # a new visitor, her own session
        response = await client.get(product["url"])
        page = soup(await response.get_data())
        secret = unmasked(page.find("meta", attrs={"name": "csrf-token"})["content"])
        fields = page.find_all("input", attrs={"name": "csrf_token"})
        assert len(fields) >= 3  # add to bag, the heart, the waitlist
        assert {unmasked(field["value"]) for field in fields} == {secret}
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        assert {script["nonce"] for script in page.find_all("script")} == {nonce}
        assert "\ue000" not in await response.get_data(as_text=True)  # no mark left behind
        # and the token works: the page's own add-to-bag form goes through
        form = page.find("form", id="add-to-bag")
        assert form is not None
        secrets_seen.add(secret)
    assert len(secrets_seen) == 2
    assert shared.hits >= hits + 2  # both were served from the cached HTML


async def test_a_price_and_a_stock_change_show_at_once_in_the_cached_html(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, variants=[("S", "Teal", 5), ("M", "Teal", 5)], price_paise=149900)
    client = app.test_client()
    for _ in range(3):
        await page_html(client, product["url"])
    variant_id = product["variants"][0]["id"]
    await set_stock_and_announce(app, conn, variant_id, 0)
    page = soup(await page_html(client, product["url"]))
    assert page.find("input", attrs={"name": "variant_id", "value": str(variant_id)}).has_attr("disabled")
    await set_price_and_announce(app, conn, product["id"], 99900, 149900)
    assert "999" in soup(await page_html(client, product["url"])).find(class_="price").get_text()


async def test_a_piece_of_the_look_sold_out_shows_at_once_on_the_other_pieces_page(cached_app):
    app, conn, made = cached_app
    kurti = await committed_product(conn, made, stock=4)
    dupatta = await committed_product(conn, made, stock=1)
    look = await make_look(conn, [kurti, dupatta])
    client = app.test_client()
    try:
        for _ in range(3):
            assert "sold out, so the look cannot" not in await page_html(client, kurti["url"])
        await set_stock_and_announce(app, conn, dupatta["variants"][0]["id"], 0)
        assert "sold out, so the look cannot" in await page_html(client, kurti["url"])
    finally:
        await execute(conn, "DELETE FROM looks WHERE id = %s", (look["id"],))


async def test_a_shoppers_hearts_and_reviews_stay_hers(cached_app):
    """The HTML has one copy per set of filled hearts, and a signed-in shopper's reviews region is
    rendered for her on each request: a guest after her sees neither."""
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=3)
    user = await make_user(conn)
    try:
        await execute(
            conn, "INSERT INTO wishlist_items (user_id, product_id) VALUES (%s, %s)", (user["id"], product["id"])
        )
        guest = app.test_client()
        for _ in range(2):
            assert "wished" not in soup(await page_html(guest, product["url"])).find("form", class_="heart")["class"]
        her = app.test_client()
        await log_in(her, user)
        for _ in range(3):
            page = soup(await page_html(her, product["url"]))
            assert "wished" in page.find("form", class_="heart")["class"]
            assert "Once your order of it is delivered" in page.find(id="reviews").get_text()
        page = soup(await page_html(guest, product["url"]))
        assert "wished" not in page.find("form", class_="heart")["class"]
        assert "Once your order of it is delivered" not in page.find(id="reviews").get_text()
    finally:
        await execute(conn, "DELETE FROM users WHERE id = %s", (user["id"],))


async def test_a_size_the_waitlist_holds_for_her_is_hers_to_buy_without_a_bag(cached_app):
    """Issue 14: the last unit is held for her by the waitlist. Signed in, with no bag cookie, she
    sees it available; a guest sees it sold out, before and after her (nothing of hers is shared)."""
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=1)
    variant_id = product["variants"][0]["id"]
    user = await make_user(conn)
    try:
        await execute(
            conn,
            "INSERT INTO stock_holds (user_id, variant_id, quantity, kind, expires_at) "
            "VALUES (%s, %s, 1, 'waitlist', UTC_TIMESTAMP(6) + INTERVAL 1 DAY)",
            (user["id"], variant_id),
        )
        guest = app.test_client()
        for _ in range(2):
            button = soup(await page_html(guest, product["url"])).find(id="add-button")
            assert "Sold out" in button.get_text() and button.has_attr("disabled")
        her = app.test_client()
        await log_in(her, user)
        assert not any(cookie.name.endswith("mooncart_bag") for cookie in her.cookie_jar or [])  # no bag
        for _ in range(2):
            page = soup(await page_html(her, product["url"]))
            assert "Add to bag" in page.find(id="add-button").get_text()
            assert not page.find("input", attrs={"name": "variant_id"}).has_attr("disabled")
        button = soup(await page_html(guest, product["url"])).find(id="add-button")
        assert "Sold out" in button.get_text()
    finally:
        await execute(conn, "DELETE FROM stock_holds WHERE user_id = %s", (user["id"],))
        await execute(conn, "DELETE FROM users WHERE id = %s", (user["id"],))


async def test_two_shop_instances_on_one_database_and_redis_agree_at_once(cached_app, database):
    """Two app processes (here two apps) share MariaDB and Redis: a sale through one shows on
    the other's product page and listing on its very next request."""
    app_a, conn, made = cached_app
    other = create_app({"SECRET_KEY": "live", "DATABASE_URL": database.url, "REDIS_URL": REDIS_URL})
    product = await committed_product(conn, made, stock=2)
    listing = f"/c/{product['category']['slug']}?in_stock=1"
    async with other.test_app() as app_b:
        client_b = app_b.test_client()
        for _ in range(3):  # B's entries are warm
            page = soup(await page_html(client_b, product["url"]))
            assert product["name"] in soup(await page_html(client_b, listing)).get_text()
        assert "Sold out" not in page.find(id="add-button").get_text()
        hits = app_b.app.extensions["cache"].hits
        assert hits > 0
        await set_stock_and_announce(app_a, conn, product["variants"][0]["id"], 0)  # through A
        assert "Sold out" in soup(await page_html(client_b, product["url"])).find(id="add-button").get_text()
        assert product["name"] not in soup(await page_html(client_b, listing)).get_text()


async def test_a_cached_product_page_costs_a_new_visitor_no_statement(app, conn):
    """Uncached, six statements (test_product_page.py); with the product's data, the look, the
    reviews, the recommendation rows and the page's HTML in the cache, none at all."""
    shared = cache.Cache(redis.from_url(REDIS_URL), namespace=f"statements{random.getrandbits(48)}")
    app.app.extensions["cache"] = shared
    try:
        product = await make_product(conn, variants=[("S", "Teal", 2), ("M", "Teal", 0)])
        statements, html = await statements_on_a_warm_visit(app, conn, product["url"])
        assert statements == 0
        page = soup(html)
        assert product["name"] in page.find("h1").get_text()
    finally:
        await shared.redis.aclose()


async def _cached_and_whole(app, url: str, *, warm_as=None, visit_as=None, headers=None) -> tuple[str, str]:
    """One visitor's page from HTML another visitor's request cached, and the same request
    rendered whole without the cache (tokens and nonce made alike; any flash shown beforehand)."""
    shared = app.app.extensions["cache"]
    warm = app.test_client()
    if warm_as is not None:
        await warm_as(warm)
    await warm.get("/")
    for _ in range(2):
        await page_html(warm, url)
    client = app.test_client()
    if visit_as is not None:
        await visit_as(client)
    await client.get("/")  # a flash from her setup is shown (and spent) here
    hits = shared.hits
    cached = await client.get(url, headers=headers or {})
    assert shared.hits > hits
    whole = await without_the_cache(app, client, url, headers)
    assert cached.status_code == whole.status_code == 200
    return same_page(await cached.get_data(as_text=True)), same_page(await whole.get_data(as_text=True))


def _signed_in(user):
    async def sign_in(client):
        if user is not None:
            await log_in(client, user)

    return sign_in


@pytest.mark.parametrize(
    "headers", [{"HX-Request": "true"}, {"HX-Request": "true", "HX-History-Restore-Request": "true"}]
)
async def test_an_htmx_request_for_the_product_page_gets_the_page_a_whole_render_gives(cached_app, headers):
    """Review (session 5): htmx asking for the page (a boosted link, a history restore) with an
    awkward query string gets the same shape from the cached HTML as from a whole render."""
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=2)
    cached, whole = await _cached_and_whole(app, product["url"] + '?a=1&b="x"<y>', headers=headers)
    assert cached == whole


async def test_a_product_with_no_variants_or_photos_is_the_same_from_the_cached_html(cached_app):
    app, conn, made = cached_app
    product = await committed_product(conn, made, variants=[])
    cached, whole = await _cached_and_whole(app, product["url"])
    assert cached == whole
    assert "not available in any size" in cached


async def test_her_bag_pin_and_recently_viewed_are_hers_on_the_cached_html(cached_app):
    """A guest with a bag holding one of its sizes, a checked PIN and a recently viewed product,
    after another guest cached the page: what a whole render would show her, nothing less."""
    app, conn, made = cached_app
    product = await committed_product(conn, made, variants=[("S", "Teal", 3), ("M", "Teal", 1)])
    other = await committed_product(conn, made, stock=3)

    async def her(client):
        await page_html(client, other["url"])
        await page_html(client, product["url"] + "?pin=560001")
        await post(client, "/bag/add", form={"variant_id": str(product["variants"][1]["id"]), "quantity": "1"})

    cached, whole = await _cached_and_whole(app, product["url"], visit_as=her)
    assert cached == whole
    assert "1 in bag" in cached and other["name"] in cached


async def test_shoppers_staff_and_guests_each_see_their_own_reviews_from_shared_html(cached_app):
    """Review (session 5): every pair of (who cached the page, who reads it) among a review's
    author, a shopper who voted on it, one who may review, a staff user and a guest: the page
    is what a whole render gives the reader (votes, the form, log-in link), never the cacher's."""
    app, conn, made = cached_app
    product = await committed_product(conn, made, variants=[("S", "Teal", 0), ("M", "Teal", 2)])
    other = await committed_product(conn, made, stock=2)
    look = await make_look(conn, [product, other])
    author, voter, buyer = await make_user(conn), await make_user(conn), await make_user(conn)
    staff = await make_user(conn, is_staff=True)
    users = [author, voter, buyer, staff]
    try:
        review_id = await make_review(conn, author, product)
        await make_delivered_order(conn, buyer, product)
        await execute(conn, "INSERT INTO review_votes (review_id, user_id) VALUES (%s, %s)", (review_id, voter["id"]))
        for cacher in (*users, None):
            for reader in (*users, None):
                if cacher is reader:
                    continue
                cached, whole = await _cached_and_whole(
                    app, product["url"] + "?x=1&y=2", warm_as=_signed_in(cacher), visit_as=_signed_in(reader)
                )
                assert cached == whole
                assert ("Thanks for your vote" in cached) == (reader is voter)
                assert ("Was this helpful? Yes" in cached) == (reader not in (voter, author))
                assert ("Log in</a> to review" in cached) == (reader is None)
    finally:
        await execute(conn, "DELETE FROM looks WHERE id = %s", (look["id"],))
        for user in users:
            await execute(conn, "DELETE FROM reviews WHERE user_id = %s", (user["id"],))
            await execute(
                conn,
                "DELETE oi FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.user_id = %s",
                (user["id"],),
            )
            await execute(conn, "DELETE FROM orders WHERE user_id = %s", (user["id"],))
            await execute(conn, "DELETE FROM users WHERE id = %s", (user["id"],))


async def test_a_product_page_cached_by_the_previous_release_is_not_served_as_this_ones(cached_app):
    """Review (session 5): during a rolling deploy (or a deploy without a migrate, which is what
    bumps the generations) workers of the release before salted marks wrote entries under the
    same key as {"html"} without a salt: this release read them and answered 500 (KeyError),
    and that release read this one's and sent pages with marks left in (no CSRF token). The
    key carries the entry's format, so neither reads the other's."""
    app, conn, made = cached_app
    product = await committed_product(conn, made, stock=2)
    client = app.test_client()
    await page_html(client, product["url"])
    await page_html(client, product["url"])  # the entry is stored
    shared = app.app.extensions["cache"]
    r = redis.from_url(REDIS_URL)
    try:
        keys = [key.decode() async for key in r.scan_iter(match=f"{shared.prefix}product-html:*:{product['slug']}:*")]
        assert keys
        for full_key in keys:
            header, _, body = (await r.get(full_key)).decode().partition("\n")
            stored = cache.loads(body)
            stored["value"] = {"html": stored["value"]["html"]}  # as the release before wrote it
            kind, _, rest = full_key[len(shared.prefix) :].partition(":")
            old_key = shared.prefix + kind + ":" + rest.split(":", 1)[1] if rest.startswith("v") else full_key
            await r.set(old_key, header + "\n" + cache.dumps(stored), ex=cache.ENTRY_SECONDS)
        response = await client.get(product["url"])
        assert response.status_code == 200
        assert "\ue000" not in await response.get_data(as_text=True)
    finally:
        await r.aclose()
