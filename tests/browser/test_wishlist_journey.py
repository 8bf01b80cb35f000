"""The wishlist in a real browser, with JavaScript on and off: a guest presses the heart on a
product card, logs in and is back on the listing with the product wished; the heart empties and
fills in place; the header's link leads to the wishlist, where "Move to bag" puts the size in the
bag. And axe finds no serious or critical violation on the wishlist page, empty or not."""

from __future__ import annotations

import re
import secrets

import aiomysql
import pytest
from playwright.async_api import expect

from tests.browser.conftest import AXE, VIEWPORTS, audit
from tests.factories import make_user

pytestmark = pytest.mark.browser
both_modes = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


async def newest_in_stock(shop) -> dict:
    """The newest demo product with a size in stock: first on its category's "newest" listing."""
    conn = await aiomysql.connect(**shop["db"].connect_kwargs(), cursorclass=aiomysql.DictCursor)
    try:
        async with conn.cursor() as cur:
            await cur.execute(
                "SELECT p.id, p.slug, p.name, c.slug AS category_slug FROM products p "
                "JOIN categories c ON c.id = p.category_id "
                "WHERE p.id = (SELECT MAX(p2.id) FROM products p2 WHERE p2.category_id = p.category_id) "
                "AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND v.stock > 0) "
                "ORDER BY p.id DESC LIMIT 1"
            )
            return await cur.fetchone()
    finally:
        conn.close()


async def new_shopper(shop) -> dict:
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    try:
        return await make_user(conn, email=f"wish.{secrets.token_hex(4)}@example.in", name="Meera Iyer")
    finally:
        conn.close()


async def click(page, locator, javascript: bool) -> None:
    """Press a button: without JavaScript the browser loads the page the form answers with."""
    if javascript:
        await locator.click()
    else:
        async with page.expect_navigation():
            await locator.click()


@both_modes
async def test_a_guest_hearts_a_card_logs_in_and_moves_it_to_the_bag(shop, browser, javascript):
    product, user = await newest_in_stock(shop), await new_shopper(shop)
    base, name = shop["url"], product["name"]
    listing = f"/c/{product['category_slug']}?sort=new"
    context = await browser.new_context(java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    page = await context.new_page()
    await page.goto(base + listing)
    await page.wait_for_load_state("load")

    # a guest's heart asks her to log in, and brings her back with the product wished
    heart = page.get_by_role("button", name=f"Add {name} to wishlist")
    await expect(heart).to_have_attribute("aria-pressed", "false")
    await heart.click()
    await expect(page).to_have_url(re.compile(re.escape(f"{base}/account/login?next=")))
    await page.fill("#f-email", user["email"])
    await page.fill("#f-password", user["password"])
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(base + listing)
    await expect(page.get_by_text("We saved the piece you chose to your wishlist.")).to_be_visible()
    await page.wait_for_load_state("load")
    await expect(page.get_by_role("button", name=f"Remove {name} from wishlist")).to_have_attribute(
        "aria-pressed", "true"
    )

    # the heart empties and fills again, in place with JavaScript (no page load), or by a round trip without
    if javascript:
        await page.evaluate("window.__stillHere = 'yes'")
    await click(page, page.get_by_role("button", name=f"Remove {name} from wishlist"), javascript)
    await expect(page.get_by_role("button", name=f"Add {name} to wishlist")).to_have_attribute("aria-pressed", "false")
    await click(page, page.get_by_role("button", name=f"Add {name} to wishlist"), javascript)
    await expect(page.get_by_role("button", name=f"Remove {name} from wishlist")).to_have_attribute(
        "aria-pressed", "true"
    )
    if javascript:
        assert await page.evaluate("window.__stillHere") == "yes"
        # the button kept the keyboard focus through the swap
        assert (
            await page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Remove {name} from wishlist"
        )
    assert page.url == base + listing

    # the header's link, then "Move to bag" with the first size in stock
    async with page.expect_navigation():
        await page.locator("a.wishlist-link").click()
    await expect(page.locator("h1")).to_have_text("Your wishlist")
    item = page.locator(f"#wish-{product['id']}")
    await expect(item).to_contain_text(name)
    assert (await page.text_content("#bag-count")).strip() == "0"
    if javascript:
        await page.evaluate("window.__stillHere = 'wishlist'")
    await click(page, item.get_by_role("button", name="Move to bag"), javascript)
    await expect(page.locator("#bag-count")).to_have_text("1")
    await expect(page.locator("#wishlist")).to_contain_text("Your wishlist is empty")
    await expect(page.locator("main")).to_contain_text(f"Moved {name} to your bag.")
    if javascript:
        assert await page.evaluate("window.__stillHere") == "wishlist"
    await page.goto(f"{base}/bag")
    await expect(page.locator("#bag-lines")).to_contain_text(name)
    await context.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
async def test_the_wishlist_page_has_no_serious_accessibility_violations(shop, browser, viewport):
    assert AXE.exists(), "scripts/test installs axe-core from npm"
    product, user = await newest_in_stock(shop), await new_shopper(shop)
    base = shop["url"]
    context = await browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{base}/account/login?next=/wishlist")
    await page.fill("#f-email", user["email"])
    await page.fill("#f-password", user["password"])
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(f"{base}/wishlist")
    await expect(page.locator("#wishlist")).to_contain_text("Your wishlist is empty")
    problems = await audit(page, "wishlist-empty", viewport)
    await page.goto(f"{base}/products/{product['slug']}")
    await page.get_by_role("button", name=f"Add {product['name']} to wishlist").click()
    await expect(page.get_by_role("button", name=f"Remove {product['name']} from wishlist")).to_be_visible()
    problems += await audit(page, "product-wished", viewport)
    await page.goto(f"{base}/wishlist")
    await expect(page.locator(f"#wish-{product['id']}")).to_be_visible()
    problems += await audit(page, "wishlist", viewport)
    await context.close()
    assert problems == []
