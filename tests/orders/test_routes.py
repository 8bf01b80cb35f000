"""A shopper's orders: list, detail, cancel with restock, and nobody else's orders."""

from __future__ import annotations

from mooncart.db import execute, fetch_all, fetch_val
from tests.conftest import log_in, post, soup
from tests.factories import make_user, shopper_with_bag


async def placed_order(app, conn, *quantities):
    client, user, variants, form = await shopper_with_bag(app, conn, *quantities)
    response = await post(client, "/checkout", form=form)
    number = response.headers["Location"].rsplit("/", 1)[1]
    return client, user, variants, number


async def test_orders_list_and_detail(app, conn):
    client, user, variants, number = await placed_order(app, conn, 2)
    listing = soup(await (await client.get("/orders")).get_data())
    assert listing.find("a", string=number) is not None
    detail = soup(await (await client.get(f"/orders/{number}")).get_data())
    assert "Indiranagar" in detail.get_text() and "Placed" in detail.get_text()


async def test_empty_order_list_has_an_empty_state(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    assert "haven't ordered anything yet" in soup(await (await client.get("/orders")).get_data()).get_text()


async def test_cancelling_restocks_with_ledger_rows_and_only_once(app, conn):
    client, user, variants, number = await placed_order(app, conn, 2, 1)
    response = await post(client, f"/orders/{number}/cancel")
    assert response.status_code == 303
    order_id = await fetch_val(conn, "SELECT id FROM orders WHERE number = %s", (number,))
    assert await fetch_val(conn, "SELECT status FROM orders WHERE id = %s", (order_id,)) == "cancelled"
    stocks = [await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (v["id"],)) for v in variants]
    assert stocks == [10, 10]
    ledger = await fetch_all(
        conn, "SELECT delta, reason FROM stock_movements WHERE order_id = %s ORDER BY id", (order_id,)
    )
    assert sorted((r["reason"], r["delta"]) for r in ledger) == [
        ("cancel", 1),
        ("cancel", 2),
        ("order", -2),
        ("order", -1),
    ]
    again = await post(client, f"/orders/{number}/cancel")
    page = soup(await (await client.get(again.headers["Location"])).get_data())
    assert "can no longer be cancelled" in page.get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM stock_movements WHERE order_id = %s", (order_id,)) == 4


async def test_a_shipped_order_cannot_be_cancelled(app, conn):
    client, user, variants, number = await placed_order(app, conn, 1)
    await execute(conn, "UPDATE orders SET status = 'shipped' WHERE number = %s", (number,))
    page = soup(await (await client.get(f"/orders/{number}")).get_data())
    assert page.find("button", string="Cancel this order") is None
    await post(client, f"/orders/{number}/cancel")
    assert await fetch_val(conn, "SELECT status FROM orders WHERE number = %s", (number,)) == "shipped"
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variants[0]["id"],)) == 9


async def test_another_shoppers_order_is_always_404(app, conn):
    _, owner, variants, number = await placed_order(app, conn, 1)
    other = await make_user(conn)
    client = app.test_client()
    await log_in(client, other)
    for response in (
        await client.get(f"/orders/{number}"),
        await post(client, f"/orders/{number}/cancel"),
        await client.get("/orders/MC000000-000000"),
        await client.get("/orders/' OR 1=1 --"),
    ):
        assert response.status_code == 404
    assert await fetch_val(conn, "SELECT status FROM orders WHERE number = %s", (number,)) == "placed"
    listing = soup(await (await client.get("/orders")).get_data())
    assert number not in listing.get_text()


async def test_order_pages_show_when_it_was_placed_in_india_time(app, conn):
    """An order placed at 00:30 in India on 29 Nov (19:00 UTC on the 28th) was placed on the 29th
    for the shopper: her list and the order's page say so, in India's time, not the server's UTC."""
    client, user, variants, number = await placed_order(app, conn, 1)
    await execute(conn, "UPDATE orders SET placed_at = '2026-11-28 19:00:00' WHERE number = %s", (number,))
    listing = soup(await (await client.get("/orders")).get_data())
    row = listing.find("a", string=number).find_parent("tr")
    assert "29 Nov 2026" in row.get_text()
    detail = soup(await (await client.get(f"/orders/{number}")).get_data()).get_text(" ")
    assert "29 Nov 2026, 00:30 IST" in detail
    assert "UTC" not in detail
