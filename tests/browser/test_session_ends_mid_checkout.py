"""The session ends while the checkout form is open (idle timeout, or revoked): "Place order"
with JavaScript on must take the shopper to the log-in page as a page (one header), not swap
the log-in page into the checkout form, and logging in brings her back to checkout."""

from __future__ import annotations

import secrets

import aiomysql
import pytest
from playwright.async_api import expect

from tests.browser.conftest import in_stock_product
from tests.browser.pages import add_first_available, cancel_order, fill_address, log_in, place_order
from tests.factories import make_user

pytestmark = pytest.mark.browser


async def test_place_order_after_the_session_ended_goes_to_log_in_and_back_to_checkout(shop, browser):
    base = shop["url"]
    product = await in_stock_product(shop)
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    user = await make_user(conn, email=f"ira.{secrets.token_hex(4)}@example.in", name="Ira Sen")
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    try:
        await log_in(page, base, user["email"], user["password"])
        await page.goto(f"{base}/products/{product['slug']}")
        await add_first_available(page, javascript=True)
        await page.goto(f"{base}/checkout")
        await fill_address(
            page,
            name="Ira Sen",
            line1="12 Park Street, Flat 3",
            city="Kolkata",
            state="West Bengal",
            pin_code="700016",
            mobile="9830012345",
        )

        async with conn.cursor() as cur:  # the session ends while the form is open
            await cur.execute("UPDATE sessions SET revoked_at = NOW(6) WHERE user_id = %s", (user["id"],))

        await page.get_by_role("button", name="Place order").click()
        await expect(page).to_have_url(f"{base}/account/login?next=/checkout")
        await expect(page.locator("header.site-header")).to_have_count(1)
        await expect(page.locator("h1")).to_have_count(1)
        await expect(page.locator("#f-password")).to_have_count(1)

        await page.fill("#f-email", user["email"])
        await page.fill("#f-password", user["password"])
        await page.get_by_role("button", name="Log in").click()
        await expect(page).to_have_url(f"{base}/checkout")
        await expect(page.locator("#bag-count")).to_have_text("1")
        await fill_address(
            page,
            name="Ira Sen",
            line1="12 Park Street, Flat 3",
            city="Kolkata",
            state="West Bengal",
            pin_code="700016",
            mobile="9830012345",
        )
        await place_order(page)
        await cancel_order(page)
    finally:
        await context.close()
        conn.close()
