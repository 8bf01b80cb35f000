"""The product page's "Check delivery" box over HTTP: without JavaScript (a GET to the product
page), with htmx (the answer region alone), a malformed PIN, an unserved one, the PIN kept for
the session, and what it costs in statements."""

from __future__ import annotations

from mooncart.catalog.product_page import product_page_context
from mooncart.delivery import queries
from mooncart.delivery.rules import Zone, delivery_date, short_date, today_in_india
from tests.conftest import HTMX, soup, statements_run
from tests.factories import make_product

ZONES = [
    Zone("5", "Rest of the South", 6, True, 20_000_00),
    Zone("560", "Bengaluru", 2, True, 50_000_00),
    Zone("737", "Sikkim", 8, False, None),
    Zone("744", "Andaman and Nicobar Islands", None, False, None),
]


def arrives(days: int) -> str:
    return short_date(delivery_date(today_in_india(), days))


async def answer_of(client, url: str, headers=None):
    response = await client.get(url, headers=headers)
    return response, soup(await response.get_data())


async def test_the_box_is_on_the_product_page_and_works_without_javascript(client, conn):
    await queries.replace_zones(conn, ZONES)
    product = await make_product(conn, price_paise=1_499_00)
    _, page = await answer_of(client, product["url"])
    form = page.find(id="delivery-check").find("form")
    assert form["method"] == "get" and form["action"] == product["url"] + "#delivery-check"
    assert form["hx-get"] == f"/products/{product['slug']}/delivery" and form["hx-target"] == "#delivery-estimate"
    assert page.find("label", attrs={"for": "delivery-pin"}) is not None
    assert "Enter your PIN code" in page.find(id="delivery-estimate").get_text()

    response, page = await answer_of(client, product["url"] + "?pin=560001")
    assert response.status_code == 200
    text = " ".join(page.find(id="delivery-estimate").get_text().split())
    assert text == f"Deliver to 560001: by {arrives(2)} · Cash on delivery available"
    assert page.find(id="delivery-pin")["value"] == "560001"


async def test_htmx_gets_the_answer_region_alone(client, conn):
    await queries.replace_zones(conn, ZONES)
    product = await make_product(conn, price_paise=1_499_00)
    response, region = await answer_of(client, f"/products/{product['slug']}/delivery?pin=570001", headers=HTMX)
    assert response.status_code == 200 and region.find("html") is None
    assert region.find(id="delivery-estimate") is not None
    assert f"Deliver to 570001: by {arrives(6)}" in region.get_text()
    assert response.headers["Vary"].count("HX-Request") == 1
    # without htmx the same address is a page of its own
    response, page = await answer_of(client, f"/products/{product['slug']}/delivery?pin=570001")
    assert response.status_code == 200 and page.find("h1") is not None and page.find(id="delivery-estimate")
    missing, _ = await answer_of(client, "/products/no-such-product/delivery?pin=560001", headers=HTMX)
    assert missing.status_code == 404


async def test_cash_on_delivery_limits_and_refusals_are_said(client, conn):
    await queries.replace_zones(conn, ZONES)
    cheap = await make_product(conn, price_paise=999_00)
    dear = await make_product(conn, price_paise=25_000_00)
    _, region = await answer_of(client, f"/products/{dear['slug']}/delivery?pin=570001", headers=HTMX)
    assert "Cash on delivery is not available for orders over ₹20,000" in region.get_text()
    _, region = await answer_of(client, f"/products/{dear['slug']}/delivery?pin=560001", headers=HTMX)
    assert "Cash on delivery available" in region.get_text()  # Bengaluru's limit is ₹50,000
    _, region = await answer_of(client, f"/products/{cheap['slug']}/delivery?pin=737101", headers=HTMX)
    assert (
        f"by {arrives(8)}" in region.get_text() and "Cash on delivery is not available for 737101" in region.get_text()
    )


async def test_an_unserved_pin_is_told_plainly(client, conn):
    await queries.replace_zones(conn, ZONES)
    product = await make_product(conn)
    for pin in ("744101", "110001"):  # a row that says so, and no row at all
        _, region = await answer_of(client, f"/products/{product['slug']}/delivery?pin={pin}", headers=HTMX)
        assert " ".join(region.find(id="delivery-estimate").get_text().split()) == f"We don't deliver to {pin} yet."


async def test_a_malformed_pin_gets_a_clear_message_and_is_not_remembered(client, conn):
    await queries.replace_zones(conn, ZONES)
    product = await make_product(conn)
    for typed in ("56001", "060001", "abcdef", ""):
        response, region = await answer_of(client, f"/products/{product['slug']}/delivery?pin={typed}", headers=HTMX)
        assert response.status_code == 422, typed
        message = region.find(id="delivery-error").get_text()
        assert "6-digit PIN code" in message or "6 digits" in message
    response, page = await answer_of(client, product["url"] + "?pin=5600x1")
    assert response.status_code == 200  # the product page itself is fine
    assert "6 digits" in page.find(id="delivery-error").get_text()
    assert page.find(id="delivery-pin")["value"] == "5600x1" and page.find(id="delivery-pin")["aria-invalid"] == "true"
    _, page = await answer_of(client, product["url"])
    assert "Enter your PIN code" in page.find(id="delivery-estimate").get_text()


async def test_the_checked_pin_is_shown_again_on_other_product_pages(client, conn):
    await queries.replace_zones(conn, ZONES)
    first, second = await make_product(conn), await make_product(conn)
    await client.get(f"/products/{first['slug']}/delivery?pin=560001", headers=HTMX)
    _, page = await answer_of(client, second["url"])
    assert page.find(id="delivery-pin")["value"] == "560001"
    assert "Deliver to 560001" in page.find(id="delivery-estimate").get_text()
    await client.get(first["url"] + "?pin=570001")  # the no-JavaScript form remembers too
    _, page = await answer_of(client, second["url"])
    assert "Deliver to 570001" in page.find(id="delivery-estimate").get_text()
    _, page = await answer_of(client.app.test_client(), second["url"])  # another visitor's session
    assert "Enter your PIN code" in page.find(id="delivery-estimate").get_text()


async def test_longest_prefix_in_the_database_uses_one_statement(conn):
    await queries.replace_zones(conn, ZONES + [Zone("5600", "Central Bengaluru", 1, True, None)])
    before = await statements_run(conn)
    zone = await queries.select_zone(conn, "560001")
    assert await statements_run(conn) - before - 1 == 1
    assert zone.zone == "Central Bengaluru" and zone.cod_limit_paise is None
    assert (await queries.select_zone(conn, "561001")).zone == "Rest of the South"
    assert await queries.select_zone(conn, "110001") is None


async def test_the_product_page_costs_one_statement_more_only_with_a_pin(app, conn):
    await queries.replace_zones(conn, ZONES)
    product = await make_product(conn)
    async with app.app.test_request_context(product["url"]):
        before = await statements_run(conn)
        context = await product_page_context(conn, product["slug"])
        # 5 before issue 13, plus "complete the look" (issue 14): size chart and fit note join in
        assert await statements_run(conn) - before - 1 == 6
        assert context["delivery"] is None
    async with app.app.test_request_context(product["url"] + "?pin=560001"):
        before = await statements_run(conn)
        context = await product_page_context(conn, product["slug"])
        assert await statements_run(conn) - before - 1 == 7  # one more: the PIN's zone
        assert context["delivery"].zone.zone == "Bengaluru"
