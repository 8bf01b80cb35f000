"""The price the shopper confirmed is the price charged: the checkout form carries a signed
record of what the page showed, and when a price, a quantity, a line or the voucher changed
since, nothing is placed and the page says what changed, with the new total (422, as a fragment
for htmx and as a page without it)."""

from __future__ import annotations

import pytest

from mooncart.db import execute, fetch_val
from tests.conftest import HTMX, post, soup
from tests.factories import make_product, make_voucher, shopper_with_bag


def changes_in(body) -> list[str]:
    page = soup(body)
    return [" ".join(li.get_text().split()) for li in page.select("#checkout-changes li")]


async def orders_of(conn, user) -> int:
    return await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],))


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
async def test_a_price_edited_by_staff_after_the_page_was_shown_places_nothing_and_says_so(app, conn, htmx):
    client, user, variants, form = await shopper_with_bag(app, conn, 2, price_paise=49_900)
    # staff raise the price (and the MRP with it: a price may not be above its MRP)
    await execute(
        conn, "UPDATE variants SET mrp_paise = 54900, price_paise = 54900 WHERE id = %s", (variants[0]["id"],)
    )
    response = await post(client, "/checkout", form=form, headers=HTMX if htmx else None)
    assert response.status_code == 422
    body = await response.get_data()
    page = soup(body)
    assert (page.find("html") is None) == htmx, "a fragment for htmx, a whole page without"
    assert page.find("form", id="checkout-form") is not None
    assert "Your bag changed after this page was shown" in page.get_text()
    changes = changes_in(body)
    assert changes[0].startswith("Test Chikankari Kurti") and changes[0].endswith(
        "(Mustard, S) now costs ₹549 each (it was ₹499)."
    )
    assert changes[1:] == ["Delivery is now free (it was ₹79).", "The new total is ₹1,098 (it was ₹1,077)."]
    assert await orders_of(conn, user) == 0
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variants[0]["id"],)) == 10
    # the page now shows the new price; placing from it places the order at that price
    form["confirmation"] = page.find("input", attrs={"name": "confirmation"})["value"]
    placed = await post(client, "/checkout", form=form)
    assert placed.status_code == 303
    assert await fetch_val(conn, "SELECT subtotal_paise FROM orders WHERE user_id = %s", (user["id"],)) == 109_800


async def test_a_bag_changed_in_another_tab_lists_every_change(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 2, 1, 1)
    other = await make_product(conn, name="Block Print Dupatta", price_paise=39_900, stock=5)
    # in the other tab: one more of the first line, the second removed, a dupatta added
    assert (await post(client, f"/bag/items/{variants[0]['id']}", form={"quantity": "3"})).status_code == 303
    assert (await post(client, f"/bag/items/{variants[1]['id']}/remove")).status_code == 303
    assert (
        await post(client, "/bag/add", form={"variant_id": str(other["variants"][0]["id"]), "quantity": "1"})
    ).status_code == 303
    response = await post(client, "/checkout", form=form, headers=HTMX)
    assert response.status_code == 422
    changes = changes_in(await response.get_data())
    assert changes[0].endswith("(Mustard, S): you now have 3 in your bag (it was 2).")
    assert changes[1] == "Block Print Dupatta (Rani Pink, M) was added to your bag: 1 × ₹399."
    assert changes[2].endswith("(Mustard, M) is no longer in your bag.")
    assert changes[-1] == "The new total is ₹2,395 (it was ₹1,996)."
    assert await orders_of(conn, user) == 0


async def test_a_voucher_taken_off_in_another_tab_is_a_change(app, conn):
    await make_voucher(conn, "TAB100", kind="flat", amount=10_000)
    client, user, variants, form = await shopper_with_bag(app, conn, 3)
    await post(client, "/checkout/voucher", form={"code": "TAB100"})
    page = soup(await (await client.get("/checkout")).get_data())
    form["confirmation"] = page.find("input", attrs={"name": "confirmation"})["value"]
    await post(client, "/bag/voucher/remove")
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 422
    assert changes_in(await response.get_data()) == [
        "The voucher TAB100 is no longer on your bag (it took ₹100 off).",
        "The new total is ₹1,497 (it was ₹1,397).",
    ]
    assert await orders_of(conn, user) == 0


async def test_a_change_that_moves_delivery_says_so(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 2, price_paise=49_900)  # ₹998: ₹79 delivery
    await execute(
        conn, "UPDATE variants SET mrp_paise = 50000, price_paise = 50000 WHERE id = %s", (variants[0]["id"],)
    )
    response = await post(client, "/checkout", form=form)
    assert changes_in(await response.get_data())[1:] == [
        "Delivery is now free (it was ₹79).",
        "The new total is ₹1,000 (it was ₹1,077).",
    ]


@pytest.mark.parametrize("confirmation", [None, "", "not-signed", "eyJsIjpbXX0.forged-signature"])
async def test_a_missing_or_tampered_record_is_an_out_of_date_page(app, conn, confirmation):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    if confirmation is None:
        form.pop("confirmation")
    else:
        form["confirmation"] = confirmation
    response = await post(client, "/checkout", form=form)
    assert (
        response.status_code == 422
        and "This checkout page is out of date" in soup(await response.get_data()).get_text()
    )
    assert await orders_of(conn, user) == 0


async def test_a_record_signed_for_another_bag_cannot_lower_the_price(app, conn):
    """The record is signed, but a genuine record from a cheaper bag must not place this bag
    at that bag's price: it differs from what the order reads, so nothing is placed."""
    client, user, variants, form = await shopper_with_bag(app, conn, 1, price_paise=99_900)
    cheap_client, _, _, cheap_form = await shopper_with_bag(app, conn, 1, price_paise=100)
    form["confirmation"] = cheap_form["confirmation"]
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 422 and await orders_of(conn, user) == 0
