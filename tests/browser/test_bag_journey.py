"""A shopper in a real browser: add to bag without a page load, then change and remove lines;
and the same with JavaScript turned off."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import in_stock_product

pytestmark = pytest.mark.browser


async def test_add_to_bag_updates_the_header_without_navigating(shop, browser):
    product = await in_stock_product(shop)
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    await page.goto(f"{shop['url']}/products/{product['slug']}")
    await page.wait_for_load_state("load")  # htmx (deferred) has set itself up
    await page.evaluate("window.__stillHere = 'yes'")  # a full page load would wipe this
    assert (await page.text_content("#bag-count")).strip() == "0"

    await page.get_by_role("button", name="Add to bag").click()
    await expect(page.locator("#bag-count")).to_have_text("1")
    assert await page.evaluate("window.__stillHere") == "yes"
    assert page.url.endswith(f"/products/{product['slug']}")
    assert "Added 1 to your bag" in await page.text_content("#add-to-bag-status")
    assert "1 in bag" in await page.text_content(f"#stock-{product['variant_id']}")

    # more than is left (the browser's own min/max checks pass) is refused inline, still without a page load
    await page.fill("input[name=quantity]", str(product["stock"]))
    await page.get_by_role("button", name="Add to bag").click()
    await page.wait_for_selector("#add-to-bag-status .error")
    assert "already in your bag" in await page.text_content("#add-to-bag-status")
    assert (await page.text_content("#bag-count")).strip() == "1"
    assert await page.evaluate("window.__stillHere") == "yes"

    # in the bag: change the quantity, then remove the line
    await page.goto(f"{shop['url']}/bag")
    await page.wait_for_load_state("load")
    await page.evaluate("window.__stillHere = 'bag'")
    line = page.locator(f"#bag-line-{product['variant_id']}")
    await line.locator("input[name=quantity]").fill("2")
    await line.get_by_role("button", name="Update").click()
    await expect(page.locator("#bag-count")).to_have_text("2")
    await line.get_by_role("button", name="Remove").click()
    await page.wait_for_selector(f"#bag-line-{product['variant_id']}", state="detached")
    assert (await page.text_content("#bag-count")).strip() == "0"
    assert "Your bag is empty" in await page.text_content("#bag-summary")
    assert await page.evaluate("window.__stillHere") == "bag"
    # htmx ran under the strict Content-Security-Policy without a single violation; the one
    # expected console error is the browser reporting the 422 refusal above
    assert [e for e in console_errors if "422" not in e] == []
    await context.close()


async def test_the_bag_works_with_javascript_off(shop, browser):
    product = await in_stock_product(shop)
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/products/{product['slug']}")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add to bag").click()
    assert page.url.endswith(f"/products/{product['slug']}")
    assert (await page.text_content("#bag-count")).strip() == "1"
    assert "Added 1 to your bag" in await page.text_content("main")

    await page.goto(f"{shop['url']}/bag")
    line = page.locator(f"#bag-line-{product['variant_id']}")
    await line.locator("input[name=quantity]").fill("3")
    async with page.expect_navigation():
        await line.get_by_role("button", name="Update").click()
    assert (await page.text_content("#bag-count")).strip() == "3"
    async with page.expect_navigation():
        await page.locator(f"#bag-line-{product['variant_id']}").get_by_role("button", name="Remove").click()
    assert "Your bag is empty" in await page.text_content("#bag-summary")
    await context.close()
