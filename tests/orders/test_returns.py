"""Returns and exchanges within 15 days of delivery: asked from the order page (plain form and
htmx), the exchange size reserved at once, staff approve and receive, stock back with a ledger
row, and the refund through the provider for just the returned pieces."""

from __future__ import annotations

import pytest

from mooncart.db import execute, fetch_all, fetch_one, fetch_val
from tests.conftest import HTMX, log_in, post, soup
from tests.factories import CARD, make_address, make_product, make_user

APPROVED = "4111111111111111"


async def delivered_order(app, conn, *, paid_by="card", days_ago=2, quantities=(2, 1)):
    """A shopper's delivered order of a kurti (2 x M) and another line, paid by card (the test card
    gateway) or cash; the kurti also comes in S and L."""
    product = await make_product(
        conn, price_paise=89900, variants=[("S", "Indigo", 5), ("M", "Indigo", 5), ("L", "Indigo", 5)]
    )
    other = await make_product(conn, price_paise=129900, variants=[("Free size", "Red", 5)])
    user = await make_user(conn)
    address_id = await make_address(conn, user["id"])
    client = app.test_client()
    await log_in(client, user)
    small, medium, large = product["variants"]
    for variant, quantity in zip([medium, other["variants"][0]], quantities):
        await post(client, "/bag/add", form={"variant_id": str(variant["id"]), "quantity": str(quantity)})
    checkout = soup(await (await client.get("/checkout")).get_data())
    key = checkout.find("input", attrs={"name": "idempotency_key"})["value"]
    confirmation = checkout.find("input", attrs={"name": "confirmation"})["value"]  # what the page showed
    form = {
        "address_id": str(address_id),
        "payment_method": paid_by,
        "idempotency_key": key,
        "confirmation": confirmation,
    }
    if paid_by == "card":
        form |= dict(card_number=APPROVED, **CARD)
    response = await post(client, "/checkout", form=form)
    number = response.headers["Location"].rsplit("/", 1)[1]
    order_id = await fetch_val(conn, "SELECT id FROM orders WHERE number = %s", (number,))
    await execute(
        conn,
        "UPDATE orders SET status = 'delivered', delivered_at = NOW(6) - INTERVAL %s DAY, "
        "payment_status = 'paid' WHERE id = %s",
        (days_ago, order_id),
    )
    lines = await fetch_all(conn, "SELECT id, variant_id FROM order_items WHERE order_id = %s ORDER BY id", (order_id,))
    return (
        client,
        user,
        number,
        order_id,
        {"small": small, "medium": medium, "large": large, "other": other["variants"][0]},
        lines,
    )


async def stock(conn, variant):
    return await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant["id"],))


async def staff_client(app, conn):
    staff = app.test_client()
    await log_in(staff, await make_user(conn, is_staff=True))
    return staff


@pytest.mark.parametrize("headers", [None, HTMX], ids=["plain", "htmx"])
async def test_the_shopper_returns_one_kurti_and_exchanges_the_other_for_a_size_up(app, conn, headers):
    client, user, number, order_id, v, lines = await delivered_order(app, conn)
    page = soup(await (await client.get(f"/orders/{number}")).get_data())
    link = page.find(id="return-link")
    assert link is not None and link["href"] == f"/orders/{number}/return"
    form_page = soup(await (await client.get(link["href"])).get_data())
    kurti = lines[0]["id"]
    options = [o["value"] for o in form_page.find(id=f"action-{kurti}").find_all("option")]
    assert options == ["return", f"exchange-{v['small']['id']}", f"exchange-{v['large']['id']}"]
    response = await post(
        client,
        f"/orders/{number}/return",
        headers=headers,
        form={
            f"qty-{kurti}": "2",
            f"action-{kurti}": f"exchange-{v['large']['id']}",
            f"qty-{lines[1]['id']}": "1",
            "reason": "fit",
            "note": "A size up, please",
        },
    )
    if headers:
        assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/orders/{number}"
    else:
        assert response.status_code == 303 and response.headers["Location"] == f"/orders/{number}"
    assert await stock(conn, v["large"]) == 3, "the new size is kept for her at once"
    ledger = await fetch_all(
        conn,
        "SELECT variant_id, delta, reason FROM stock_movements WHERE order_id = %s AND reason = 'exchange'",
        (order_id,),
    )
    assert [(r["variant_id"], r["delta"]) for r in ledger] == [(v["large"]["id"], -2)]
    page = soup(await (await client.get(f"/orders/{number}")).get_data())
    returns = page.find(id="returns").get_text()
    assert "size L" in returns and "Requested" in returns
    assert page.find(id="return-link") is None, "everything is on its way back"


async def test_staff_receive_a_partial_return_stock_comes_back_and_only_those_pieces_are_refunded(app, conn):
    client, user, number, order_id, v, lines = await delivered_order(app, conn)
    await post(client, f"/orders/{number}/return", form={f"qty-{lines[0]['id']}": "1", "reason": "quality"})
    return_id = await fetch_val(conn, "SELECT id FROM returns WHERE order_id = %s", (order_id,))
    staff = await staff_client(app, conn)
    admin_page = soup(await (await staff.get(f"/admin/orders/{number}")).get_data())
    assert "Approve" in admin_page.find(id=f"return-{return_id}").get_text()
    # receiving before approval is refused, with a reason
    refused = await post(staff, f"/admin/orders/{number}/returns/{return_id}", form={"status": "received"})
    assert refused.status_code == 422 and "cannot become received" in soup(await refused.get_data()).get_text()
    assert (
        await post(staff, f"/admin/orders/{number}/returns/{return_id}", form={"status": "approved"})
    ).status_code == 303
    before = await stock(conn, v["medium"])
    assert (
        await post(staff, f"/admin/orders/{number}/returns/{return_id}", form={"status": "received"})
    ).status_code == 303
    assert await stock(conn, v["medium"]) == before + 1
    assert (
        await fetch_val(
            conn,
            "SELECT COUNT(*) FROM stock_movements WHERE order_id = %s AND reason = 'return' "
            "AND variant_id = %s AND delta = 1",
            (order_id, v["medium"]["id"]),
        )
        == 1
    )
    refund = await fetch_one(conn, "SELECT amount_paise, status FROM refunds WHERE order_id = %s", (order_id,))
    assert refund == {"amount_paise": 89900, "status": "processed"}
    order = await fetch_one(conn, "SELECT status, payment_status FROM orders WHERE id = %s", (order_id,))
    assert order == {"status": "delivered", "payment_status": "partly_refunded"}
    page = soup(await (await client.get(f"/orders/{number}")).get_data())
    assert "Refunded" in page.find(id="refunds").get_text() and "₹899" in page.find(id="refunds").get_text()
    # receiving twice changes nothing
    again = await post(staff, f"/admin/orders/{number}/returns/{return_id}", form={"status": "received"})
    assert again.status_code == 422 and await stock(conn, v["medium"]) == before + 1


async def test_returning_everything_returns_the_order_and_refunds_delivery_too(app, conn):
    client, user, number, order_id, v, lines = await delivered_order(app, conn, quantities=(1, 1))
    await post(
        client,
        f"/orders/{number}/return",
        form={f"qty-{lines[0]['id']}": "1", f"qty-{lines[1]['id']}": "1", "reason": "changed_mind"},
    )
    return_id = await fetch_val(conn, "SELECT id FROM returns WHERE order_id = %s", (order_id,))
    staff = await staff_client(app, conn)
    for status in ("approved", "received"):
        await post(staff, f"/admin/orders/{number}/returns/{return_id}", form={"status": status})
    order = await fetch_one(
        conn,
        "SELECT status, payment_status, subtotal_paise + shipping_paise AS total FROM orders WHERE id = %s",
        (order_id,),
    )
    assert (order["status"], order["payment_status"]) == ("returned", "refunded")
    assert (
        await fetch_val(conn, "SELECT SUM(amount_paise) FROM refunds WHERE order_id = %s", (order_id,))
        == order["total"]
    )


async def test_a_rejected_exchange_gives_the_reserved_size_back(app, conn):
    client, user, number, order_id, v, lines = await delivered_order(app, conn)
    await post(
        client,
        f"/orders/{number}/return",
        form={
            f"qty-{lines[0]['id']}": "1",
            f"action-{lines[0]['id']}": f"exchange-{v['small']['id']}",
            "reason": "fit",
        },
    )
    assert await stock(conn, v["small"]) == 4
    return_id = await fetch_val(conn, "SELECT id FROM returns WHERE order_id = %s", (order_id,))
    staff = await staff_client(app, conn)
    await post(staff, f"/admin/orders/{number}/returns/{return_id}", form={"status": "rejected"})
    assert await stock(conn, v["small"]) == 5
    assert await fetch_val(conn, "SELECT COUNT(*) FROM refunds WHERE order_id = %s", (order_id,)) == 0


@pytest.mark.parametrize(
    "change, message",
    [
        ({}, "at least one piece"),
        ({"qty-LINE": "3"}, "at most 2"),
        ({"qty-LINE": "-1"}, "how many"),
        ({"qty-LINE": "१"}, "how many"),
        ({"qty-LINE": "1", "action-LINE": "exchange-999999999"}, "not available"),
        ({"qty-LINE": "1", "action-LINE": "steal"}, "a refund or another size"),
        ({"qty-LINE": "1", "reason": "bored"}, "why you are sending it back"),
    ],
)
async def test_bad_return_requests_are_refused_and_change_nothing(app, conn, change, message):
    client, user, number, order_id, v, lines = await delivered_order(app, conn)
    form = {"reason": "fit"} | {k.replace("LINE", str(lines[0]["id"])): value for k, value in change.items()}
    for headers in (None, HTMX):
        response = await post(client, f"/orders/{number}/return", form=form, headers=headers)
        assert response.status_code == 422
        page = soup(await response.get_data())
        assert message in page.find(class_="error").get_text()
        assert (page.find("html") is None) == (headers is HTMX)
    assert await fetch_val(conn, "SELECT COUNT(*) FROM returns WHERE order_id = %s", (order_id,)) == 0


async def test_the_return_window_closes_fifteen_days_after_delivery(app, conn):
    client, user, number, order_id, v, lines = await delivered_order(app, conn, days_ago=16)
    page = soup(await (await client.get(f"/orders/{number}")).get_data())
    assert page.find(id="return-link") is None
    closed = soup(await (await client.get(f"/orders/{number}/return")).get_data())
    assert "open for 15 days after delivery" in closed.get_text() and closed.find(id="return-form") is None
    response = await post(client, f"/orders/{number}/return", form={f"qty-{lines[0]['id']}": "1", "reason": "fit"})
    assert response.status_code == 422
    assert await fetch_val(conn, "SELECT COUNT(*) FROM returns WHERE order_id = %s", (order_id,)) == 0


async def test_another_shoppers_order_cannot_be_returned(app, conn):
    client, user, number, order_id, v, lines = await delivered_order(app, conn)
    other = app.test_client()
    await log_in(other, await make_user(conn))
    assert (await other.get(f"/orders/{number}/return")).status_code == 404
    response = await post(other, f"/orders/{number}/return", form={f"qty-{lines[0]['id']}": "1", "reason": "fit"})
    assert response.status_code == 404


async def test_a_cash_on_delivery_return_is_refunded_by_the_shops_team(app, conn):
    client, user, number, order_id, v, lines = await delivered_order(app, conn, paid_by="cod")
    await post(client, f"/orders/{number}/return", form={f"qty-{lines[1]['id']}": "1", "reason": "damaged"})
    return_id = await fetch_val(conn, "SELECT id FROM returns WHERE order_id = %s", (order_id,))
    staff = await staff_client(app, conn)
    for status in ("approved", "received"):
        await post(staff, f"/admin/orders/{number}/returns/{return_id}", form={"status": status})
    refund = await fetch_one(conn, "SELECT amount_paise, status FROM refunds WHERE order_id = %s", (order_id,))
    assert refund == {"amount_paise": 129900, "status": "requested"}
    text = soup(await (await client.get(f"/orders/{number}")).get_data()).find(id="refunds").get_text()
    assert "bank transfer" in text


async def test_a_piece_whose_product_staff_deleted_is_named_not_said_to_be_on_its_way_back(app, conn):
    """Both products of a delivered order were deleted by staff: the return page said "Everything
    in this order is already on its way back", which was untrue (nothing had been sent back)."""
    client, user, number, order_id, variants, lines = await delivered_order(app, conn, quantities=(1, 1))
    await execute(
        conn,
        "DELETE FROM products WHERE id IN (SELECT product_id FROM variants WHERE id IN (%s, %s))",
        (variants["medium"]["id"], variants["other"]["id"]),
    )
    page = soup(await (await client.get(f"/orders/{number}/return")).get_data()).find("main").get_text(" ")
    assert "on its way back" not in page
    assert "no longer sold in our shop" in page
