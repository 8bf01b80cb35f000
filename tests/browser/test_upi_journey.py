"""UPI in a real browser: the shopper is sent to the gateway's page (the fake gateway's, with
Pay and Fail), and back to the shop, which verifies the return. With JavaScript on and off. A
second shop serves the browser tests' database with the gateway configured."""

from __future__ import annotations

import secrets

import aiomysql
import pytest
from playwright.async_api import expect

from mooncart.db import execute, fetch_one
from tests.browser.pages import log_in
from tests.factories import make_address, make_product, make_user
from tests.payments.fake_gateway import gateway_env, running_gateway
from tests.shop_server import running_shop

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_upi_fails_once_then_pays_on_the_gateways_page(shop, browser, tmp_path, javascript):
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    user = await make_user(conn, email=f"ananya.{secrets.token_hex(3)}@example.in", name="Ananya Das")
    await make_address(conn, user["id"])
    saree = await make_product(
        conn,
        name=f"Tussar Silk Saree {secrets.token_hex(2)}",
        price_paise=249900,
        variants=[("Free size", "Mustard", 3)],
    )
    variant_id = saree["variants"][0]["id"]
    _, cart_id = await execute(
        conn, "INSERT INTO carts (token, user_id) VALUES (%s, %s)", (secrets.token_hex(16), user["id"])
    )
    await execute(
        conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)", (cart_id, variant_id)
    )
    context = None
    try:
        async with running_gateway() as gateway:
            with running_shop(
                shop["db"].url, workers=1, log_path=tmp_path / "upi-shop.log", env=gateway_env(gateway)
            ) as (base, _process):
                gateway.webhook_url = f"{base}/payments/webhook"
                context = await browser.new_context(
                    java_script_enabled=javascript, viewport={"width": 390, "height": 844}
                )
                page = await context.new_page()
                await log_in(page, base, user["email"], user["password"], next_path="/checkout")
                await page.get_by_label("UPI").check()
                await expect(page.locator(".upi-hint")).to_be_visible()
                await page.get_by_role("button", name="Place order").click()
                await expect(page.locator("h1")).to_contain_text("Pay ₹2,499.00 by UPI")
                assert page.url.startswith(gateway.url)

                # the first try fails: back at checkout, the bag as it was, not charged
                await page.get_by_role("button", name="Fail").click()
                await expect(page).to_have_url(f"{base}/checkout")
                await expect(page.locator("main")).to_contain_text("did not go through")
                await expect(page.locator(f"#checkout-line-{variant_id}")).to_be_visible()

                # the second pays
                await page.get_by_label("UPI").check()
                await page.get_by_role("button", name="Place order").click()
                await page.get_by_role("button", name="Pay").click()
                await expect(page.locator("h1")).to_contain_text("Order MC")
                await expect(page.locator("main")).to_contain_text("is placed")
                await expect(page.locator("#payment-status")).to_have_text("UPI (paid)")
                number = (await page.locator("h1").text_content()).split()[-1]
                await gateway.settle_webhooks()
                assert gateway.captured() == {number: 249900}
                order = await fetch_one(conn, "SELECT status, payment_status FROM orders WHERE number = %s", (number,))
                assert order == {"status": "placed", "payment_status": "paid"}
                assert all(status == 200 for _, status in gateway.webhook_answers)
    finally:
        if context is not None:
            await context.close()
        # the staff journey checks this shop's sales figures: leave no order behind
        await execute(conn, "DELETE FROM orders WHERE user_id = %s", (user["id"],))
        await execute(conn, "DELETE FROM products WHERE id = %s", (saree["id"],))
        await execute(conn, "DELETE FROM categories WHERE id = %s", (saree["category"]["id"],))
        conn.close()
