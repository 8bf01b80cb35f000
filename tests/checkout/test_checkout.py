"""Checkout over HTTP: the happy path, every refusal, idempotency, payments and a fault."""

from __future__ import annotations

import pytest

from mooncart.checkout import placement
from mooncart.checkout.payments import APPROVE, DECLINE, TIMEOUT, TestCardGateway
from mooncart.db import execute, fetch_all, fetch_one, fetch_val
from tests.conftest import HTMX, log_in, post, soup, statements_run
from tests.factories import ADDRESS, make_address, make_product, make_user

CARD = {"card_expiry": "12/39", "card_cvv": "123"}


async def shopper_with_bag(app, conn, *quantities, stock=10, price_paise=49900):
    """A signed-in client whose bag holds one line per quantity, and a saved address."""
    product = await make_product(conn, price_paise=price_paise,
                                 variants=[(s, "Mustard", stock) for s in ("S", "M", "L", "XL")][:len(quantities)])
    user = await make_user(conn)
    address_id = await make_address(conn, user["id"])
    client = app.test_client()
    await log_in(client, user)
    for variant, quantity in zip(product["variants"], quantities):
        response = await post(client, "/bag/add", form={"variant_id": str(variant["id"]), "quantity": str(quantity)})
        assert response.status_code == 303
    checkout = soup(await (await client.get("/checkout")).get_data())
    key = checkout.find("input", attrs={"name": "idempotency_key"})["value"]
    return client, user, product["variants"], {"address_id": str(address_id), "payment_method": "cod",
                                               "idempotency_key": key}


async def stock_of(conn, variant_id):
    return await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,))


async def test_placing_an_order_takes_stock_writes_the_ledger_and_empties_the_bag(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 2, 1)
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 303
    number = response.headers["Location"].rsplit("/", 1)[1]
    order = await fetch_one(conn, "SELECT id, status, payment_status, subtotal_paise, shipping_paise, gst_paise, "
                                  "ship_pin_code FROM orders WHERE number = %s AND user_id = %s", (number, user["id"]))
    assert (order["status"], order["payment_status"]) == ("placed", "pending")
    assert order["subtotal_paise"] == 3 * 49900 and order["shipping_paise"] == 0  # ₹1,497 ships free
    assert order["gst_paise"] == 3 * round(49900 * 5 / 105) and order["ship_pin_code"] == "560038"
    assert [await stock_of(conn, v["id"]) for v in variants] == [8, 9]
    ledger = await fetch_all(conn, "SELECT variant_id, delta, stock_after, reason FROM stock_movements "
                                   "WHERE order_id = %s ORDER BY variant_id", (order["id"],))
    assert [(r["delta"], r["stock_after"], r["reason"]) for r in ledger] == [(-2, 8, "order"), (-1, 9, "order")]
    items = await fetch_all(conn, "SELECT product_name, unit_price_paise, quantity FROM order_items "
                                  "WHERE order_id = %s", (order["id"],))
    assert sum(i["unit_price_paise"] * i["quantity"] for i in items) == order["subtotal_paise"]
    page = soup(await (await client.get(response.headers["Location"])).get_data())
    assert f"Your order {number} is placed" in page.get_text() and "₹1,497" in page.get_text()
    assert page.find(id="bag-count").get_text() == "0"


async def test_a_small_order_pays_for_delivery(app, conn):
    client, user, _, form = await shopper_with_bag(app, conn, 1, price_paise=49900)
    await post(client, "/checkout", form=form)
    order = await fetch_one(conn, "SELECT subtotal_paise, shipping_paise FROM orders WHERE user_id = %s", (user["id"],))
    assert (order["subtotal_paise"], order["shipping_paise"]) == (49900, 7900)


async def test_placing_a_three_line_order_statement_count(app, conn, capsys):
    client, user, _, form = await shopper_with_bag(app, conn, 1, 1, 1)
    before = await statements_run(conn)
    response = await post(client, "/checkout", form=form)
    used = await statements_run(conn) - before - 1
    assert response.status_code == 303
    # session check, address, cart, then the order's own transaction (11 statements whatever the
    # number of lines) and the flash; printed for the closing note
    print(f"placing a 3-line order over HTTP took {used} SQL statements")
    assert used <= 16


async def test_short_lines_write_nothing_and_say_how_many_are_left(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 3, 1, stock=5)
    await execute(conn, "UPDATE variants SET stock = 1 WHERE id = %s", (variants[0]["id"],))  # others bought them
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 422
    html = soup(await response.get_data())
    assert "Only 1 left" in html.find(id=f"checkout-line-{variants[0]['id']}").get_text()
    assert "left" not in html.find(id=f"checkout-line-{variants[1]['id']}").get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 0
    assert await stock_of(conn, variants[1]["id"]) == 5
    assert await fetch_val(conn, "SELECT COUNT(*) FROM stock_movements WHERE variant_id = %s", (variants[1]["id"],)) == 0
    bag = soup(await (await client.get("/bag")).get_data())
    assert bag.find(id="bag-count").get_text() == "4", "the bag is kept"


async def test_the_same_form_sent_twice_places_one_order(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    first = await post(client, "/checkout", form=form)
    second = await post(client, "/checkout", form=form)
    assert first.headers["Location"] == second.headers["Location"]
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 1
    assert await stock_of(conn, variants[0]["id"]) == 9


async def test_htmx_checkout_redirects_with_hx_redirect_and_errors_swap_the_form(app, conn):
    client, user, _, form = await shopper_with_bag(app, conn, 1)
    bad = await post(client, "/checkout", form=dict(form, address_id="new", pin_code="1"), headers=HTMX)
    assert bad.status_code == 422
    html = soup(await bad.get_data())
    assert html.find("html") is None and html.find(id="checkout-form") is not None
    assert "6 digits" in html.find(id="f-pin_code-error").get_text()
    good = await post(client, "/checkout", form=form, headers=HTMX)
    assert good.status_code == 200 and good.headers["HX-Redirect"].startswith("/orders/MC")


async def test_a_new_address_at_checkout_is_used_and_saved(app, conn):
    client, user, _, form = await shopper_with_bag(app, conn, 1)
    new = dict(form, address_id="new", **dict(ADDRESS, city="Jaipur", state="Rajasthan", pin_code="302001"))
    assert (await post(client, "/checkout", form=new)).status_code == 303
    assert await fetch_val(conn, "SELECT ship_city FROM orders WHERE user_id = %s", (user["id"],)) == "Jaipur"
    assert await fetch_val(conn, "SELECT COUNT(*) FROM addresses WHERE user_id = %s AND city = 'Jaipur'",
                           (user["id"],)) == 1


@pytest.mark.parametrize("change, message", [
    ({"address_id": "999999999"}, "choose a delivery address"),
    ({"payment_method": "bitcoin"}, "how you would like to pay"),
    ({"idempotency_key": "x' OR 1=1"}, "out of date"),
    ({"payment_method": "card", "card_number": "4111 1111 1111 1112", **CARD}, "check the card number"),
    ({"payment_method": "card", "card_number": APPROVE, "card_expiry": "01/20", "card_cvv": "123"}, "expired"),
    ({"payment_method": "card", "card_number": APPROVE, "card_expiry": "12/39", "card_cvv": "1"}, "security code"),
])
async def test_bad_checkout_forms_are_refused_and_write_nothing(app, conn, change, message):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=dict(form, **change))
    assert response.status_code == 422
    assert message in soup(await response.get_data()).find(class_="error").get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 0
    assert await stock_of(conn, variants[0]["id"]) == 10


async def test_card_payments_approve_and_decline(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    declined = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=DECLINE, **CARD))
    assert declined.status_code == 422 and "declined" in soup(await declined.get_data()).get_text()
    assert await stock_of(conn, variants[0]["id"]) == 10
    approved = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=APPROVE, **CARD))
    assert approved.status_code == 303
    order = await fetch_one(conn, "SELECT payment_status, payment_reference FROM orders WHERE user_id = %s",
                            (user["id"],))
    assert order["payment_status"] == "paid" and order["payment_reference"].endswith("-1111")


async def test_a_bank_that_times_out_leaves_no_order(app, conn, monkeypatch):
    app.app.config["PAYMENT_TIMEOUT_SECONDS"] = 0.2
    monkeypatch.setattr(TestCardGateway, "delay_seconds", 5.0)
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=TIMEOUT, **CARD))
    assert response.status_code == 422 and "did not answer in time" in soup(await response.get_data()).get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 0
    assert await stock_of(conn, variants[0]["id"]) == 10


async def test_a_failure_in_the_middle_of_placing_an_order_leaves_no_trace(app, conn, monkeypatch):
    client, user, variants, form = await shopper_with_bag(app, conn, 2, 1)
    ledger_before = await fetch_val(conn, "SELECT COUNT(*) FROM stock_movements")

    async def database_dies(*args, **kwargs):
        raise RuntimeError("connection lost while writing the ledger")
    monkeypatch.setattr(placement, "move_stock", database_dies)
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 500
    text = soup(await response.get_data()).get_text()
    assert "Nothing was changed" in text and "Traceback" not in text
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 0
    assert await fetch_val(conn, "SELECT COUNT(*) FROM stock_movements") == ledger_before
    assert [await stock_of(conn, v["id"]) for v in variants] == [10, 10]
    assert soup(await (await client.get("/bag")).get_data()).find(id="bag-count").get_text() == "3"


async def test_checkout_with_an_empty_bag_goes_back_to_the_bag(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    response = await client.get("/checkout")
    assert response.status_code == 303 and response.headers["Location"] == "/bag"
