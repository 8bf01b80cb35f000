"""A shopper adds a whole look to her bag from a piece's product page or the look's own page: every
piece in the sizes she chose, or none of them, with the reason naming the piece. Over htmx the
look's region comes back in place with the header's count; without JavaScript a 303, or the page
again (422) with the same message."""

from __future__ import annotations

from mooncart.bag.token import COOKIE_NAME
from mooncart.db import execute, fetch_all, fetch_val
from tests.conftest import HTMX, log_in, post, soup, statements_run
from tests.factories import add, make_look, make_product, make_user


async def outfit(conn, *, jutti_stock: int = 1, published: bool = True) -> dict:
    """A kurti (S and M), a dupatta (free size) and juttis (UK 5 sold out, UK 6 with `jutti_stock`), as a look."""
    kurti = await make_product(
        conn, name="Ivory Chikankari Kurti", price_paise=189900, variants=[("S", "Ivory", 4), ("M", "Ivory", 5)]
    )
    dupatta = await make_product(conn, name="Mulmul Dupatta", price_paise=69900, variants=[("Free size", "Rust", 3)])
    juttis = await make_product(
        conn, name="Juttis", price_paise=99900, variants=[("UK 5", "Gold", 0), ("UK 6", "Gold", jutti_stock)]
    )
    look = await make_look(conn, [kurti, dupatta, juttis], name="Festive kurti set", published=published)
    return {"look": look, "kurti": kurti, "dupatta": dupatta, "juttis": juttis}


def sizes(o: dict, kurti: int = 1, dupatta: int = 0, juttis: int = 1) -> dict:
    """The form's fields: one size per piece, by index into each product's variants."""
    return {
        f"piece-{o['kurti']['id']}": str(o["kurti"]["variants"][kurti]["id"]),
        f"piece-{o['dupatta']['id']}": str(o["dupatta"]["variants"][dupatta]["id"]),
        f"piece-{o['juttis']['id']}": str(o["juttis"]["variants"][juttis]["id"]),
    }


async def bag_lines(conn) -> dict[int, int]:
    """{variant id: quantity} of every bag line (each test runs in its own transaction)."""
    rows = await fetch_all(conn, "SELECT variant_id, quantity FROM cart_items")
    return {row["variant_id"]: row["quantity"] for row in rows}


async def add_look(client, o: dict, form: dict, *, htmx: bool = True, from_product: dict | None = None):
    if from_product is not None:
        form = dict(form, **{"from": from_product["slug"]})
    return await post(client, f"/look/{o['look']['slug']}/add", form=form, headers=HTMX if htmx else None)


async def test_the_product_page_of_each_piece_shows_the_look_with_pictures_prices_and_sizes(client, conn):
    o = await outfit(conn)
    for piece in ("kurti", "dupatta", "juttis"):
        page = soup(await (await client.get(o[piece]["url"])).get_data())
        region = page.select_one(f"#look-{o['look']['id']}")
        assert region is not None and region.h2.get_text() == "Complete the look"
        assert region.select_one(".look-name a")["href"] == o["look"]["url"]
        names = [li.select_one(".look-piece-name a").get_text() for li in region.select(".look-piece")]
        assert names == ["Ivory Chikankari Kurti", "Mulmul Dupatta", "Juttis"]
        assert [p.get_text() for p in region.select(".look-piece-price")] == ["₹1,899", "₹699", "₹999"]
        assert len(region.select(".look-piece img")) == 3
        assert region.select_one("input[name=from]")["value"] == o[piece]["slug"]
        assert "this-piece" in region.select(".look-piece")[("kurti", "dupatta", "juttis").index(piece)]["class"]
    juttis = region.select_one(f"select[name=piece-{o['juttis']['id']}]")
    options = {option.get_text(): option.has_attr("disabled") for option in juttis.select("option[value!='']")}
    assert options == {"UK 5 (sold out)": True, "UK 6": False}
    # the one size left to choose is chosen for her; the kurti's two are hers to pick
    assert juttis.select_one("option[selected]")["value"] == str(o["juttis"]["variants"][1]["id"])
    assert region.select_one(f"select[name=piece-{o['kurti']['id']}] option[selected]") is None
    assert region.select_one("button").get_text(strip=True) == "Add the look"


async def test_adding_the_look_over_htmx_adds_every_piece_and_updates_the_header_count(client, conn):
    o = await outfit(conn)
    await add(client, o["kurti"]["variants"][0]["id"])  # one S kurti already in the bag
    response = await add_look(client, o, sizes(o), from_product=o["kurti"])
    assert response.status_code == 200
    reply = soup(await response.get_data())
    assert reply.find("html") is None, "a fragment, not a whole page"
    assert "Added the look to your bag: 3 pieces" in reply.select_one(f"#look-{o['look']['id']}").get_text()
    partial = reply.find("hx-partial", attrs={"hx-target": "#bag-count"})
    assert partial.get_text(strip=True) == "4"
    badge = reply.find("hx-partial", attrs={"hx-target": f"#stock-{o['kurti']['variants'][1]['id']}"})
    assert "1 in bag" in badge.get_text()  # the kurti's own page shows its badge changed
    assert await bag_lines(conn) == {
        o["kurti"]["variants"][0]["id"]: 1,
        o["kurti"]["variants"][1]["id"]: 1,
        o["dupatta"]["variants"][0]["id"]: 1,
        o["juttis"]["variants"][1]["id"]: 1,
    }


async def test_adding_the_look_without_javascript_is_a_303_back_to_the_page_with_a_message(client, conn):
    o = await outfit(conn, jutti_stock=5)
    response = await add_look(client, o, sizes(o), htmx=False, from_product=o["dupatta"])
    assert response.status_code == 303 and response.headers["Location"] == o["dupatta"]["url"]
    page = soup(await (await client.get(o["dupatta"]["url"])).get_data())
    assert "Added the look to your bag: 3 pieces from Festive kurti set." in page.select_one("main").get_text()
    assert page.select_one("#bag-count").get_text() == "3"
    response = await add_look(client, o, sizes(o, kurti=0), htmx=False)  # from the look's own page
    assert response.status_code == 303 and response.headers["Location"] == o["look"]["url"]
    assert await bag_lines(conn) == {
        o["kurti"]["variants"][0]["id"]: 1,
        o["kurti"]["variants"][1]["id"]: 1,
        o["dupatta"]["variants"][0]["id"]: 2,
        o["juttis"]["variants"][1]["id"]: 2,
    }


async def test_a_short_piece_adds_nothing_and_names_the_piece_and_what_is_left(client, conn):
    o = await outfit(conn, jutti_stock=1)
    await add(client, o["juttis"]["variants"][1]["id"])  # her one pair of UK 6 is already in the bag
    before = await bag_lines(conn)
    response = await add_look(client, o, sizes(o), from_product=o["kurti"])
    assert response.status_code == 422
    region = soup(await response.get_data()).select_one(f"#look-{o['look']['id']}")
    message = region.select_one(".look-error").get_text(" ", strip=True)
    assert "Nothing was added to your bag." in message
    assert "Juttis in size UK 6: only 1 left and 1 already in your bag" in message
    field = region.select_one(f"select[name=piece-{o['juttis']['id']}]")
    assert field["aria-invalid"] == "true"
    # what she chose stays chosen
    assert region.select_one(f"select[name=piece-{o['kurti']['id']}] option[selected]")["value"] == str(
        o["kurti"]["variants"][1]["id"]
    )
    assert await bag_lines(conn) == before, "nothing was added: not the kurti, not the dupatta"
    assert soup(await response.get_data()).find("hx-partial") is None


async def test_a_piece_that_sold_out_since_the_page_opened_is_refused_on_the_page_without_javascript(client, conn):
    o = await outfit(conn, jutti_stock=2)
    await execute(conn, "UPDATE variants SET stock = 0 WHERE id = %s", (o["juttis"]["variants"][1]["id"],))
    response = await add_look(client, o, sizes(o), htmx=False, from_product=o["juttis"])
    assert response.status_code == 422
    page = soup(await response.get_data())
    assert page.select_one("h1").get_text() == "Juttis", "the product page it came from, again"
    assert "Juttis in size UK 6: sold out." in page.select_one(".look-error").get_text()
    assert await bag_lines(conn) == {}
    response = await add_look(client, o, sizes(o), htmx=False)  # from the look's own page
    assert response.status_code == 422
    page = soup(await response.get_data())
    assert page.select_one("h1").get_text() == "Festive kurti set"
    assert "Juttis in size UK 6: sold out." in page.select_one(".look-error").get_text()


async def test_two_short_pieces_are_both_named(client, conn):
    o = await outfit(conn)
    await execute(
        conn, "UPDATE variants SET stock = 0 WHERE product_id IN (%s, %s)", (o["kurti"]["id"], o["juttis"]["id"])
    )
    response = await add_look(client, o, sizes(o))
    problems = [li.get_text() for li in soup(await response.get_data()).select(".look-error li")]
    assert problems == ["Ivory Chikankari Kurti in size M: sold out.", "Juttis in size UK 6: sold out."]
    assert await bag_lines(conn) == {}


async def test_bad_input_is_refused_with_a_message_and_nothing_is_added(client, conn):
    o = await outfit(conn)
    other = await make_product(conn, name="Unrelated Saree")
    k, d, j = o["kurti"]["id"], o["dupatta"]["id"], o["juttis"]["id"]
    cases = {
        "missing size": (dict(sizes(o), **{f"piece-{k}": ""}), "Ivory Chikankari Kurti: please choose a size."),
        "missing field": (
            {f"piece-{d}": sizes(o)[f"piece-{d}"], f"piece-{j}": sizes(o)[f"piece-{j}"]},
            "Ivory Chikankari Kurti: please choose a size.",
        ),
        "unknown variant": (
            dict(sizes(o), **{f"piece-{d}": "4294967295"}),
            "Mulmul Dupatta: please choose one of the sizes shown.",
        ),
        "not a number": (
            dict(sizes(o), **{f"piece-{d}": "1e3"}),
            "Mulmul Dupatta: please choose one of the sizes shown.",
        ),
        "hostile": (
            dict(sizes(o), **{f"piece-{d}": "' OR '1'='1"}),
            "Mulmul Dupatta: please choose one of the sizes shown.",
        ),
        "another piece's size": (
            dict(sizes(o), **{f"piece-{d}": sizes(o)[f"piece-{k}"]}),
            "Mulmul Dupatta: please choose one of the sizes shown.",
        ),
        "a product not in the look's size": (
            dict(sizes(o), **{f"piece-{k}": str(other["variants"][0]["id"])}),
            "Ivory Chikankari Kurti: please choose one of the sizes shown.",
        ),
        "a product not in the look": (
            dict(sizes(o), **{f"piece-{other['id']}": str(other["variants"][0]["id"])}),
            "no longer part of this look",
        ),
        "a bad piece name": (dict(sizes(o), **{"piece-x": "1"}), "no longer part of this look"),
        "quantity tampering": (dict(sizes(o), quantity="5"), "A look adds one of each piece"),
        "negative quantity": (dict(sizes(o), quantity="-1"), "A look adds one of each piece"),
        "per-piece quantity": (dict(sizes(o), **{f"quantity-{k}": "3"}), "A look adds one of each piece"),
    }
    for name, (form, expected) in cases.items():
        for htmx in (True, False):
            response = await add_look(client, o, form, htmx=htmx)
            assert response.status_code == 422, name
            assert expected in soup(await response.get_data()).select_one(".look-error").get_text(" "), name
    # two sizes for one piece
    response = await client.post(
        f"/look/{o['look']['slug']}/add",
        form=[("csrf_token", client._csrf), *sizes(o).items(), (f"piece-{j}", str(o["juttis"]["variants"][0]["id"]))],
        headers=HTMX,
    )
    assert response.status_code == 422 and "Juttis: please choose one size." in (await response.get_data(as_text=True))
    # a quantity of one is what a look adds anyway
    assert (await add_look(client, o, dict(sizes(o), quantity="1"))).status_code == 200
    assert await bag_lines(conn) == {int(v): 1 for v in sizes(o).values()}


async def test_a_deleted_piece_leaves_the_look_and_a_form_naming_it_is_refused(client, conn):
    o = await outfit(conn)
    await execute(conn, "DELETE FROM products WHERE id = %s", (o["dupatta"]["id"],))
    region = soup(await (await client.get(o["kurti"]["url"])).get_data()).select_one(f"#look-{o['look']['id']}")
    assert [a.get_text() for a in region.select(".look-piece-name a")] == ["Ivory Chikankari Kurti", "Juttis"]
    # a page opened before the dupatta was deleted still names it
    response = await add_look(
        client, o, {**sizes(o), f"piece-{o['dupatta']['id']}": str(o["dupatta"]["variants"][0]["id"])}
    )
    assert response.status_code == 422
    assert "One of the pieces you chose is no longer part of this look" in (await response.get_data(as_text=True))
    assert await bag_lines(conn) == {}
    form = {key: value for key, value in sizes(o).items() if key != f"piece-{o['dupatta']['id']}"}
    assert (await add_look(client, o, form)).status_code == 200
    assert len(await bag_lines(conn)) == 2


async def test_a_look_left_with_one_piece_for_sale_is_hidden_everywhere(client, conn):
    o = await outfit(conn)
    await execute(conn, "DELETE FROM products WHERE id = %s", (o["dupatta"]["id"],))
    await execute(conn, "DELETE FROM variants WHERE product_id = %s", (o["juttis"]["id"],))  # no sizes: not for sale
    page = soup(await (await client.get(o["kurti"]["url"])).get_data())
    assert page.select_one(".look") is None
    assert (await client.get(o["look"]["url"])).status_code == 404
    response = await add_look(client, o, {f"piece-{o['kurti']['id']}": str(o["kurti"]["variants"][0]["id"])})
    assert response.status_code == 422 and "no longer in our shop" in (await response.get_data(as_text=True))
    assert await bag_lines(conn) == {}


async def test_an_unpublished_look_is_not_shown(client, conn):
    o = await outfit(conn, published=False)
    assert soup(await (await client.get(o["kurti"]["url"])).get_data()).select_one(".look") is None
    assert (await client.get(o["look"]["url"])).status_code == 404
    assert (await add_look(client, o, sizes(o), htmx=False)).status_code == 422
    assert await bag_lines(conn) == {}


async def test_the_look_page_shows_the_look_and_adds_it(client, conn):
    o = await outfit(conn)
    page = soup(await (await client.get(o["look"]["url"])).get_data())
    assert page.select_one("h1").get_text() == "Festive kurti set"
    assert page.select_one(".look-description").get_text() == "A kurti, a dupatta and juttis."
    assert page.select_one("input[name=from]") is None
    assert len(page.select(".look-piece")) == 3
    response = await client.get(o["look"]["url"].upper().replace("/LOOK/", "/look/"))
    assert response.status_code == 301 and response.headers["Location"] == o["look"]["url"]
    assert (await client.get("/look/no-such-look")).status_code == 404


async def test_a_guest_adds_the_look_to_a_new_guest_bag_and_a_shopper_to_her_own(app, conn):
    o = await outfit(conn, jutti_stock=5)
    # other tests' committed guest bags may be in the shared test database: count the new one
    guest_bags = await fetch_val(conn, "SELECT COUNT(*) FROM carts WHERE user_id IS NULL")
    guest = app.test_client()
    response = await add_look(guest, o, sizes(o))
    assert response.status_code == 200
    assert any("bag" in cookie for cookie in response.headers.getlist("Set-Cookie"))
    assert await fetch_val(conn, "SELECT COUNT(*) FROM carts WHERE user_id IS NULL") == guest_bags + 1
    assert soup(await (await guest.get("/bag")).get_data()).select_one("#bag-count").get_text() == "3"

    user = await make_user(conn)
    shopper = app.test_client()
    await log_in(shopper, user)
    assert (await add_look(shopper, o, sizes(o, kurti=0))).status_code == 200
    cart = await fetch_val(conn, "SELECT id FROM carts WHERE user_id = %s", (user["id"],))
    assert await fetch_val(conn, "SELECT SUM(quantity) FROM cart_items WHERE cart_id = %s", (cart,)) == 3


async def test_a_product_page_costs_the_same_statements_in_a_look_or_not(app, client, conn):
    o = await outfit(conn)
    lonely = await make_product(conn)
    costs = {}
    for name, product in (("lonely", lonely), ("in a look", o["kurti"])):
        client = app.test_client()  # a visitor each: a second product would show the first as recently viewed
        await client.get(product["url"])  # the first request of a client sets cookies up
        before = await statements_run(conn)
        response = await client.get(product["url"])
        costs[name] = await statements_run(conn) - before - 1
        assert response.status_code == 200
    assert soup(await (await client.get(o["kurti"]["url"])).get_data()).select_one(".look") is not None
    assert costs["lonely"] == costs["in a look"], costs
    print(f"\nproduct page (a visitor, no bag): {costs['in a look']} statements, the look's one included")


async def test_a_tampered_bag_cookie_adds_nothing_and_is_cleared(client, conn):
    o = await outfit(conn, jutti_stock=5)
    first = await add(client, o["kurti"]["variants"][0]["id"])
    signed = first.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    forged = "0" * 32 + "." + signed.split(".", 1)[1]  # someone else's bag, with our signature pasted on
    for htmx in (True, False):
        client.set_cookie("localhost", COOKIE_NAME, forged)  # each refusal clears it
        response = await add_look(client, o, sizes(o), htmx=htmx)
        assert response.status_code == 422
        assert "could not be verified" in soup(await response.get_data()).select_one(".look-error").get_text()
        assert COOKIE_NAME + "=;" in response.headers["Set-Cookie"]
    assert await bag_lines(conn) == {o["kurti"]["variants"][0]["id"]: 1}
