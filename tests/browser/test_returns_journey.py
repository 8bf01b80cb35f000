"""The shopper can return a kurti and exchange a size from her order page, with JavaScript on
(htmx swaps a refused form in place) and off (plain form, 303)."""

from __future__ import annotations

import secrets

import aiomysql
import pytest
from playwright.async_api import expect

from mooncart.checkout.placement import place_order
from mooncart.db import execute, fetch_val
from mooncart.payments.providers import CashOnDelivery
from tests.browser.pages import log_in
from tests.factories import ADDRESS, make_product, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_the_shopper_returns_a_kurti_and_exchanges_a_size_from_her_order_page(shop, browser, javascript):
    base = shop["url"]
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    user = await make_user(conn, email=f"meera.{secrets.token_hex(3)}@example.in", name="Meera Iyer")
    kurti = await make_product(
        conn,
        name=f"Indigo Block-Print Kurti {secrets.token_hex(2)}",
        price_paise=89900,
        variants=[("S", "Indigo", 4), ("M", "Indigo", 4), ("L", "Indigo", 4)],
    )
    _, cart_id = await execute(
        conn, "INSERT INTO carts (token, user_id) VALUES (%s, %s)", (secrets.token_hex(16), user["id"])
    )
    small, medium, large = kurti["variants"]
    await execute(
        conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 2)", (cart_id, medium["id"])
    )
    order = await place_order(
        conn,
        user_id=user["id"],
        cart_id=cart_id,
        address=ADDRESS,
        provider=CashOnDelivery(),
        payment_details={},
        idempotency_key=secrets.token_hex(16),
    )
    await execute(
        conn,
        "UPDATE orders SET status = 'delivered', payment_status = 'paid', "
        "delivered_at = NOW(6) - INTERVAL 3 DAY WHERE id = %s",
        (order.id,),
    )
    context = await browser.new_context(java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    page = await context.new_page()
    try:
        await log_in(page, base, user["email"], user["password"], next_path=f"/orders/{order.number}")
        await page.get_by_role("link", name="Return or exchange").click()
        await expect(page.locator("h1")).to_have_text("Return or exchange")

        # nothing chosen: refused with a message (in place, with JavaScript)
        if javascript:
            await page.evaluate("window.__stillHere = 'return'")
        await page.get_by_label("Why are you sending it back?").select_option("fit")
        await page.get_by_role("button", name="Request return or exchange").click()
        await expect(page.locator("#return-form .error")).to_contain_text("at least one piece")
        if javascript:
            assert await page.evaluate("window.__stillHere") == "return", "the form was swapped in place"

        # one back for a refund would be the whole line; she sends one back for a size L instead
        await page.get_by_label("How many to send back").select_option("1")
        await page.get_by_label("What would you like instead").select_option(label="Size L instead")
        await page.get_by_label("Why are you sending it back?").select_option("fit")
        await page.get_by_label("Anything else we should know").fill("A little tight at the shoulders")
        await page.get_by_role("button", name="Request return or exchange").click()
        await expect(page.locator("h1")).to_have_text(f"Order {order.number}")
        await expect(page.locator("main")).to_contain_text("Your exchange is requested")
        await expect(page.locator("#returns")).to_contain_text("→ size L")
        assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (large["id"],)) == 3

        # and the other piece back for a refund
        await page.get_by_role("link", name="Return or exchange").click()
        await page.get_by_label("How many to send back").select_option("1")
        await page.get_by_label("Why are you sending it back?").select_option("changed_mind")
        await page.get_by_role("button", name="Request return or exchange").click()
        await expect(page.locator("main")).to_contain_text("Your return is requested")
        await expect(page.locator("#returns")).to_contain_text("for a refund of ₹899")
        assert await page.get_by_role("link", name="Return or exchange").count() == 0
    finally:
        await context.close()
        # this shop's sales figures are checked by the staff journey: leave no order behind
        await execute(conn, "DELETE FROM orders WHERE user_id = %s", (user["id"],))
        await execute(conn, "DELETE FROM products WHERE id = %s", (kurti["id"],))
        await execute(conn, "DELETE FROM categories WHERE id = %s", (kurti["category"]["id"],))
        conn.close()
