"""Checking delivery to a PIN on a phone-sized product page, with JavaScript on (htmx swaps the
answer in place) and off (the form is a GET to the product page); the size guide's cm/inch
switch without script; and axe on the product page with the new regions showing."""

from __future__ import annotations

import json
from pathlib import Path

import aiomysql
import pytest
from playwright.async_api import expect

from mooncart.delivery.rules import delivery_date, short_date, today_in_india
from tests.browser.conftest import in_stock_product

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


async def audit(page, name: str, viewport: str) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{name}/{viewport}: {v['id']} ({v['impact']}) {json.dumps([n['target'] for n in v['nodes']][:3])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def clothes_with_a_chart(shop) -> dict:
    """A demo kurti (its category has a chart of its own) and another product, to see the PIN kept."""
    conn = await aiomysql.connect(**shop["db"].connect_kwargs(), cursorclass=aiomysql.DictCursor)
    try:
        async with conn.cursor() as cur:
            await cur.execute(
                "SELECT p.slug FROM products p JOIN categories c ON c.id = p.category_id "
                "WHERE c.slug = 'kurtis' AND EXISTS (SELECT 1 FROM variants v JOIN sizes s ON s.id = v.size_id "
                "WHERE v.product_id = p.id AND s.size_group = 'apparel') ORDER BY p.id LIMIT 2"
            )
            return await cur.fetchall()
    finally:
        conn.close()


def bengaluru_date() -> str:
    return short_date(delivery_date(today_in_india(), 1))  # the seeded table: Bengaluru in 1 day


async def no_sideways_scroll(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def test_checking_delivery_with_javascript_swaps_the_answer_in_place(shop, browser):
    first, second = await clothes_with_a_chart(shop)
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/products/{first['slug']}")
    await page.wait_for_load_state("load")
    await page.evaluate("window.__stillHere = 'yes'")
    box = page.locator("#delivery-check")
    await box.get_by_label("PIN code").fill("56000")
    await box.get_by_role("button", name="Check").click()
    await expect(page.locator("#delivery-error")).to_contain_text("6 digits")
    await box.get_by_label("PIN code").fill("560001")
    await box.get_by_role("button", name="Check").click()
    await expect(page.locator("#delivery-estimate")).to_contain_text(f"Deliver to 560001: by {bengaluru_date()}")
    await expect(page.locator("#delivery-estimate")).to_contain_text("Cash on delivery available")
    await box.get_by_label("PIN code").fill("744101")
    await box.get_by_role("button", name="Check").click()
    await expect(page.locator("#delivery-estimate")).to_have_text("We don't deliver to 744101 yet.")
    assert await page.evaluate("window.__stillHere") == "yes"  # no page load
    assert page.url.endswith(f"/products/{first['slug']}")
    await no_sideways_scroll(page)
    # the last PIN checked is there on the next product page
    await page.goto(f"{shop['url']}/products/{second['slug']}")
    await expect(page.locator("#delivery-pin")).to_have_value("744101")
    await expect(page.locator("#delivery-estimate")).to_contain_text("We don't deliver to 744101 yet.")
    await context.close()


async def test_checking_delivery_works_with_javascript_off(shop, browser):
    first, second = await clothes_with_a_chart(shop)
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/products/{first['slug']}")
    await page.locator("#delivery-pin").fill("560 001")
    async with page.expect_navigation():
        await page.locator("#delivery-check").get_by_role("button", name="Check").click()
    assert f"/products/{first['slug']}?pin=560+001" in page.url and page.url.endswith("#delivery-check")
    estimate = page.locator("#delivery-estimate")
    await expect(estimate).to_contain_text(f"Deliver to 560001: by {bengaluru_date()}")
    await no_sideways_scroll(page)
    # the size guide opens and switches to inches without script
    await page.locator("#size-guide summary").click()
    first_cell = page.locator("#size-guide tbody td").first
    await expect(first_cell.locator(".unit-cm")).to_be_visible()
    await expect(first_cell.locator(".unit-in")).to_be_hidden()
    await page.locator("#size-guide").get_by_label("inches").check()
    await expect(first_cell.locator(".unit-in")).to_be_visible()
    await expect(first_cell.locator(".unit-cm")).to_be_hidden()
    await page.goto(f"{shop['url']}/products/{second['slug']}")
    await expect(page.locator("#delivery-estimate")).to_contain_text("Deliver to 560001")
    await context.close()


async def test_the_product_page_with_a_delivery_answer_and_the_size_guide_open_passes_axe(shop, browser):
    assert AXE.exists(), "scripts/test installs axe-core from npm"
    product = await in_stock_product(shop)
    (kurti, _) = await clothes_with_a_chart(shop)
    problems = []
    for viewport, size in (("phone", PHONE), ("desktop", {"width": 1280, "height": 900})):
        context = await browser.new_context(viewport=size, bypass_csp=True)  # axe is an injected script
        page = await context.new_page()
        for slug, pin, expected in ((kurti["slug"], "560001", "Deliver to"), (product["slug"], "12", "6 digits")):
            await page.goto(f"{shop['url']}/products/{slug}?pin={pin}")
            await expect(page.locator("#delivery-estimate")).to_contain_text(expected)
            if await page.locator("#size-guide summary").count():
                await page.locator("#size-guide summary").click()
            problems += await audit(page, f"product-delivery-{pin}", viewport)
        await context.close()
    assert problems == []
