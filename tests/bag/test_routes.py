"""The bag over HTTP: htmx fragments, plain-form 303s, and every bad input refused cleanly."""

from __future__ import annotations

import pytest

from mooncart.bag.token import COOKIE_NAME
from mooncart.db import execute, fetch_all, fetch_val
from mooncart.demo import seed_demo
from tests.conftest import HTMX, csrf, post, soup, statements_run
from tests.factories import add, make_product


async def bag_quantity(conn, variant_id: int) -> int:
    return int(
        await fetch_val(conn, "SELECT COALESCE(SUM(quantity), 0) FROM cart_items WHERE variant_id = %s", (variant_id,))
    )


async def test_add_to_bag_over_htmx_returns_only_the_changed_regions(client, conn):
    product = await make_product(conn, stock=3)
    variant = product["variants"][0]
    response = await add(client, variant["id"], 2)
    assert response.status_code == 200
    html = soup(await response.get_data())
    assert html.find("html") is None and html.find("header") is None, "a fragment, not a page"
    partials = {p["hx-target"]: p for p in html.find_all("hx-partial")}
    assert partials["#bag-count"].find(id="bag-count").get_text(" ", strip=True).startswith("2")
    badge = partials[f"#stock-{variant['id']}"].find(id=f"stock-{variant['id']}")
    assert "Only 3 left" in badge.get_text() and "2 in bag" in badge.get_text()
    assert "lowstock" in badge["class"]
    assert "Added 2 to your bag" in html.get_text()
    assert response.headers["Vary"] == "HX-Request"
    assert COOKIE_NAME in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert await bag_quantity(conn, variant["id"]) == 2


async def test_adding_again_grows_the_same_line_and_the_header_count(client, conn):
    product = await make_product(conn, variants=[("S", "Teal", 9), ("M", "Teal", 9)])
    small, medium = product["variants"]
    await add(client, small["id"], 1)
    await add(client, medium["id"], 2)
    response = await add(client, small["id"], 3)
    html = soup(await response.get_data())
    assert html.find(id="bag-count").get_text(" ", strip=True).startswith("6")
    assert await bag_quantity(conn, small["id"]) == 4
    lines = await fetch_val(conn, "SELECT COUNT(*) FROM cart_items WHERE variant_id = %s", (small["id"],))
    assert lines == 1


async def test_add_to_bag_costs_at_most_three_statements(client, conn):
    product = await make_product(conn, stock=5)
    variant_id = product["variants"][0]["id"]
    await csrf(client)  # the page the shopper was on
    before = await statements_run(conn)
    await add(client, variant_id, 1)  # a new guest: look up, create the bag, add the line
    first = await statements_run(conn) - before - 1
    before = await statements_run(conn)
    await add(client, variant_id, 1)  # an existing bag: look up, add
    second = await statements_run(conn) - before - 1
    assert first <= 3 and second <= 3, (first, second)


async def test_add_reply_is_small_next_to_every_demo_product_page(app, conn):
    await seed_demo(conn, products=200, seed=11, quiet=True)  # the demo catalogue, as shipped
    rows = await fetch_all(
        conn,
        "SELECT p.slug, MIN(v.id) AS variant_id FROM products p "
        "JOIN variants v ON v.product_id = p.id AND v.stock > 0 GROUP BY p.id",
    )
    assert len(rows) >= 150
    worst = 0.0
    for row in rows:
        client = app.test_client()  # a new guest each time: the reply that also creates the bag
        page = await (await client.get(f"/products/{row['slug']}")).get_data()
        reply = await (await add(client, row["variant_id"], 1)).get_data()
        assert len(reply) < 2048
        worst = max(worst, len(reply) / len(page))
    assert worst < 0.05, f"largest add-to-bag reply is {worst:.1%} of its product page"


async def test_plain_form_add_redirects_to_the_product_page_with_a_message(client, conn):
    product = await make_product(conn, stock=4)
    response = await add(client, product["variants"][0]["id"], 1, htmx=False)
    assert response.status_code == 303
    assert response.headers["Location"] == product["url"]
    page = soup(await (await client.get(product["url"])).get_data())
    assert "Added 1 to your bag" in page.get_text()
    assert page.find(id="bag-count").get_text(" ", strip=True).startswith("1")


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("0", "at least 1"),
        ("-2", "at least 1"),
        ("abc", "whole number"),
        ("1.5", "whole number"),
        ("", "enter a quantity"),
        ("11", "at most 10"),
        ("٣", "whole number"),  # an Arabic-Indic three is a digit to Python, not to us
        ("99999999999999999999", "whole number"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
async def test_bad_quantities_are_refused_and_change_nothing(client, conn, quantity, message, htmx):
    product = await make_product(conn, stock=20)
    variant_id = product["variants"][0]["id"]
    response = await add(client, variant_id, quantity, htmx=htmx)
    assert response.status_code == 422
    html = soup(await response.get_data())
    error = html.find(class_="error")
    assert error is not None and message in error.get_text()
    if htmx:
        assert html.find("html") is None
    else:
        assert html.find("h1") is not None, "a plain request gets the whole product page back"
    assert await bag_quantity(conn, variant_id) == 0


@pytest.mark.parametrize("htmx", [True, False])
async def test_more_than_the_stock_is_refused_with_what_is_left(client, conn, htmx):
    product = await make_product(conn, stock=2)
    variant_id = product["variants"][0]["id"]
    response = await add(client, variant_id, 3, htmx=htmx)
    assert response.status_code == 422
    assert "Only 2 left" in soup(await response.get_data()).find(class_="error").get_text()
    await add(client, variant_id, 2, htmx=htmx)
    response = await add(client, variant_id, 1, htmx=htmx)
    assert response.status_code == 422
    assert "already in your bag" in soup(await response.get_data()).find(class_="error").get_text()
    assert await bag_quantity(conn, variant_id) == 2


async def test_sold_out_variant_cannot_be_added(client, conn):
    product = await make_product(conn, stock=0)
    response = await add(client, product["variants"][0]["id"], 1)
    assert response.status_code == 422
    assert "sold out" in (await response.get_data(as_text=True))


@pytest.mark.parametrize(
    "variant_id",
    ["999999999", "0", "abc", "", "1 OR 1=1", "1; DROP TABLE carts", "' OR '1'='1", "99999999999999999999"],
)
@pytest.mark.parametrize("htmx", [True, False])
async def test_unknown_or_hostile_variant_ids_are_refused(client, conn, variant_id, htmx):
    carts_before = await fetch_val(conn, "SELECT COUNT(*) FROM carts")
    response = await add(client, variant_id, 1, htmx=htmx)
    assert response.status_code == 422
    text = soup(await response.get_data()).get_text()
    assert "no longer in our shop" in text or "choose a size" in text
    assert await fetch_val(conn, "SELECT COUNT(*) FROM carts") == carts_before


async def test_a_deleted_variant_is_refused_and_leaves_every_bag(client, conn):
    product = await make_product(conn, variants=[("S", "Mint", 5), ("M", "Mint", 5)])
    gone, kept = product["variants"]
    await add(client, gone["id"], 1)
    await add(client, kept["id"], 1)
    await execute(conn, "DELETE FROM variants WHERE id = %s", (gone["id"],))
    response = await add(client, gone["id"], 1)
    assert response.status_code == 422
    bag = soup(await (await client.get("/bag")).get_data())
    assert bag.find(id=f"bag-line-{gone['id']}") is None
    assert bag.find(id=f"bag-line-{kept['id']}") is not None


@pytest.mark.parametrize("htmx", [True, False])
async def test_a_tampered_bag_cookie_is_refused_and_cleared(client, conn, htmx):
    product = await make_product(conn, stock=5)
    variant_id = product["variants"][0]["id"]
    first = await add(client, variant_id, 1)
    signed = first.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    _token, signature = signed.split(".", 1)
    forged = ("0" * 32) + "." + signature  # someone else's bag, with our signature pasted on
    client.set_cookie("localhost", COOKIE_NAME, forged)
    response = await add(client, variant_id, 1, htmx=htmx)
    assert response.status_code == 422
    assert "could not be verified" in soup(await response.get_data()).get_text()
    assert COOKIE_NAME + "=;" in response.headers["Set-Cookie"]
    assert await bag_quantity(conn, variant_id) == 1
    assert (
        await fetch_val(
            conn,
            "SELECT COUNT(*) FROM carts c JOIN cart_items ci ON ci.cart_id = c.id WHERE ci.variant_id = %s",
            (variant_id,),
        )
        == 1
    )


async def test_a_tampered_cookie_on_the_bag_page_shows_an_empty_bag_with_a_notice(client, conn):
    client.set_cookie("localhost", COOKIE_NAME, "not-a-real-token.xyz")
    response = await client.get("/bag")
    assert response.status_code == 200
    text = soup(await response.get_data()).get_text()
    assert "could not be verified" in text and "Your bag is empty" in text


async def bag_with(client, conn, *quantities):
    product = await make_product(conn, variants=[(s, "Coral", 8) for s in ("S", "M", "L")][: len(quantities)])
    for variant, quantity in zip(product["variants"], quantities):
        await add(client, variant["id"], quantity)
    return product["variants"]


async def test_bag_page_lists_lines_with_totals_in_rupees(client, conn):
    variants = await bag_with(client, conn, 2, 1)
    html = soup(await (await client.get("/bag")).get_data())
    line = html.find(id=f"bag-line-{variants[0]['id']}")
    assert "₹2,998" in line.find(class_="line-total").get_text()
    summary = html.find(id="bag-summary")
    assert "₹4,497" in summary.get_text() and "3" in summary.find("dd").get_text()


async def test_empty_bag_page_has_an_empty_state(client):
    response = await client.get("/bag")
    html = soup(await response.get_data())
    assert response.status_code == 200
    assert "Your bag is empty" in html.find(id="bag-summary").get_text()


async def test_changing_quantity_over_htmx_returns_line_summary_and_count(client, conn):
    variants = await bag_with(client, conn, 1, 1)
    response = await post(client, f"/bag/items/{variants[0]['id']}", form={"quantity": "3"}, headers=HTMX)
    assert response.status_code == 200
    html = soup(await response.get_data())
    assert html.find("html") is None
    line = html.find(id=f"bag-line-{variants[0]['id']}")
    assert line.find("input", attrs={"name": "quantity"})["value"] == "3"
    assert "₹4,497" in line.find(class_="line-total").get_text()
    targets = {p["hx-target"] for p in html.find_all("hx-partial")}
    assert targets == {"#bag-summary", "#bag-count"}
    assert html.find(id="bag-count").get_text(" ", strip=True).startswith("4")
    assert await bag_quantity(conn, variants[0]["id"]) == 3


async def test_changing_quantity_without_htmx_redirects_to_the_bag(client, conn):
    variants = await bag_with(client, conn, 1)
    response = await post(client, f"/bag/items/{variants[0]['id']}", form={"quantity": "2"})
    assert response.status_code == 303 and response.headers["Location"] == "/bag"
    assert await bag_quantity(conn, variants[0]["id"]) == 2


@pytest.mark.parametrize("quantity", ["0", "-1", "x", "9", "11", "<script>alert(1)</script>"])
@pytest.mark.parametrize("htmx", [True, False])
async def test_bad_line_quantities_are_refused_inline(client, conn, quantity, htmx):
    variants = await bag_with(client, conn, 2)  # stock is 8, so 9 is above stock
    variant_id = variants[0]["id"]
    response = await post(
        client, f"/bag/items/{variant_id}", form={"quantity": quantity}, headers=HTMX if htmx else None
    )
    assert response.status_code == 422
    body = await response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    line = soup(body).find(id=f"bag-line-{variant_id}")
    assert line is not None and line.find(class_="error") is not None
    assert await bag_quantity(conn, variant_id) == 2


async def test_removing_a_line_over_htmx_deletes_it_and_updates_summary(client, conn):
    variants = await bag_with(client, conn, 1, 2)
    response = await post(client, f"/bag/items/{variants[0]['id']}/remove", headers=HTMX)
    assert response.status_code == 200
    html = soup(await response.get_data())
    deletions = [p for p in html.find_all("hx-partial") if p.get("hx-swap") == "delete"]
    assert [p["hx-target"] for p in deletions] == [f"#bag-line-{variants[0]['id']}"]
    assert html.find(id="bag-count").get_text(" ", strip=True).startswith("2")
    assert await bag_quantity(conn, variants[0]["id"]) == 0


async def test_removing_the_last_line_shows_the_empty_state(client, conn):
    variants = await bag_with(client, conn, 1)
    response = await post(client, f"/bag/items/{variants[0]['id']}/remove", headers=HTMX)
    assert "Your bag is empty" in soup(await response.get_data()).find(id="bag-summary").get_text()


async def test_removing_without_htmx_redirects_to_the_bag(client, conn):
    variants = await bag_with(client, conn, 1)
    response = await post(client, f"/bag/items/{variants[0]['id']}/remove")
    assert response.status_code == 303
    assert await bag_quantity(conn, variants[0]["id"]) == 0


@pytest.mark.parametrize("htmx", [True, False])
async def test_removing_something_not_in_the_bag_is_a_clear_422(client, conn, htmx):
    await bag_with(client, conn, 1)
    response = await post(client, "/bag/items/4000000000/remove", headers=HTMX if htmx else None)
    assert response.status_code == 422
    assert "not in your bag" in soup(await response.get_data()).get_text()


@pytest.mark.parametrize("path", ["/bag/items/abc", "/bag/items/99999999999", "/bag/items/-1/remove"])
async def test_malformed_line_urls_are_404_pages_not_errors(client, path):
    response = await post(client, path, form={"quantity": "1"})
    assert response.status_code == 404
    assert "Page not found" in soup(await response.get_data()).get_text()


async def test_another_guests_bag_is_untouched(app, conn):
    product = await make_product(conn, stock=9)
    variant_id = product["variants"][0]["id"]
    alice, bob = app.test_client(), app.test_client()
    await add(alice, variant_id, 2)
    await add(bob, variant_id, 1)
    await post(bob, f"/bag/items/{variant_id}/remove", headers=HTMX)
    assert await bag_quantity(conn, variant_id) == 2
    alice_page = soup(await (await alice.get("/bag")).get_data())
    assert alice_page.find(id=f"bag-line-{variant_id}") is not None


async def test_get_requests_never_change_the_bag(client, conn):
    product = await make_product(conn, stock=9)
    response = await client.get(f"/bag/add?variant_id={product['variants'][0]['id']}&quantity=1")
    assert response.status_code == 405
    assert await bag_quantity(conn, product["variants"][0]["id"]) == 0
