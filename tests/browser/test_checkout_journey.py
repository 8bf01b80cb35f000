"""From an empty bag to a placed order and back to cancelling it, in a real browser, with
JavaScript on and with it off."""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import expect

from tests.browser.conftest import in_stock_product

pytestmark = pytest.mark.browser


async def fill_address(page):
    await page.fill("#f-full_name", "Kavya Menon")
    await page.fill("#f-line1", "Flat 4B, Sea Breeze Apartments, Marine Drive")
    await page.fill("#f-city", "Kochi")
    await page.select_option("#f-state", "Kerala")
    await page.fill("#f-pin_code", "682031")
    await page.fill("#f-mobile", "9447012345")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_bag_to_order_to_cancel(shop, browser, javascript):
    product = await in_stock_product(shop, minimum=2)
    context = await browser.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/products/{product['slug']}")
    await page.get_by_role("button", name="Add to bag").click()
    await expect(page.locator("#bag-count")).to_have_text("1")

    # a new shopper registers from the bag; the guest bag comes along
    await page.goto(f"{shop['url']}/account/register?next=/checkout")
    await page.fill("#f-name", "Kavya Menon")
    await page.fill("#f-email", f"kavya.{secrets.token_hex(4)}@example.in")
    await page.fill("#f-mobile", "94470 12345")
    await page.fill("#f-password", "backwaters at dawn")
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(f"{shop['url']}/checkout")
    await expect(page.locator("#bag-count")).to_have_text("1")

    await fill_address(page)
    await page.get_by_role("button", name="Place order").click()
    await expect(page.locator("h1")).to_contain_text("Order MC")
    assert "is placed" in await page.text_content("main")
    await expect(page.locator("#bag-count")).to_have_text("0")

    await page.get_by_role("button", name="Cancel this order").click()
    await expect(page.locator("main")).to_contain_text("is cancelled")
    await expect(page.locator(".status").first).to_have_text("Cancelled")
    await context.close()
