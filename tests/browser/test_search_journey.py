"""A shopper on a phone searches from the header: types "lehnga", picks a suggestion with the
keyboard and lands on the product; with JavaScript off the same box is a form that opens the
results page. axe finds no serious violation on the results, the empty results and the open
suggestions."""

from __future__ import annotations

from urllib.parse import urlsplit

import aiomysql
import pytest
from playwright.async_api import expect

from tests.browser.conftest import AXE, VIEWPORTS, audit

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


async def lehengas(shop) -> list[str]:
    """The demo catalogue's lehenga slugs (the seeded catalogue has some: seed 3, 40 products)."""
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    try:
        async with conn.cursor() as cur:
            await cur.execute(
                "SELECT p.slug FROM products p JOIN categories c ON c.id = p.category_id WHERE c.slug = 'lehengas'"
            )
            return [row[0] for row in await cur.fetchall()]
    finally:
        conn.close()


async def test_a_phone_shopper_types_lehnga_and_picks_a_suggestion_with_the_keyboard(shop, browser):
    slugs = await lehengas(shop)
    assert slugs, "the demo catalogue has lehengas"
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    suggest_requests = []
    page.on("request", lambda r: "/search/suggest" in r.url and suggest_requests.append(r.url))
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    await page.goto(f"{shop['url']}/")
    await page.wait_for_load_state("load")
    box = page.get_by_role("combobox", name="Search the shop")
    await expect(box).to_be_visible()
    await expect(box).to_have_attribute("aria-expanded", "false")
    await box.click()
    await page.keyboard.type("lehnga", delay=40)  # faster than the debounce: one request, not six
    listbox = page.get_by_role("listbox", name="Search suggestions")
    await expect(listbox).to_be_visible()
    await expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    await expect(options.first).to_contain_text("Lehengas")
    assert len(suggest_requests) <= 2, suggest_requests
    await expect(page.locator("#search-suggestions-status")).to_contain_text("suggestions")

    await page.keyboard.press("ArrowDown")  # the category
    await expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    await expect(box).to_have_attribute("aria-activedescendant", "suggestion-0")
    await page.keyboard.press("ArrowDown")  # the best matching lehenga
    await expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    await expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    await expect(box).to_have_attribute("aria-activedescendant", "suggestion-1")
    await expect(box).to_be_focused()  # focus stays in the box (aria-activedescendant)
    target = await options.nth(1).get_attribute("data-href")
    assert target.rsplit("/", 1)[1] in slugs
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**{target}")
    assert urlsplit(page.url).path == target
    await expect(page.locator("h1")).to_be_visible()

    # Escape closes the list; the box then submits as a form
    await page.goto(f"{shop['url']}/c/kurtis")
    await page.wait_for_load_state("load")
    box = page.get_by_role("combobox", name="Search the shop")
    await box.click()
    await page.keyboard.type("sari", delay=40)
    await expect(page.get_by_role("listbox", name="Search suggestions")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(box).to_have_attribute("aria-expanded", "false")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/search?q=sari")
    await expect(page.locator("h1")).to_have_text("Results for “sari”")
    assert await page.locator("#search-grid .product-card").count() > 0
    assert console_errors == []
    await context.close()


async def test_with_javascript_off_the_header_box_is_a_form_to_the_results(shop, browser):
    slugs = await lehengas(shop)
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/")
    await page.fill("#site-search", "lehnga")
    await page.press("#site-search", "Enter")
    await page.wait_for_url("**/search?q=lehnga")
    await expect(page.locator("h1")).to_have_text("Results for “lehnga”")
    found = [
        (await card.get_attribute("href")).rsplit("/", 1)[1]
        for card in await page.locator("#search-grid .product-card a").all()
    ]
    assert found and set(found) == set(slugs)
    # the filters are a plain form too: in stock only, then the chip takes it off again
    await page.locator("summary").click()
    await page.get_by_label("In stock only").check()
    await page.get_by_role("button", name="Apply").click()
    await page.wait_for_load_state("load")
    assert "in_stock=1" in page.url and "q=lehnga" in page.url
    await page.get_by_role("link", name="Remove In stock only").click()
    await page.wait_for_load_state("load")
    assert urlsplit(page.url).query == "q=lehnga"
    await context.close()


async def test_a_colour_and_a_misspelt_category_find_the_red_lehenga_first(shop, browser):
    """ "red lehnga" from the header on a phone: the demo catalogue's red lehenga set leads the
    results (the demo has a red since "red kurti" found nothing in it)."""
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    try:
        async with conn.cursor() as cur:
            await cur.execute(
                "SELECT DISTINCT p.slug FROM products p JOIN categories c ON c.id = p.category_id "
                "JOIN variants v ON v.product_id = p.id JOIN colours co ON co.id = v.colour_id "
                "WHERE c.slug = 'lehengas' AND co.name = 'Red'"
            )
            red_lehengas = {row[0] for row in await cur.fetchall()}
    finally:
        conn.close()
    assert red_lehengas, "the demo catalogue (seed 3, 40 products) has a red lehenga"
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/")
    await page.fill("#site-search", "red lehnga")
    await page.press("#site-search", "Enter")
    await page.wait_for_url("**/search?q=red+lehnga")
    first = await page.locator("#search-grid .product-card a").first.get_attribute("href")
    assert first.rsplit("/", 1)[1] in red_lehengas
    await context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
async def test_the_search_pages_have_no_serious_accessibility_violations(shop, browser, viewport):
    assert AXE.exists(), "scripts/test installs axe-core from npm"
    context = await browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = await context.new_page()
    problems: list[str] = []
    await page.goto(f"{shop['url']}/search?q=lehnga")
    problems += await audit(page, "search", viewport)
    await page.goto(f"{shop['url']}/search?q=spacesuit&colour=Teal")
    await expect(page.locator(".search-next-steps")).to_be_visible()
    problems += await audit(page, "search-nothing", viewport)
    await page.goto(f"{shop['url']}/search")
    problems += await audit(page, "search-empty", viewport)
    await page.goto(f"{shop['url']}/")
    await page.wait_for_load_state("load")
    await page.get_by_role("combobox", name="Search the shop").click()
    await page.keyboard.type("kurti", delay=40)
    await expect(page.get_by_role("listbox", name="Search suggestions")).to_be_visible()
    await page.keyboard.press("ArrowDown")
    problems += await audit(page, "search-suggestions", viewport)
    await context.close()
    assert problems == []
