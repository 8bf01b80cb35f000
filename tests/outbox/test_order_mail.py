"""Order e-mails go through the outbox, written in the transaction of the change, and arrive at a
real SMTP server: placed, shipped and cancelled, each once, plain text and HTML, with the
order's lines, totals in rupees and the delivery address."""

from __future__ import annotations

from mooncart.db import execute, fetch_all, fetch_val
from mooncart.orders.cancellation import cancel_order
from mooncart.orders.staff import change_status
from mooncart.outbox import message_id_for
from mooncart.outbox.sender import OutboxSender, SmtpSettings
from tests.conftest import post, soup
from tests.factories import ADDRESS, CARD, make_order, make_product, make_user, shopper_with_bag

APPROVED, DECLINED = "4111111111111111", "4000000000000002"  # the built-in test card gateway's cards


def sender_for(app, smtp_server) -> OutboxSender:
    """A sender over the test's own connection (it sees the test's uncommitted rows)."""
    return OutboxSender(app.app.extensions["db"], SmtpSettings.from_url(smtp_server.url), retry_seconds=0.1)


def parts(message) -> tuple[str, str]:
    """(plain text, HTML) of a received multipart/alternative e-mail."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


async def test_placing_an_order_delivers_one_email_with_its_lines_total_and_address(app, conn, smtp_server):
    client, user, variants, form = await shopper_with_bag(app, conn, 2, 1, price_paise=149900)
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 303
    number = await fetch_val(conn, "SELECT number FROM orders WHERE user_id = %s", (user["id"],))
    queued = await fetch_all(
        conn, "SELECT status FROM outbox_messages WHERE message_key = %s", (f"order-placed:{number}",)
    )
    assert [row["status"] for row in queued] == ["queued"]  # in the order's own transaction

    await sender_for(app, smtp_server).drain()
    [message] = smtp_server.to(user["email"])
    assert number in message["Subject"] and "confirmed" in message["Subject"]
    assert message["Message-ID"] == message_id_for(f"order-placed:{number}")
    assert message["From"] == "Mooncart <orders@mooncart.in>"
    text, html = parts(message)
    assert "Total: ₹4,497" in text  # 2 x ₹1,499 + 1 x ₹1,499, delivery free
    assert ADDRESS["line1"] in text and ADDRESS["pin_code"] in text
    page = soup(html)
    lines = page.select("#lines tr.line")
    assert len(lines) == 2
    assert "S" in lines[0].get_text() and lines[0].find_all("td")[1].get_text() == "2"
    assert lines[0].find_all("td")[2].get_text() == "₹2,998"
    assert "₹4,497" in page.select_one("#total").get_text()
    address = page.select_one("#address").get_text(" ")
    assert ADDRESS["full_name"] in address and ADDRESS["city"] in address and ADDRESS["pin_code"] in address

    await sender_for(app, smtp_server).drain()  # nothing more to send: it went once
    assert len(smtp_server.to(user["email"])) == 1
    status = await fetch_val(
        conn, "SELECT status FROM outbox_messages WHERE message_key = %s", (f"order-placed:{number}",)
    )
    assert status == "sent"


async def test_an_order_that_is_refused_queues_no_email(app, conn, smtp_server):
    client, user, variants, form = await shopper_with_bag(app, conn, 1, stock=1)
    # the variant sells out before she places the order
    await execute(conn, "UPDATE variants SET stock = 0 WHERE id = %s", (variants[0]["id"],))
    response = await post(client, "/checkout", form=form)
    assert response.status_code in (409, 422, 200)
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 0
    await sender_for(app, smtp_server).drain()
    assert smtp_server.to(user["email"]) == []


async def test_shipping_an_order_sends_one_shipped_email(app, conn, smtp_server):
    user = await make_user(conn)
    staff = await make_user(conn, is_staff=True, two_step=False)
    product = await make_product(conn, name="Block-print kurta")
    order = await make_order(conn, user, product, 1)
    await change_status(conn, order["id"], "packed", staff["id"])  # packed sends nothing
    await change_status(conn, order["id"], "shipped", staff["id"])
    await sender_for(app, smtp_server).drain()
    [message] = smtp_server.to(user["email"])
    assert "on its way" in message["Subject"] and order["number"] in message["Subject"]
    text, html = parts(message)
    assert "has shipped" in text and "Block-print kurta" in text and ADDRESS["line1"] in text
    assert "Block-print kurta" in soup(html).select_one("#lines").get_text()


async def test_cancelling_an_order_sends_one_cancelled_email(app, conn, smtp_server):
    user = await make_user(conn)
    product = await make_product(conn, name="Chanderi dupatta")
    order = await make_order(conn, user, product, 1)
    assert await cancel_order(conn, order["id"], user["id"]) is not None
    assert await cancel_order(conn, order["id"], user["id"]) is None  # a second cancel changes nothing
    await sender_for(app, smtp_server).drain()
    [message] = smtp_server.to(user["email"])
    assert "cancelled" in message["Subject"]
    text, html = parts(message)
    assert "has been cancelled" in text and "Chanderi dupatta" in text
    assert ADDRESS["city"] in soup(html).select_one("#address").get_text()


async def test_staff_cancelling_sends_the_cancelled_email(app, conn, smtp_server):
    user = await make_user(conn)
    staff = await make_user(conn, is_staff=True, two_step=False)
    order = await make_order(conn, user, await make_product(conn), 1)
    await change_status(conn, order["id"], "cancelled", staff["id"])
    await sender_for(app, smtp_server).drain()
    [message] = smtp_server.to(user["email"])
    assert message["Message-ID"] == message_id_for(f"order-cancelled:{order['number']}")


async def test_a_card_order_gets_its_email_when_paid_and_a_declined_one_none(app, conn, smtp_server):
    client, user, _, form = await shopper_with_bag(app, conn, 1)
    response = await post(client, "/checkout", form=dict(form, payment_method="card", card_number=APPROVED, **CARD))
    assert response.status_code == 303
    number = await fetch_val(conn, "SELECT number FROM orders WHERE user_id = %s AND status = 'placed'", (user["id"],))
    declined_client, declined_user, _, declined_form = await shopper_with_bag(app, conn, 1)
    await post(
        declined_client, "/checkout", form=dict(declined_form, payment_method="card", card_number=DECLINED, **CARD)
    )
    assert await fetch_val(conn, "SELECT status FROM orders WHERE user_id = %s", (declined_user["id"],)) == "cancelled"
    await sender_for(app, smtp_server).drain()
    [message] = smtp_server.to(user["email"])
    assert message["Message-ID"] == message_id_for(f"order-placed:{number}")
    assert smtp_server.to(declined_user["email"]) == []
