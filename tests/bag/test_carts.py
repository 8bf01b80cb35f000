"""Whose bag an add goes into: the cookie's, else the signed-in shopper's, else a new guest bag."""

from __future__ import annotations

from mooncart.bag.token import COOKIE_NAME
from mooncart.db import fetch_val
from tests.conftest import log_in, soup
from tests.factories import add, make_product, make_user


async def carts_holding(conn, variant_id: int) -> int:
    return int(await fetch_val(conn, "SELECT COUNT(*) FROM cart_items WHERE variant_id = %s", (variant_id,)))


async def test_a_guests_first_add_makes_a_bag_and_the_next_add_uses_it(client, conn):
    variant = (await make_product(conn, stock=5))["variants"][0]
    first = await add(client, variant["id"], 1)
    assert COOKIE_NAME in first.headers["Set-Cookie"]
    second = await add(client, variant["id"], 1)
    assert "Set-Cookie" not in second.headers or COOKIE_NAME not in second.headers["Set-Cookie"]
    assert await carts_holding(conn, variant["id"]) == 1


async def test_a_signed_in_shopper_on_a_new_browser_adds_to_the_accounts_bag(app, conn):
    user = await make_user(conn)
    variant = (await make_product(conn, stock=5))["variants"][0]
    phone, laptop = app.test_client(), app.test_client()
    await log_in(phone, user)
    await add(phone, variant["id"], 1)
    await log_in(laptop, user)  # log-in points this browser's bag cookie at the account's bag
    assert soup(await (await laptop.get("/bag")).get_data()).find(id="bag-count").get_text() == "1"
    laptop.delete_cookie("localhost", COOKIE_NAME)  # a browser that never had the bag cookie
    await add(laptop, variant["id"], 2)
    assert await carts_holding(conn, variant["id"]) == 1
    page = soup(await (await phone.get("/bag")).get_data())
    assert page.find(id="bag-count").get_text() == "3"
