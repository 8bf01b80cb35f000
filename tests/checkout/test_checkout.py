"""Checkout over HTTP: the happy path, every refusal, idempotency, payments and a fault."""

from __future__ import annotations

import pytest

from mooncart.accounts.queries import insert_address
from mooncart.checkout import placement
from mooncart.db import execute, fetch_all, fetch_one, fetch_val
from mooncart.payments.providers import APPROVE, DECLINE, TIMEOUT, TestCardGateway
from tests.conftest import HTMX, log_in, post, soup, statements_run
from tests.factories import ADDRESS, CARD, make_user, shopper_with_bag, stock_of


async def test_placing_an_order_takes_stock_writes_the_ledger_and_empties_the_bag(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 2, 1)
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 303
    number = response.headers["Location"].rsplit("/", 1)[1]
    order = await fetch_one(
        conn,
        "SELECT id, status, payment_status, subtotal_paise, shipping_paise, gst_paise, "
        "ship_pin_code FROM orders WHERE number = %s AND user_id = %s",
        (number, user["id"]),
    )
    assert (order["status"], order["payment_status"]) == ("placed", "pending")
    assert order["subtotal_paise"] == 3 * 49900 and order["shipping_paise"] == 0  # ₹1,497 ships free
    assert order["gst_paise"] == 3 * round(49900 * 5 / 105) and order["ship_pin_code"] == "560038"
    assert [await stock_of(conn, v["id"]) for v in variants] == [8, 9]
    ledger = await fetch_all(
        conn,
        "SELECT variant_id, delta, stock_after, reason FROM stock_movements WHERE order_id = %s ORDER BY variant_id",
        (order["id"],),
    )
    assert [(r["delta"], r["stock_after"], r["reason"]) for r in ledger] == [(-2, 8, "order"), (-1, 9, "order")]
    items = await fetch_all(
        conn, "SELECT product_name, unit_price_paise, quantity FROM order_items WHERE order_id = %s", (order["id"],)
    )
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
    # number of lines) and the flash; since issue 14 also the hold turned into the sale (one
    # DELETE) and the confirmation e-mail queued (one INSERT ... SELECT), and since issue 13 the
    # delivery check of the address's PIN (one look-up); printed for the closing note
    print(f"placing a 3-line order over HTTP took {used} SQL statements")
    assert used <= 18


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
    assert (
        await fetch_val(conn, "SELECT COUNT(*) FROM stock_movements WHERE variant_id = %s", (variants[1]["id"],)) == 0
    )
    bag = soup(await (await client.get("/bag")).get_data())
    assert bag.find(id="bag-count").get_text() == "4", "the bag is kept"


async def test_the_same_form_sent_twice_places_one_order(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    first = await post(client, "/checkout", form=form)
    second = await post(client, "/checkout", form=form)
    assert first.headers["Location"] == second.headers["Location"]
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 1
    assert await stock_of(conn, variants[0]["id"]) == 9


async def test_place_order_in_a_second_tab_after_the_first_placed_it_says_where_the_order_is(app, conn):
    """Two checkout pages of one bag (two tabs): the first places the order; the second, sent
    after, places nothing and says so, naming what left the bag and pointing to her orders (it
    said only "Your bag is empty, so there is nothing to order", and she could not tell whether
    her order had gone through)."""
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    second_tab = soup(await (await client.get("/checkout")).get_data())
    second_form = dict(
        form,
        idempotency_key=second_tab.find("input", attrs={"name": "idempotency_key"})["value"],
        confirmation=second_tab.find("input", attrs={"name": "confirmation"})["value"],
    )
    assert (await post(client, "/checkout", form=form)).status_code == 303
    response = await post(client, "/checkout", form=second_form)
    assert response.status_code == 422
    page = soup(await response.get_data())
    alert = page.find(role="alert").get_text(" ")
    assert "nothing was ordered from this page" in alert and "another tab" in alert
    assert "is no longer in your bag" in page.find(id="checkout-changes").get_text()
    assert page.select_one("#checkout-form a[href='/orders']") is not None
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 1
    assert await stock_of(conn, variants[0]["id"]) == 9


async def test_a_product_deleted_by_staff_while_she_checks_out_is_named_as_gone(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    await execute(
        conn, "DELETE FROM products WHERE id = (SELECT product_id FROM variants WHERE id = %s)", (variants[0]["id"],)
    )
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 422
    changes = soup(await response.get_data()).find(id="checkout-changes").get_text(" ")
    assert "An item that has left the shop is no longer in your bag" in changes
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 0


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
    assert (
        await fetch_val(conn, "SELECT COUNT(*) FROM addresses WHERE user_id = %s AND city = 'Jaipur'", (user["id"],))
        == 1
    )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"address_id": "999999999"}, "could not find that address in your account"),
        ({"address_id": ""}, "choose a delivery address"),
        ({"address_id": "one"}, "choose a delivery address"),
        ({"address_id": "-1"}, "choose a delivery address"),
        ({"address_id": "１２"}, "choose a delivery address"),
        ({"address_id": "99999999999999999999"}, "choose a delivery address"),
        ({"address_id": "NEW"}, "choose a delivery address"),
        ({"payment_method": ""}, "how you would like to pay"),
        ({"payment_method": "bitcoin"}, "how you would like to pay"),
        ({"idempotency_key": "x' OR 1=1"}, "out of date"),
        ({"payment_method": "card", "card_number": "4111 1111 1111 1112", **CARD}, "check the card number"),
        ({"payment_method": "card", "card_number": APPROVE, "card_expiry": "01/20", "card_cvv": "123"}, "expired"),
        ({"payment_method": "card", "card_number": APPROVE, "card_expiry": "12/39", "card_cvv": "1"}, "security code"),
    ],
)
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
    assert await stock_of(conn, variants[0]["id"]) == 10, "the reservation came back"
    assert soup(await (await client.get("/bag")).get_data()).find(id="bag-count").get_text() == "1", "so did the bag"
    released = await fetch_one(
        conn, "SELECT id, status, payment_status, idempotency_key FROM orders WHERE user_id = %s", (user["id"],)
    )
    assert (released["status"], released["payment_status"], released["idempotency_key"]) == (
        "cancelled",
        "failed",
        None,
    )
    ledger = await fetch_all(
        conn, "SELECT delta, reason FROM stock_movements WHERE order_id = %s ORDER BY id", (released["id"],)
    )
    assert [(r["delta"], r["reason"]) for r in ledger] == [(-1, "order"), (1, "release")]
    # the same checkout page, another card
    approved = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=APPROVE, **CARD))
    assert approved.status_code == 303
    order = await fetch_one(
        conn,
        "SELECT o.status, o.payment_status, o.payment_reference, p.status AS payment "
        "FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.user_id = %s "
        "AND o.id <> %s",
        (user["id"], released["id"]),
    )
    assert (order["status"], order["payment_status"], order["payment"]) == ("placed", "paid", "captured")
    assert order["payment_reference"].endswith("-1111")
    assert await stock_of(conn, variants[0]["id"]) == 9


async def test_a_bank_that_times_out_keeps_the_order_waiting_and_never_claims_she_was_not_charged(
    app, conn, monkeypatch
):
    app.app.config["PAYMENT_TIMEOUT_SECONDS"] = 0.2
    monkeypatch.setattr(TestCardGateway, "delay_seconds", 5.0)
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=TIMEOUT, **CARD))
    assert response.status_code == 303
    page = soup(await (await client.get(response.headers["Location"])).get_data())
    text = page.get_text()
    assert "waiting for your bank" in text and "not been charged" not in text
    assert page.find(id="payment-pending").find("button") is not None
    order = await fetch_one(conn, "SELECT id, status, payment_status FROM orders WHERE user_id = %s", (user["id"],))
    assert (order["status"], order["payment_status"]) == ("awaiting_payment", "pending")
    assert await stock_of(conn, variants[0]["id"]) == 9, "the piece is kept for her meanwhile"


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


# ---- which address: a saved one (the new-address fields are then ignored) or a new one ----------


def orders_of(conn, user):
    return fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],))


def addresses_of(conn, user):
    return fetch_val(conn, "SELECT COUNT(*) FROM addresses WHERE user_id = %s", (user["id"],))


async def test_the_checkout_page_chooses_her_newest_address_and_asks_nothing_of_the_hidden_fields(app, conn):
    client, user, _, form = await shopper_with_bag(app, conn, 1)
    newer = await insert_address(conn, user["id"], dict(ADDRESS, city="Mysuru", pin_code="570001"))
    page = soup(await (await client.get("/checkout")).get_data())
    checkout = page.find(id="checkout-form")
    assert checkout.has_attr("novalidate"), "hidden required fields would stop the browser from sending the order"
    checked = page.select("input[name=address_id][checked]")
    assert [radio["value"] for radio in checked] == [str(newer)]
    assert [r["value"] for r in page.select("input[name=address_id]")] == [str(newer), form["address_id"], "new"]
    new_fields = page.select(".address-choices .new-address input, .address-choices .new-address select")
    assert {f["name"] for f in new_fields} == {"full_name", "line1", "line2", "city", "state", "pin_code", "mobile"}


async def test_a_saved_address_ignores_whatever_the_hidden_new_address_fields_hold(app, conn):
    client, user, _, form = await shopper_with_bag(app, conn, 1)
    hidden = {"full_name": "", "line1": "x", "city": "", "state": "Atlantis", "pin_code": "1", "mobile": "call me"}
    response = await post(client, "/checkout", form=dict(form, **hidden))
    assert response.status_code == 303
    order = await fetch_one(
        conn, "SELECT ship_name, ship_city, ship_pin_code FROM orders WHERE user_id = %s", (user["id"],)
    )
    assert order == {"ship_name": "Asha Rao", "ship_city": "Bengaluru", "ship_pin_code": "560038"}
    assert await addresses_of(conn, user) == 1


async def test_the_second_of_two_saved_addresses_is_the_one_the_order_goes_to(app, conn):
    client, user, _, form = await shopper_with_bag(app, conn, 1)
    await insert_address(conn, user["id"], dict(ADDRESS, city="Hubballi", pin_code="580020"))
    page = soup(await (await client.get("/checkout")).get_data())
    second = page.select("input[name=address_id]")[1]["value"]
    assert second == form["address_id"]  # the older one, listed second
    assert (await post(client, "/checkout", form=dict(form, address_id=second))).status_code == 303
    assert await fetch_val(conn, "SELECT ship_city FROM orders WHERE user_id = %s", (user["id"],)) == "Bengaluru"


@pytest.mark.parametrize("headers", [None, HTMX], ids=["plain", "htmx"])
async def test_another_shoppers_address_is_refused_and_nothing_is_placed(app, conn, headers):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    other = await make_user(conn, name="Zoya Ali")
    theirs = await insert_address(
        conn, other["id"], dict(ADDRESS, full_name="Zoya Ali", city="Lucknow", state="Uttar Pradesh", pin_code="226001")
    )
    response = await post(client, "/checkout", form=dict(form, address_id=str(theirs)), headers=headers)
    assert response.status_code == 422
    page = soup(await response.get_data())
    assert (page.find("html") is None) == (headers is HTMX)
    assert "could not find that address in your account" in page.find(class_="error").get_text()
    assert "Lucknow" not in page.get_text() and "Zoya" not in page.get_text()
    assert [r["value"] for r in page.select("input[name=address_id][checked]")] == [form["address_id"]]
    assert page.select_one("input[name=payment_method][checked]")["value"] == "cod"
    assert await orders_of(conn, user) == 0 and await orders_of(conn, other) == 0
    assert await stock_of(conn, variants[0]["id"]) == 10
    assert await addresses_of(conn, user) == 1 and await addresses_of(conn, other) == 1
    assert soup(await (await client.get("/bag")).get_data()).find(id="bag-count").get_text() == "1"


@pytest.mark.parametrize("headers", [None, HTMX], ids=["plain", "htmx"])
async def test_a_new_address_with_a_field_left_empty_beside_saved_ones_keeps_what_she_typed(app, conn, headers):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    typed = dict(
        ADDRESS,
        full_name="Lakshmi Nair",
        line1="Padmam, Round North",
        city="",
        state="Kerala",
        pin_code="680 001",
        mobile="+91 94470 98765",
    )
    response = await post(client, "/checkout", form=dict(form, address_id="new", **typed), headers=headers)
    assert response.status_code == 422
    page = soup(await response.get_data())
    assert "Please check the delivery address." in page.find(class_="error").get_text()
    assert page.find(id="f-city-error").get_text() == "Please enter the town or city."
    assert page.find(id="f-city")["aria-invalid"] == "true"
    assert [r["value"] for r in page.select("input[name=address_id][checked]")] == ["new"]
    assert page.find(id="f-full_name")["value"] == "Lakshmi Nair"
    assert page.find(id="f-line1")["value"] == "Padmam, Round North"
    assert page.find(id="f-line2")["value"] == "Near the metro"
    assert page.select_one("#f-state option[selected]").get_text() == "Kerala"
    assert page.find(id="f-pin_code")["value"] == "680 001"  # as she typed them
    assert page.find(id="f-mobile")["value"] == "+91 94470 98765"
    assert page.find("input", attrs={"name": "idempotency_key"})["value"] == form["idempotency_key"]
    assert await orders_of(conn, user) == 0 and await addresses_of(conn, user) == 1
    assert await stock_of(conn, variants[0]["id"]) == 10

    fixed = await post(client, "/checkout", form=dict(form, address_id="new", **dict(typed, city="Thrissur")))
    assert fixed.status_code == 303
    assert await fetch_val(conn, "SELECT ship_city FROM orders WHERE user_id = %s", (user["id"],)) == "Thrissur"
    assert await addresses_of(conn, user) == 2


async def test_a_new_address_the_same_as_a_saved_one_is_not_saved_twice(app, conn):
    client, user, _, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=dict(form, address_id="new", **ADDRESS))
    assert response.status_code == 303
    assert await fetch_val(conn, "SELECT ship_line1 FROM orders WHERE user_id = %s", (user["id"],)) == ADDRESS["line1"]
    assert await addresses_of(conn, user) == 1


async def test_an_address_and_a_card_problem_are_told_together(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    response = await post(
        client,
        "/checkout",
        form=dict(
            form,
            address_id="new",
            **dict(ADDRESS, pin_code="12"),
            payment_method="card",
            card_number="4111 1111 1111 1112",
            **CARD,
        ),
    )
    assert response.status_code == 422
    page = soup(await response.get_data())
    notice = page.find(class_="error").get_text()
    assert "check the delivery address" in notice and "check the card number" in notice
    assert "6 digits" in page.find(id="f-pin_code-error").get_text()
    assert page.select_one("input[name=payment_method][checked]")["value"] == "card"
    assert await orders_of(conn, user) == 0 and await stock_of(conn, variants[0]["id"]) == 10


async def test_a_shopper_with_no_saved_address_must_fill_the_new_one(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    await execute(conn, "DELETE FROM addresses WHERE user_id = %s", (user["id"],))
    page = soup(await (await client.get("/checkout")).get_data())
    assert [r["value"] for r in page.select("input[name=address_id]")] == ["new"]
    assert page.select_one("input[name=address_id]").has_attr("checked")
    response = await post(client, "/checkout", form={k: v for k, v in form.items() if k != "address_id"})
    assert response.status_code == 422
    assert "check the delivery address" in soup(await response.get_data()).find(class_="error").get_text()
    assert await orders_of(conn, user) == 0 and await addresses_of(conn, user) == 0
