"""Checkout's SQL on the real database: the bag read as the order will keep it, and emptied of
exactly the lines ordered."""

from __future__ import annotations

import secrets

import pytest

from mooncart.bag.merge import user_cart
from mooncart.bag.queries import add_to_line, insert_cart
from mooncart.bag.summary import BagLine
from mooncart.checkout import queries
from mooncart.db import fetch_all
from tests.factories import make_product, make_user


async def bag_with(conn, *lines: tuple[int, int]) -> int:
    cart_id = await insert_cart(conn, secrets.token_hex(16))
    for variant_id, quantity in lines:
        assert await add_to_line(conn, cart_id, variant_id, quantity, 10)
    return cart_id


async def lines_in(conn, cart_id: int) -> list[tuple[int, int]]:
    rows = await fetch_all(
        conn, "SELECT variant_id, quantity FROM cart_items WHERE cart_id = %s ORDER BY variant_id", (cart_id,)
    )
    return [(row["variant_id"], row["quantity"]) for row in rows]


async def test_a_bag_is_found_for_checkout_only_by_its_own_shopper(conn):
    owner, other = await make_user(conn, password_hash="x"), await make_user(conn, password_hash="x")
    token, cart_id = await user_cart(conn, owner["id"])
    assert await queries.select_shoppers_cart_id(conn, token, owner["id"]) == cart_id
    assert await queries.select_shoppers_cart_id(conn, token, other["id"]) is None
    assert await queries.select_shoppers_cart_id(conn, None, owner["id"]) is None
    guest = secrets.token_hex(16)
    await insert_cart(conn, guest)
    assert await queries.select_shoppers_cart_id(conn, guest, owner["id"]) is None


async def test_locking_the_bag_finds_it_and_a_missing_bag_is_none(conn):
    cart_id = await bag_with(conn)
    assert await queries.select_cart_for_update(conn, cart_id) == cart_id
    assert await queries.select_cart_for_update(conn, 4_000_000_000) is None


async def test_the_lines_for_an_order_carry_what_the_order_keeps_in_variant_order(conn):
    product = await make_product(
        conn, name="Mustard Anarkali", price_paise=129_900, variants=[("S", "Mustard", 5), ("M", "Mustard", 1)]
    )
    small, medium = product["variants"]
    cart_id = await bag_with(conn, (medium["id"], 1), (small["id"], 3))
    await bag_with(conn, (small["id"], 2))  # another shopper's bag is not read
    lines = await queries.select_lines_for_order(conn, cart_id)
    assert all(isinstance(line, BagLine) for line in lines)
    assert [(line.variant_id, line.quantity, line.stock, line.size) for line in lines] == [
        (small["id"], 3, 5, "S"),
        (medium["id"], 1, 1, "M"),
    ]
    first = lines[0]
    assert (first.product_name, first.colour, first.sku, first.price_paise, first.image_path) == (
        "Mustard Anarkali",
        "Mustard",
        small["sku"],
        129_900,
        None,
    )


async def test_an_empty_bag_has_no_lines_for_an_order(conn):
    assert await queries.select_lines_for_order(conn, await bag_with(conn)) == []


async def test_emptying_the_bag_removes_only_the_lines_ordered(conn):
    product = await make_product(conn, variants=[("S", "Mustard", 5), ("M", "Mustard", 5), ("L", "Mustard", 5)])
    small, medium, large = (v["id"] for v in product["variants"])
    cart_id = await bag_with(conn, (small, 1), (medium, 2), (large, 1))
    other = await bag_with(conn, (small, 4))
    assert await queries.delete_ordered_lines(conn, cart_id, [small]) == 1
    assert await queries.delete_ordered_lines(conn, cart_id, [medium, large, 4_000_000_000]) == 2
    assert await lines_in(conn, cart_id) == []
    assert await lines_in(conn, other) == [(small, 4)]


async def test_a_line_added_while_ordering_stays_in_the_bag(conn):
    product = await make_product(conn, variants=[("S", "Mustard", 5), ("M", "Mustard", 5)])
    small, medium = (v["id"] for v in product["variants"])
    cart_id = await bag_with(conn, (small, 1), (medium, 1))
    assert await queries.delete_ordered_lines(conn, cart_id, [small]) == 1
    assert await lines_in(conn, cart_id) == [(medium, 1)]


async def test_emptying_nothing_is_refused(conn):
    with pytest.raises(ValueError, match="at least one value"):
        await queries.delete_ordered_lines(conn, await bag_with(conn), [])
