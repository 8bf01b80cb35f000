"""Card and UPI payments through a Razorpay-style gateway (the fake one in fake_gateway.py, real
HTTP on loopback) with its failures: declines, 5xx, slowness, a timeout after the capture,
webhooks duplicated, out of order or forged, shoppers who never come back. After each, the
gateway's books and the shop's agree: every capture belongs to one paid order, every refund
to a cancelled or returned one."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from mooncart.db import execute, fetch_all, fetch_one, fetch_val
from mooncart.payments.providers import providers_of
from mooncart.payments.settlement import reconcile
from tests.conftest import HTMX, post, soup
from tests.factories import CARD, press, shopper_with_bag, stock_of
from tests.payments.fake_gateway import DECLINED_CARD, WEBHOOK_SECRET, sign

APPROVED = "4111111111111111"


async def deliver(client, gateway, *, reverse=False, duplicate=False, bad_signature=False) -> list[int]:
    """The held webhooks, posted to the shop as the gateway would (through the app's test client);
    forged ones (bad_signature) stay held for the real delivery."""
    held = list(gateway.held)
    if not bad_signature:
        gateway.held = []
    if reverse:
        held.reverse()
    statuses = []
    for delivery in held:
        for _ in range(2 if duplicate else 1):
            signature = sign("not-the-secret" if bad_signature else WEBHOOK_SECRET, delivery["body"])
            response = await client.post(
                "/payments/webhook",
                data=delivery["body"],
                headers={
                    "Content-Type": "application/json",
                    "X-Razorpay-Signature": signature,
                    "X-Razorpay-Event-Id": delivery["id"],
                },
            )
            statuses.append(response.status_code)
    return statuses


async def order_of(conn, user):
    return await fetch_one(
        conn,
        "SELECT o.id, o.number, o.status, o.payment_status, o.subtotal_paise + o.shipping_paise "
        "AS total, p.status AS payment FROM orders o LEFT JOIN payments p ON p.order_id = o.id "
        "WHERE o.user_id = %s ORDER BY o.id DESC LIMIT 1",
        (user["id"],),
    )


async def books_balance(conn, gateway) -> None:
    """Every captured amount belongs to exactly one paid order (net of its refunds), and every
    refund to a cancelled or returned order (or a partly returned one, for its returned part)."""
    captured, refunded = gateway.captured(), gateway.refunded()
    for number, amount in captured.items():
        order = await fetch_one(
            conn,
            "SELECT status, payment_status, subtotal_paise + shipping_paise AS total FROM orders WHERE number = %s",
            (number,),
        )
        assert order is not None and amount == order["total"], (number, amount, order)
        assert order["payment_status"] in ("paid", "partly_refunded", "refunded"), (number, order)
    for number, amount in refunded.items():
        order = await fetch_one(conn, "SELECT id, status FROM orders WHERE number = %s", (number,))
        assert amount <= captured[number]
        recorded = await fetch_val(
            conn,
            "SELECT COALESCE(SUM(amount_paise), 0) FROM refunds WHERE order_id = %s AND status <> 'failed'",
            (order["id"],),
        )
        assert recorded == amount, (number, amount, recorded)
        returns = await fetch_val(
            conn, "SELECT COUNT(*) FROM returns WHERE order_id = %s AND status = 'received'", (order["id"],)
        )
        assert order["status"] in ("cancelled", "returned") or returns, (number, order)
    paid = await fetch_all(
        conn,
        "SELECT number FROM orders WHERE payment_method IN ('card', 'upi') "
        "AND payment_status IN ('paid', 'partly_refunded', 'refunded')",
    )
    assert {row["number"] for row in paid} <= set(captured), "an order is marked paid that the gateway never captured"


async def test_a_card_order_is_paid_with_three_gateway_calls_and_no_lock_held_meanwhile(app, conn, gateway):
    client, user, variants, form = await shopper_with_bag(app, conn, 2)
    response = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=APPROVED, **CARD))
    assert response.status_code == 303
    order = await order_of(conn, user)
    assert (order["status"], order["payment_status"], order["payment"]) == ("placed", "paid", "captured")
    assert gateway.calls_for(order["number"]) == ["create", "authorise", "capture"]
    print(f"a paid card order made {len(gateway.calls_for(order['number']))} gateway calls")
    assert gateway.captured() == {order["number"]: order["total"]}
    assert await stock_of(conn, variants[0]["id"]) == 8
    page = soup(await (await client.get(response.headers["Location"])).get_data())
    assert "Card (paid)" in page.find(id="payment-status").get_text()
    await books_balance(conn, gateway)


async def test_a_declined_card_releases_the_order_and_says_she_was_not_charged(app, conn, gateway):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    response = await post(
        client, "/checkout", form=dict(form, payment_method="card", card_number=DECLINED_CARD, **CARD), headers=HTMX
    )
    assert response.status_code == 422
    text = soup(await response.get_data()).get_text()
    assert "declined" in text and "not been charged" in text
    order = await order_of(conn, user)
    assert (order["status"], order["payment_status"], order["payment"]) == ("cancelled", "failed", "failed")
    assert await stock_of(conn, variants[0]["id"]) == 10 and gateway.captured() == {}
    assert await deliver(client, gateway) == [200]  # its payment.failed webhook changes nothing
    assert (await order_of(conn, user))["status"] == "cancelled"


async def test_5xx_answers_are_retried_with_the_same_key(app, conn, gateway):
    gateway.fail_next = {"/v1/orders": 2, "/capture": 2}
    client, user, _, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=APPROVED, **CARD))
    assert response.status_code == 303
    order = await order_of(conn, user)
    assert order["payment_status"] == "paid"
    assert len(gateway.orders) == 1 and gateway.captured() == {order["number"]: order["total"]}
    await books_balance(conn, gateway)


async def test_a_gateway_that_never_answers_the_order_leaves_nothing_charged(app, conn, gateway):
    gateway.fail_next = {"/v1/orders": 10}
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=APPROVED, **CARD))
    assert response.status_code == 422
    assert "could not reach the payment gateway" in soup(await response.get_data()).get_text()
    assert (await order_of(conn, user))["status"] == "cancelled"
    assert await stock_of(conn, variants[0]["id"]) == 10 and gateway.captured() == {}


async def test_a_timeout_after_the_capture_is_found_out_by_a_look_up(app, conn, gateway):
    gateway.hang_after_capture = 3.0  # longer than the shop's 2 s
    client, user, _, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=APPROVED, **CARD))
    assert response.status_code == 303
    order = await order_of(conn, user)
    assert (order["status"], order["payment_status"]) == ("placed", "paid")
    assert gateway.calls_for(order["number"]) == ["create", "authorise", "capture", "look_up"]
    await books_balance(conn, gateway)


async def test_a_slow_gateway_within_the_timeout_still_takes_one_payment(app, conn, gateway):
    gateway.slow = 0.5
    client, user, _, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=APPROVED, **CARD))
    assert response.status_code == 303
    order = await order_of(conn, user)
    assert order["payment_status"] == "paid" and gateway.calls_for(order["number"]) == [
        "create",
        "authorise",
        "capture",
    ]


async def upi_checkout(app, conn, gateway, client=None):
    """Place a UPI order: the shop answers with the gateway's page, which has Pay and Fail."""
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=dict(form, payment_method="upi"))
    assert response.status_code == 303
    page_url = response.headers["Location"]
    assert page_url.startswith(gateway.url + "/v1/checkout/order_")
    return client, user, variants, page_url


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + "?" + parts.query


async def test_upi_pays_on_the_gateways_page_and_comes_back_verified(app, conn, gateway):
    client, user, variants, page_url = await upi_checkout(app, conn, gateway)
    order = await order_of(conn, user)
    assert (order["status"], order["payment"]) == ("awaiting_payment", "created")
    assert await stock_of(conn, variants[0]["id"]) == 9, "reserved while she pays"
    back = await press(page_url, "Pay")
    assert "/checkout/return/" in back and "razorpay_signature" in back
    response = await client.get(path_of(back))
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{order['number']}"
    order = await order_of(conn, user)
    assert (order["status"], order["payment_status"]) == ("placed", "paid")
    assert gateway.calls_for(order["number"]) == ["create", "capture"]
    page = soup(await (await client.get(response.headers["Location"])).get_data())
    assert "is placed" in page.get_text() and "UPI (paid)" in page.find(id="payment-status").get_text()
    # the webhooks that follow (authorised, captured) change nothing, however often they come
    assert await deliver(client, gateway, reverse=True, duplicate=True) == [200, 200, 200, 200]
    assert gateway.calls_for(order["number"]) == ["create", "capture"]
    await books_balance(conn, gateway)


async def test_upi_failure_releases_the_order_and_gives_the_bag_back(app, conn, gateway):
    client, user, variants, page_url = await upi_checkout(app, conn, gateway)
    back = await press(page_url, "Fail")
    response = await client.get(path_of(back))
    assert response.status_code == 303 and response.headers["Location"] == "/checkout"
    order = await order_of(conn, user)
    assert (order["status"], order["payment_status"]) == ("cancelled", "failed")
    assert await stock_of(conn, variants[0]["id"]) == 10
    page = soup(await (await client.get("/checkout")).get_data())
    assert "did not go through" in page.get_text() and page.find(id=f"checkout-line-{variants[0]['id']}")


async def test_a_forged_return_is_looked_up_not_believed(app, conn, gateway):
    client, user, variants, page_url = await upi_checkout(app, conn, gateway)
    order = await order_of(conn, user)
    forged = (
        f"/checkout/return/{order['number']}?razorpay_payment_id=pay_forged&razorpay_order_id="
        f"{urlsplit(page_url).path.rsplit('/', 1)[1]}&razorpay_signature={'0' * 64}"
    )
    response = await client.get(forged)
    assert response.status_code == 303
    assert (await order_of(conn, user))["status"] == "cancelled", "nothing was paid, so nothing is placed"
    assert gateway.captured() == {}


async def test_a_webhook_settles_an_order_whose_shopper_never_came_back(app, conn, gateway):
    client, user, variants, page_url = await upi_checkout(app, conn, gateway)
    await press(page_url, "Pay")  # ... and her phone dies before the redirect
    assert await deliver(client, gateway, bad_signature=True) == [400]
    assert (await order_of(conn, user))["status"] == "awaiting_payment", "a forged webhook changes nothing"
    assert await deliver(client, gateway, duplicate=True) == [200, 200]  # payment.authorized, twice
    order = await order_of(conn, user)
    assert (order["status"], order["payment_status"]) == ("placed", "paid")
    assert gateway.calls_for(order["number"]) == ["create", "capture"]
    assert await deliver(client, gateway) == [200]  # payment.captured: already settled
    # and her browser's late return finds it paid, without another capture
    response = await client.get(f"/orders/{order['number']}")
    assert "UPI (paid)" in soup(await response.get_data()).find(id="payment-status").get_text()
    await books_balance(conn, gateway)


async def test_webhooks_out_of_order_capture_once(app, conn, gateway):
    client, user, variants, page_url = await upi_checkout(app, conn, gateway)
    await press(page_url, "Fail")  # a first attempt fails on the page...
    await press(page_url, "Pay")  # ... she tries again there and pays
    assert [d["name"] for d in gateway.held] == ["payment.failed", "payment.authorized"]
    assert await deliver(client, gateway, reverse=True) == [200, 200]
    order = await order_of(conn, user)
    assert (order["status"], order["payment_status"]) == ("placed", "paid")
    await deliver(client, gateway)  # payment.captured
    assert len(gateway.captured()) == 1
    await books_balance(conn, gateway)


async def test_reconcile_settles_what_webhooks_never_told(app, conn, gateway):
    paid_client, paid_user, _, paid_page = await upi_checkout(app, conn, gateway)
    await press(paid_page, "Pay")
    gone_client, gone_user, gone_variants, _ = await upi_checkout(app, conn, gateway)  # left on the page
    gateway.held = []  # every webhook lost
    counts = await reconcile(conn, providers_of(app.app), hold_seconds=0, timeout=2.0)
    assert counts["paid"] == 1 and counts["failed"] == 1
    assert (await order_of(conn, paid_user))["payment_status"] == "paid"
    gone = await order_of(conn, gone_user)
    assert (gone["status"], gone["payment_status"]) == ("cancelled", "failed")
    assert await stock_of(conn, gone_variants[0]["id"]) == 10
    again = await reconcile(conn, providers_of(app.app), hold_seconds=0, timeout=2.0)
    assert again["paid"] == again["failed"] == 0, "settled orders are not asked about again"
    await books_balance(conn, gateway)


async def test_cancelling_a_paid_order_refunds_it_through_the_gateway(app, conn, gateway):
    gateway.refunds_pending = True
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    await post(client, "/checkout", form=dict(form, payment_method="card", card_number=APPROVED, **CARD))
    assert await deliver(client, gateway) == [200, 200]  # payment.authorized and .captured: already settled
    order = await order_of(conn, user)
    response = await post(client, f"/orders/{order['number']}/cancel")
    assert response.status_code == 303
    assert gateway.refunded() == {order["number"]: order["total"]}
    page = soup(await (await client.get(f"/orders/{order['number']}")).get_data())
    assert "being sent to your bank" in page.get_text()
    assert "On its way" in page.find(id="refunds").get_text()
    assert (await order_of(conn, user))["payment_status"] == "paid", "not refunded until the gateway says so"
    await gateway.process_refunds()
    assert await deliver(client, gateway, duplicate=True) == [200, 200]
    assert (await order_of(conn, user))["payment_status"] == "refunded"
    page = soup(await (await client.get(f"/orders/{order['number']}")).get_data())
    assert "Refunded" in page.find(id="refunds").get_text()
    # cancelling again refunds nothing more
    await post(client, f"/orders/{order['number']}/cancel")
    assert gateway.refunded() == {order["number"]: order["total"]}
    await books_balance(conn, gateway)


async def test_staff_returning_a_paid_order_refunds_what_is_left(app, conn, gateway):
    from tests.conftest import log_in
    from tests.factories import make_user

    client, user, variants, form = await shopper_with_bag(app, conn, 2)
    await post(client, "/checkout", form=dict(form, payment_method="card", card_number=APPROVED, **CARD))
    order = await order_of(conn, user)
    await execute(conn, "UPDATE orders SET status = 'delivered', delivered_at = NOW(6) WHERE id = %s", (order["id"],))
    staff = app.test_client()
    await log_in(staff, await make_user(conn, is_staff=True))
    response = await post(staff, f"/admin/orders/{order['number']}/status", form={"status": "returned"})
    assert response.status_code == 303
    assert gateway.refunded() == {order["number"]: order["total"]}
    assert (await order_of(conn, user))["payment_status"] == "refunded"
    await books_balance(conn, gateway)


async def test_a_webhook_body_that_is_not_an_event_is_refused_without_a_500(app, conn, gateway):
    client = app.test_client()
    for body in [b"not json", b"[]", b'{"event": 1}', json.dumps({"event": "payment.captured"}).encode()]:
        response = await client.post(
            "/payments/webhook",
            data=body,
            headers={
                "X-Razorpay-Signature": sign(WEBHOOK_SECRET, body),
                "X-Razorpay-Event-Id": "evt_x" + str(len(body)),
            },
        )
        assert response.status_code in (200, 400), body


async def test_a_upi_order_is_recorded_as_placed_when_she_comes_back_paid(app, conn, gateway):
    # the form's answer goes to the gateway's page, so the order is seen placed on the way back
    # (the analytics' funnel counted UPI buyers as never ordering before)
    await app.app.extensions["events"].flush()
    await execute(conn, "DELETE FROM events")
    client, user, variants, page_url = await upi_checkout(app, conn, gateway)
    back = await press(page_url, "Pay")
    assert (await client.get(path_of(back))).status_code == 303
    await app.app.extensions["events"].flush()
    order = await order_of(conn, user)
    steps = await fetch_all(conn, "SELECT step FROM events WHERE kind = 'checkout' ORDER BY id")
    assert [row["step"] for row in steps][-2:] == ["place-post", "placed"]
    orders = await fetch_all(conn, "SELECT order_id, variant_id FROM events WHERE kind = 'order'")
    assert orders == [{"order_id": order["id"], "variant_id": variants[0]["id"]}]


async def test_a_failed_upi_payment_records_no_order(app, conn, gateway):
    await app.app.extensions["events"].flush()
    await execute(conn, "DELETE FROM events")
    client, _user, _variants, page_url = await upi_checkout(app, conn, gateway)
    back = await press(page_url, "Fail")
    assert (await client.get(path_of(back))).headers["Location"] == "/checkout"
    await app.app.extensions["events"].flush()
    steps = await fetch_all(conn, "SELECT step FROM events WHERE kind = 'checkout' ORDER BY id")
    assert [row["step"] for row in steps][-2:] == ["place-post", "payment_return"]
    assert await fetch_val(conn, "SELECT COUNT(*) FROM events WHERE kind = 'order'") == 0
