"""The wishlist's routes: the heart (htmx and plain POST), a guest's wish carried through the
log-in, another shopper's wishlist out of reach, the page and "Move to bag"."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from mooncart.db import execute, fetch_all, fetch_val
from tests.conftest import HTMX, log_in, post, soup, statements_run
from tests.factories import make_product, make_user


async def wished(conn, user: dict) -> list[int]:
    rows = await fetch_all(
        conn, "SELECT product_id FROM wishlist_items WHERE user_id = %s ORDER BY product_id", (user["id"],)
    )
    return [row["product_id"] for row in rows]


async def shopper(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    return client, user


def heart_of(html, product: dict):
    """The heart button of `product` on a page or in a reply."""
    for button in html.select("form.heart button.heart-button"):
        label = button["aria-label"]
        if label in (f"Add {product['name']} to wishlist", f"Remove {product['name']} from wishlist"):
            return button
    raise AssertionError(f"no heart for {product['name']}")


async def test_the_heart_fills_and_empties_in_place_over_htmx(app, conn):
    client, user = await shopper(app, conn)
    product = await make_product(conn, name="Rani Kurti")
    page = soup(await (await client.get(product["url"])).get_data())
    heart = heart_of(page, product)
    assert heart["aria-pressed"] == "false" and heart["aria-label"] == "Add Rani Kurti to wishlist"
    form = heart.find_parent("form")
    assert form["hx-post"] == form["action"] == f"/wishlist/items/{product['id']}"
    assert form.find("input", attrs={"name": "next"})["value"] == product["url"]

    response = await post(client, form["action"], form={"next": product["url"]}, headers=HTMX)
    assert response.status_code == 200
    reply = soup(await response.get_data())
    assert reply.find("html") is None and reply.find("body") is None  # the region alone, not a page
    heart = heart_of(reply, product)
    assert heart["aria-pressed"] == "true" and heart["aria-label"] == "Remove Rani Kurti from wishlist"
    assert heart.find_parent("form")["action"] == f"/wishlist/items/{product['id']}/remove"
    assert await wished(conn, user) == [product["id"]]

    page = soup(await (await client.get(product["url"])).get_data())
    assert heart_of(page, product)["aria-pressed"] == "true"

    response = await post(
        client, f"/wishlist/items/{product['id']}/remove", form={"next": product["url"]}, headers=HTMX
    )
    assert heart_of(soup(await response.get_data()), product)["aria-pressed"] == "false"
    assert await wished(conn, user) == []


async def test_the_heart_works_without_javascript_and_comes_back_to_the_page(app, conn):
    client, user = await shopper(app, conn)
    product = await make_product(conn, name="Indigo Anarkali")
    listing = f"/c/{product['category']['slug']}?sort=new"
    card = heart_of(soup(await (await client.get(listing)).get_data()), product).find_parent("form")
    assert card.find("input", attrs={"name": "next"})["value"] == listing

    response = await post(client, card["action"], form={"next": listing})
    assert response.status_code == 303 and response.headers["Location"] == listing
    assert await wished(conn, user) == [product["id"]]
    page = soup(await (await client.get(listing)).get_data())
    assert "Indigo Anarkali is in your wishlist." in page.get_text()
    assert heart_of(page, product)["aria-pressed"] == "true"

    response = await post(client, f"/wishlist/items/{product['id']}/remove", form={"next": listing})
    assert response.status_code == 303 and response.headers["Location"] == listing
    assert await wished(conn, user) == []


async def test_a_next_to_another_site_is_ignored(app, conn):
    client, _ = await shopper(app, conn)
    product = await make_product(conn)
    for bad in ("//evil.example/", "https://evil.example/", "/\t/evil.example", ""):
        response = await post(client, f"/wishlist/items/{product['id']}", form={"next": bad})
        assert response.status_code == 303 and response.headers["Location"] == product["url"], bad


async def test_adding_twice_keeps_one_wish(app, conn):
    client, user = await shopper(app, conn)
    product = await make_product(conn)
    for headers in (HTMX, None, HTMX):
        response = await post(client, f"/wishlist/items/{product['id']}", form={}, headers=headers)
        assert response.status_code in (200, 303)
    assert await wished(conn, user) == [product["id"]]
    # removing what is not there is no error either
    for _ in range(2):
        assert (await post(client, f"/wishlist/items/{product['id']}/remove", form={})).status_code == 303
    assert await wished(conn, user) == []


async def test_an_unknown_product_is_404_and_writes_nothing(app, conn):
    client, user = await shopper(app, conn)
    for path in ("/wishlist/items/4000000000", "/wishlist/items/4000000000/remove"):
        assert (await post(client, path, form={}, headers=HTMX)).status_code == 404
    assert await wished(conn, user) == []


async def test_a_heart_without_a_csrf_token_changes_nothing(app, conn):
    client, user = await shopper(app, conn)
    product = await make_product(conn)
    response = await client.post(f"/wishlist/items/{product['id']}", form={"next": "/"})
    assert response.status_code == 403
    response = await client.post(
        f"/wishlist/items/{product['id']}", form={"next": "/", "csrf_token": "forged"}, headers=HTMX
    )
    assert response.status_code == 403
    assert await wished(conn, user) == []


async def test_another_shoppers_wishlist_is_out_of_reach(app, conn):
    client_a, user_a = await shopper(app, conn)
    client_b, user_b = await shopper(app, conn)
    product = await make_product(conn, name="Asha Secret Saree", variants=[("M", "Rani Pink", 4)])
    await post(client_a, f"/wishlist/items/{product['id']}", form={})
    # B's page does not show A's wish; B's remove and move touch only B's own (empty) wishlist
    assert "Asha Secret Saree" not in (await (await client_b.get("/wishlist")).get_data(as_text=True))
    await post(client_b, f"/wishlist/items/{product['id']}/remove", form={})
    response = await post(
        client_b, f"/wishlist/items/{product['id']}/move", form={"variant_id": str(product["variants"][0]["id"])}
    )
    assert response.status_code == 422
    assert await wished(conn, user_a) == [product["id"]] and await wished(conn, user_b) == []
    assert await fetch_val(conn, "SELECT COUNT(*) FROM carts WHERE user_id = %s", (user_b["id"],)) == 0
    assert "Asha Secret Saree" in (await (await client_a.get("/wishlist")).get_data(as_text=True))


async def test_a_guest_logs_in_and_comes_back_with_the_product_wished(app, conn):
    user = await make_user(conn)
    product = await make_product(conn, name="Mustard Kurti")
    guest = app.test_client()
    response = await post(guest, f"/wishlist/items/{product['id']}", form={"next": product["url"]})
    assert response.status_code == 303
    login = response.headers["Location"]
    assert urlsplit(login).path == "/account/login" and parse_qs(urlsplit(login).query)["next"] == [product["url"]]
    assert await fetch_val(conn, "SELECT COUNT(*) FROM wishlist_items WHERE product_id = %s", (product["id"],)) == 0

    response = await post(guest, login, form={"email": user["email"], "password": user["password"]})
    assert response.status_code == 303 and response.headers["Location"] == product["url"]
    assert await wished(conn, user) == [product["id"]]
    page = soup(await (await guest.get(product["url"])).get_data())
    assert heart_of(page, product)["aria-pressed"] == "true"
    assert "saved the piece you chose to your wishlist" in page.get_text()
    # the wish was used up: a later log-in adds nothing again
    await execute(conn, "DELETE FROM wishlist_items WHERE user_id = %s", (user["id"],))
    await post(guest, "/account/logout", form={})
    guest._csrf = None
    await log_in(guest, user)
    assert await wished(conn, user) == []


async def test_a_guest_heart_over_htmx_redirects_the_whole_page_to_log_in(app, conn):
    product = await make_product(conn)
    guest = app.test_client()
    response = await post(guest, f"/wishlist/items/{product['id']}", form={"next": product["url"]}, headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/account/login?next=" + product["url"]
    user = await make_user(conn)
    await log_in(guest, user)
    assert await wished(conn, user) == [product["id"]]


async def test_a_pending_wish_expires(app, conn, monkeypatch):
    import time

    product = await make_product(conn)
    guest = app.test_client()
    await post(guest, f"/wishlist/items/{product['id']}", form={})
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    user = await make_user(conn)
    await log_in(guest, user)
    assert await wished(conn, user) == []


async def test_the_wishlist_page_lists_products_with_their_sizes(app, conn):
    client, _ = await shopper(app, conn)
    empty = soup(await (await client.get("/wishlist")).get_data())
    assert "Your wishlist is empty" in empty.find(id="wishlist").get_text()
    assert empty.find(id="wishlist").find("a", string="Start shopping")["href"] == "/"
    assert empty.select_one("[hx-sse\\:connect]") is None
    product = await make_product(conn, name="Lehenga Set", variants=[("S", "Rani Pink", 0), ("M", "Rani Pink", 3)])
    await post(client, f"/wishlist/items/{product['id']}", form={})
    page = soup(await (await client.get("/wishlist")).get_data())
    assert page.find("a", class_="wishlist-link")["href"] == "/wishlist"
    item = page.find(id=f"wish-{product['id']}")
    small, medium = (item.find("input", attrs={"value": str(v["id"])}) for v in product["variants"])
    assert small.has_attr("disabled") and not small.has_attr("checked")
    assert medium.has_attr("checked") and not medium.has_attr("disabled")
    assert (
        "Sold out" in small.find_parent("label").get_text() and "Only 3 left" in medium.find_parent("label").get_text()
    )
    assert item.find("button", string="Move to bag")
    assert heart_of(item, product)["aria-pressed"] == "true"
    assert page.select_one("[hx-sse\\:connect]")["hx-sse:connect"] == "/wishlist/live"


async def bag_lines(conn, user) -> dict[int, int]:
    rows = await fetch_all(
        conn,
        "SELECT ci.variant_id, ci.quantity FROM carts c JOIN cart_items ci ON ci.cart_id = c.id WHERE c.user_id = %s",
        (user["id"],),
    )
    return {row["variant_id"]: row["quantity"] for row in rows}


async def test_move_to_bag_adds_one_and_takes_the_wish_out(app, conn):
    client, user = await shopper(app, conn)
    product = await make_product(conn, name="Rani Kurti", variants=[("S", "Rani Pink", 5), ("M", "Rani Pink", 5)])
    small, medium = (v["id"] for v in product["variants"])
    await post(client, "/bag/add", form={"variant_id": str(medium), "quantity": "2"})
    await post(client, f"/wishlist/items/{product['id']}", form={})

    response = await post(
        client, f"/wishlist/items/{product['id']}/move", form={"variant_id": str(medium)}, headers=HTMX
    )
    assert response.status_code == 200
    reply = soup(await response.get_data())
    assert reply.find("body") is None
    assert "Your wishlist is empty" in reply.find(id="wishlist").get_text()
    assert reply.find("hx-partial", attrs={"hx-target": "#bag-count"}).get_text() == "3"
    assert (
        "Moved Rani Kurti to your bag." in reply.find("hx-partial", attrs={"hx-target": "#wishlist-status"}).get_text()
    )
    assert await bag_lines(conn, user) == {medium: 3}
    assert await wished(conn, user) == []

    # without JavaScript: a 303 to the wishlist, which says what moved
    await post(client, f"/wishlist/items/{product['id']}", form={})
    response = await post(client, f"/wishlist/items/{product['id']}/move", form={"variant_id": str(small)})
    assert response.status_code == 303 and response.headers["Location"] == "/wishlist"
    assert "Moved Rani Kurti to your bag." in (await (await client.get("/wishlist")).get_data(as_text=True))
    assert await bag_lines(conn, user) == {medium: 3, small: 1}


async def test_a_shopper_without_a_bag_cookie_moves_into_her_accounts_bag(app, conn):
    client, user = await shopper(app, conn)
    product = await make_product(conn, stock=4)
    await post(client, f"/wishlist/items/{product['id']}", form={})
    response = await post(
        client, f"/wishlist/items/{product['id']}/move", form={"variant_id": str(product["variants"][0]["id"])}
    )
    assert response.status_code == 303
    assert await bag_lines(conn, user) == {product["variants"][0]["id"]: 1}
    assert soup(await (await client.get("/bag")).get_data()).find(id="bag-count").get_text() == "1"


async def test_a_sold_out_size_is_refused_and_nothing_is_written(app, conn):
    client, user = await shopper(app, conn)
    product = await make_product(conn, name="Rani Kurti", variants=[("S", "Rani Pink", 0), ("M", "Rani Pink", 1)])
    small, medium = (v["id"] for v in product["variants"])
    await post(client, f"/wishlist/items/{product['id']}", form={})
    carts_before = await fetch_val(conn, "SELECT COUNT(*) FROM carts")

    response = await post(
        client, f"/wishlist/items/{product['id']}/move", form={"variant_id": str(small)}, headers=HTMX
    )
    assert response.status_code == 422
    item = soup(await response.get_data()).find(id=f"wish-{product['id']}")
    assert item.find(role="alert").get_text() == "Sorry, this one is sold out."
    response = await post(client, f"/wishlist/items/{product['id']}/move", form={"variant_id": str(small)})
    assert response.status_code == 422
    page = soup(await response.get_data())
    assert page.find(id=f"wish-{product['id']}").find(role="alert").get_text() == "Sorry, this one is sold out."
    # the account's bag made for the move was rolled back with it
    assert await fetch_val(conn, "SELECT COUNT(*) FROM carts") == carts_before
    assert await bag_lines(conn, user) == {} and await wished(conn, user) == [product["id"]]

    # the bag's own cap: one left and one already in the bag
    await post(client, "/bag/add", form={"variant_id": str(medium), "quantity": "1"})
    response = await post(client, f"/wishlist/items/{product['id']}/move", form={"variant_id": str(medium)})
    assert response.status_code == 422
    assert "Only 1 left and 1 already in your bag" in (await response.get_data(as_text=True))
    assert await bag_lines(conn, user) == {medium: 1} and await wished(conn, user) == [product["id"]]


async def test_bad_sizes_get_a_clear_message(app, conn):
    client, user = await shopper(app, conn)
    product = await make_product(conn, stock=3)
    other = await make_product(conn, stock=3)
    await post(client, f"/wishlist/items/{product['id']}", form={})
    cases = {
        "": "Please choose a size first.",
        "abc": "Sorry, that size is no longer in our shop.",
        "-1": "Sorry, that size is no longer in our shop.",
        "4000000000": "Sorry, that size is no longer in our shop.",
        str(other["variants"][0]["id"]): "Sorry, that size is no longer in our shop.",  # another product's size
    }
    for value, message in cases.items():
        for headers in (HTMX, None):
            response = await post(
                client, f"/wishlist/items/{product['id']}/move", form={"variant_id": value}, headers=headers
            )
            assert response.status_code == 422, value
            assert message in (await response.get_data(as_text=True)), value
    assert await bag_lines(conn, user) == {} and await wished(conn, user) == [product["id"]]


async def test_moving_a_product_that_is_no_longer_wished_undoes_the_bag_line(app, conn):
    client, user = await shopper(app, conn)
    product = await make_product(conn, stock=3)
    response = await post(
        client,
        f"/wishlist/items/{product['id']}/move",
        form={"variant_id": str(product["variants"][0]["id"])},
        headers=HTMX,
    )
    assert response.status_code == 422
    status = soup(await response.get_data()).find("hx-partial", attrs={"hx-target": "#wishlist-status"})
    assert status.get_text() == "That is not in your wishlist any more."
    assert await bag_lines(conn, user) == {}


async def test_wishlist_routes_need_a_log_in(app, conn):
    product = await make_product(conn)
    guest = app.test_client()
    response = await guest.get("/wishlist")
    assert response.status_code == 303 and response.headers["Location"] == "/account/login?next=/wishlist"
    response = await post(
        guest, f"/wishlist/items/{product['id']}/move", form={"variant_id": str(product["variants"][0]["id"])}
    )
    assert response.status_code == 303 and "/account/login" in response.headers["Location"]
    assert (await guest.get("/wishlist/live")).status_code == 204


async def test_the_listings_htmx_fragments_show_the_filled_hearts_too(app, conn):
    client, _ = await shopper(app, conn)
    product = await make_product(conn, name="Fragment Kurti")
    await post(client, f"/wishlist/items/{product['id']}", form={})
    response = await client.get(f"/c/{product['category']['slug']}?sort=new", headers=HTMX)
    fragment = soup(await response.get_data())
    assert fragment.find("body") is None
    assert heart_of(fragment, product)["aria-pressed"] == "true"
    guest = app.test_client()
    fragment = soup(await (await guest.get(f"/c/{product['category']['slug']}?sort=new", headers=HTMX)).get_data())
    assert heart_of(fragment, product)["aria-pressed"] == "false"


async def test_a_heart_costs_three_statements_and_add_to_bag_pays_nothing_for_hearts(app, conn):
    client, _ = await shopper(app, conn)
    product = await make_product(conn, stock=5)
    await post(client, "/bag/add", form={"variant_id": str(product["variants"][0]["id"])}, headers=HTMX)
    costs = {}
    for name, path, form in (
        ("heart", f"/wishlist/items/{product['id']}", {}),
        ("add to bag", "/bag/add", {"variant_id": str(product["variants"][0]["id"])}),
    ):
        before = await statements_run(conn)
        response = await post(client, path, form=form, headers=HTMX)
        assert response.status_code == 200
        costs[name] = await statements_run(conn) - before - 1
    # the session check, the product, the insert; add to bag as before the wishlist
    assert costs == {"heart": 3, "add to bag": 3}, costs
