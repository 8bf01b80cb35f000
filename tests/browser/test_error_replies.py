"""An error answered to an htmx request (an expired form, a rate limit, the database away) shows its
message beside the region the request came from, and that region stays, so the shopper can read
what happened and send the form again without reloading the page."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import in_stock_product
from tests.browser.pages import add_first_available

pytestmark = pytest.mark.browser


async def test_an_expired_form_on_the_bag_keeps_the_voucher_box_and_says_what_happened(shop, browser):
    base = shop["url"]
    product = await in_stock_product(shop)
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    await page.goto(f"{base}/products/{product['slug']}")
    await add_first_available(page, javascript=True)
    await page.goto(f"{base}/bag")
    await page.evaluate("window.__stillHere = 'yes'")
    await context.clear_cookies()  # the session behind the page's form token is gone
    await page.fill("#bag-voucher input[name=code]", "WELCOME10")
    await page.locator("#bag-voucher").get_by_role("button", name="Apply").click()
    await expect(page.get_by_role("alert")).to_contain_text("This form has expired")
    await expect(page.locator("#bag-voucher input[name=code]")).to_be_visible()
    await expect(page.locator("#bag-voucher").get_by_role("button", name="Apply")).to_be_enabled()
    assert await page.evaluate("window.__stillHere") == "yes", "the page did not reload"
    await context.close()
