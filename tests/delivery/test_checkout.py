"""Checkout asks the same delivery rules: no order to a PIN we do not deliver to, and no cash on
delivery where it is not offered or above the zone's limit (422, the form again with the reason,
nothing written). The cash on delivery choice says why before she tries."""

from __future__ import annotations

from mooncart.db import fetch_val
from mooncart.delivery import queries
from mooncart.delivery.rules import Zone
from tests.conftest import HTMX, post, soup
from tests.factories import ADDRESS, shopper_with_bag, stock_of


async def nothing_written(conn, user, variants) -> bool:
    orders = await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],))
    return orders == 0 and [await stock_of(conn, v["id"]) for v in variants] == [10] * len(variants)


async def test_cash_on_delivery_above_the_zones_limit_is_refused(app, conn):
    await queries.replace_zones(conn, [Zone("560", "Bengaluru", 1, True, 1_000_00)])
    client, user, variants, form = await shopper_with_bag(app, conn, 2, 1)  # ₹1,497
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 422
    page = soup(await response.get_data())
    alert = page.find(id="checkout-form").find(attrs={"role": "alert"}).get_text()
    assert "Cash on delivery is not available for orders over ₹1,000. Please choose another way to pay." in alert
    assert page.find(id="cod-unavailable").get_text() == "Cash on delivery is not available for orders over ₹1,000."
    assert await nothing_written(conn, user, variants)


async def test_cash_on_delivery_where_it_is_not_offered_is_refused_over_htmx_too(app, conn):
    await queries.replace_zones(conn, [Zone("560", "Bengaluru", 1, False, None)])
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=form, headers=HTMX)
    assert response.status_code == 422
    fragment = soup(await response.get_data())
    assert fragment.find("html") is None and fragment.find(id="checkout-form") is not None
    assert "Cash on delivery is not available for 560038." in fragment.get_text()
    assert await nothing_written(conn, user, variants)


async def test_an_unserved_pin_is_refused_whatever_the_payment(app, conn):
    await queries.replace_zones(conn, [Zone("5", "South", 4, True, None), Zone("5600", "Closed", None, False, None)])
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 422
    assert "We don't deliver to 560038 yet." in soup(await response.get_data()).find(id="checkout-form").get_text()
    # a new address typed at checkout is checked the same way, and not saved
    new = dict(form, address_id="new", **dict(ADDRESS, pin_code="560001"))
    response = await post(client, "/checkout", form=new)
    assert response.status_code == 422
    assert "We don't deliver to 560001 yet." in soup(await response.get_data()).find(id="checkout-form").get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM addresses WHERE user_id = %s", (user["id"],)) == 1
    assert await nothing_written(conn, user, variants)


async def test_within_the_limit_the_order_is_placed_and_the_choice_has_no_note(app, conn):
    await queries.replace_zones(conn, [Zone("560", "Bengaluru", 1, True, 2_000_00)])
    client, user, variants, form = await shopper_with_bag(app, conn, 2, 1)  # ₹1,497
    page = soup(await (await client.get("/checkout")).get_data())
    assert page.find(id="cod-unavailable") is None
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 303
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 1
