"""A guest's bag joining the account's at log-in, on the real database: the queries it uses, and
the rules (capped at stock, sold-out lines left out, the guest bag gone, a bag adopted whole)."""

from __future__ import annotations

import pytest

from mooncart.bag import queries
from mooncart.bag.merge import claim_bag, user_cart
from mooncart.bag.token import new_token
from mooncart.db import execute, fetch_all, fetch_val
from tests.factories import make_product, make_user


async def bag(conn, *lines: tuple[int, int], user_id: int | None = None) -> queries.Cart:
    if user_id is None:
        token = new_token()
        cart_id = await queries.insert_cart(conn, token)
        cart = queries.Cart(cart_id, token)
    else:
        token, cart_id = await user_cart(conn, user_id)
        cart = queries.Cart(cart_id, token)
    for variant_id, quantity in lines:
        assert await queries.add_to_line(conn, cart.id, variant_id, quantity, 10)
    return cart


async def test_an_account_gets_one_bag_however_often_it_asks(conn):
    user = await make_user(conn, password_hash="x")
    first, second = await user_cart(conn, user["id"]), await user_cart(conn, user["id"])
    assert first == second
    assert await queries.select_user_cart(conn, user["id"]) == queries.Cart(first[1], first[0])
    assert await fetch_val(conn, "SELECT COUNT(*) FROM carts WHERE user_id = %s", (user["id"],)) == 1


async def test_a_guest_bag_is_found_only_while_no_account_owns_it(conn):
    user = await make_user(conn, password_hash="x")
    guest = await bag(conn)
    assert await queries.select_guest_cart_for_update(conn, guest.token) == guest.id
    await queries.update_cart_owner(conn, guest.id, user["id"])
    assert await queries.select_guest_cart_for_update(conn, guest.token) is None
    assert await queries.select_user_cart_for_update(conn, user["id"]) == guest


async def test_guest_lines_come_with_stock_and_what_the_account_bag_holds(conn):
    user = await make_user(conn, password_hash="x")
    product = await make_product(conn, name="Teal Palazzo", variants=[("M", "Teal", 3), ("L", "Teal", 5)])
    medium, large = (v["id"] for v in product["variants"])
    mine = await bag(conn, (medium, 2), user_id=user["id"])
    guest = await bag(conn, (large, 1), (medium, 2))
    assert await queries.select_cart_units(conn, guest.id) == 3
    assert await queries.select_guest_lines(conn, guest.id, mine.id) == [
        queries.GuestLine(medium, 2, 3, 2, "Teal Palazzo", "M"),
        queries.GuestLine(large, 1, 5, 0, "Teal Palazzo", "L"),
    ]


async def test_setting_line_quantities_adds_missing_lines_and_overwrites_the_rest(conn):
    product = await make_product(conn, variants=[("M", "Teal", 9), ("L", "Teal", 9)])
    medium, large = (v["id"] for v in product["variants"])
    cart = await bag(conn, (medium, 2))
    await queries.upsert_line_quantities(conn, cart.id, {medium: 5, large: 1})
    assert await queries.select_cart_units(conn, cart.id) == 6
    await queries.delete_cart(conn, cart.id)
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_items WHERE cart_id = %s", (cart.id,)) == 0


async def test_merging_caps_at_stock_leaves_sold_out_lines_out_and_removes_the_guest_bag(conn):
    user = await make_user(conn, password_hash="x")
    product = await make_product(
        conn, name="Teal Palazzo", variants=[("M", "Teal", 3), ("L", "Teal", 5), ("XL", "Teal", 1)]
    )
    medium, large, extra_large = (v["id"] for v in product["variants"])
    mine = await bag(conn, (medium, 2), user_id=user["id"])
    guest = await bag(conn, (medium, 2), (large, 1), (extra_large, 1))
    await execute(conn, "UPDATE variants SET stock = 0 WHERE id = %s", (extra_large,))  # sold out meanwhile
    token, notes = await claim_bag(conn, guest.token, user["id"])
    assert token == mine.token
    assert notes == [
        "We added 2 items from before you logged in to your bag.",
        "Teal Palazzo (M): only 3 can be in your bag, so it has 3.",
        "Teal Palazzo (XL) has sold out, so we left it out.",
    ]
    rows = await fetch_all(
        conn, "SELECT variant_id, quantity FROM cart_items WHERE cart_id = %s ORDER BY variant_id", (mine.id,)
    )
    assert [(r["variant_id"], r["quantity"]) for r in rows] == [(medium, 3), (large, 1)]
    assert await fetch_val(conn, "SELECT COUNT(*) FROM carts WHERE id = %s", (guest.id,)) == 0


async def test_a_shopper_without_a_bag_adopts_the_guest_bag_whole(conn):
    user = await make_user(conn, password_hash="x")
    product = await make_product(conn, variants=[("M", "Teal", 3)])
    guest = await bag(conn, (product["variants"][0]["id"], 1))
    assert await claim_bag(conn, guest.token, user["id"]) == (
        guest.token,
        ["Your bag of 1 item is now saved to your account."],
    )
    assert await queries.select_user_cart(conn, user["id"]) == guest


@pytest.mark.parametrize("guest_token", [None, "no-such-bag"])
async def test_without_a_guest_bag_the_account_keeps_its_own(conn, guest_token):
    user = await make_user(conn, password_hash="x")
    assert await claim_bag(conn, guest_token, user["id"]) == (None, [])
    token, _ = await user_cart(conn, user["id"])
    assert await claim_bag(conn, guest_token, user["id"]) == (token, [])
