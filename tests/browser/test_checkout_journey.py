"""The shopper's whole journey in a real browser: home, a category with filters, two products
into the bag, a quantity change and a removal, log-in (the guest bag merges into the account),
checkout and cancel. Once with JavaScript on (htmx, no page loads where there should be none)
and once with it off (plain forms and 303s)."""

from __future__ import annotations

import re
import secrets

import aiomysql
import pytest
from playwright.async_api import expect

from tests.browser.pages import add_first_available, fill_address
from tests.factories import make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_home_to_order_to_cancel(shop, browser, javascript):
    base = shop["url"]
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    user = await make_user(conn, email=f"kavya.{secrets.token_hex(3)}@example.in", name="Kavya Menon")
    conn.close()
    context = await browser.new_context(java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    page = await context.new_page()

    await page.goto(base + "/")
    await page.get_by_role("navigation", name="Categories").get_by_role("link", name="Kurtis").click()
    await expect(page.locator("h1")).to_have_text("Kurtis")
    if javascript:
        await page.evaluate("window.__stillHere = 'listing'")
    await page.locator("#filters summary").click()  # on a phone the filters wait behind "Filter and sort"
    await page.locator("select[name=sort]").select_option("price_asc")
    await page.get_by_label("In stock only").check()
    if not javascript:
        await page.get_by_role("button", name="Apply").click()
    await expect(page).to_have_url(re.compile(r"/c/kurtis\?sort=price_asc.*&in_stock=1"))
    if javascript:
        assert await page.evaluate("window.__stillHere") == "listing", "filters swapped the results in place"
    prices = [
        int((await p.text_content()).strip("₹").replace(",", ""))
        for p in await page.locator(".product-card .product-price").all()
    ]
    assert prices == sorted(prices) and prices

    cards = page.locator(".product-card a")
    first_href = await cards.nth(0).get_attribute("href")
    second_href = await cards.nth(1).get_attribute("href")
    await cards.nth(0).click()
    await add_first_available(page, javascript)
    await page.goto(base + second_href)
    await add_first_available(page, javascript)
    await expect(page.locator("#bag-count")).to_have_text("2")

    await page.locator("a.bag-link").click()
    lines = page.locator(".bag-line")
    await expect(lines).to_have_count(2)
    await lines.nth(0).locator("input[name=quantity]").fill("2")
    await lines.nth(0).get_by_role("button", name="Update").click()
    await expect(page.locator("#bag-count")).to_have_text("3")
    await lines.nth(1).get_by_role("button", name="Remove").click()
    await expect(page.locator(".bag-line")).to_have_count(1)
    await expect(page.locator("#bag-count")).to_have_text("2")

    # log in from the bag: the guest bag joins the account's
    await page.goto(f"{base}/account/login?next=/checkout")
    await page.fill("#f-email", user["email"])
    await page.fill("#f-password", user["password"])
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(f"{base}/checkout")
    await expect(page.locator("main")).to_contain_text("Your bag of 2 items is now saved to your account")
    await expect(page.locator("#bag-count")).to_have_text("2")

    await fill_address(
        page,
        name="Kavya Menon",
        line1="Flat 4B, Sea Breeze Apartments, Marine Drive",
        city="Kochi",
        state="Kerala",
        pin_code="682031",
        mobile="9447012345",
    )
    await page.get_by_role("button", name="Place order").click()
    await expect(page.locator("h1")).to_contain_text("Order MC")
    assert "is placed" in await page.text_content("main")
    await expect(page.locator("#bag-count")).to_have_text("0")
    assert first_href  # (the first product is in the order)

    await page.get_by_role("button", name="Cancel this order").click()
    await expect(page.locator("main")).to_contain_text("is cancelled")
    await expect(page.locator(".status").first).to_have_text("Cancelled")
    await context.close()
