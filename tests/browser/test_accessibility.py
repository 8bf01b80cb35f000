"""axe-core (from npm) finds no serious or critical accessibility violation on the shop's main
pages, on a phone and on a desktop; screenshots of each are kept under artifacts/screenshots."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import aiomysql
import pytest
from playwright.async_api import expect

from tests.browser.conftest import AXE, VIEWPORTS, audit, in_stock_product
from tests.factories import make_user, next_code

pytestmark = pytest.mark.browser


async def on_page(page, path: str, heading: str) -> None:
    """The browser is where the test meant it to be (a failed log-in would leave it on the log-in
    page, and the audit would check that page again instead)."""
    await expect(page.locator("h1")).to_have_text(heading)
    assert urlsplit(page.url).path == path, page.url


async def log_in(page, base, user, viewport: str) -> list[str]:
    """Log in through the form; for a two-step account, audit the code page and type the code.
    Ends on the home page, signed in."""
    await page.goto(f"{base}/account/login")
    await page.fill("#f-email", user["email"])
    await page.fill("#f-password", user["password"])
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_load_state("load")
    problems = []
    if "two_step_secret" in user:
        await on_page(page, "/account/login/code", "Your sign-in code")
        problems += await audit(page, "login-code", viewport)
        await page.fill("#f-code", next_code(user))
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_load_state("load")
    assert urlsplit(page.url).path == "/", f"the log-in did not go through: {page.url}"
    await expect(page.get_by_text(f"Welcome back, {user['name'].split()[0]}!")).to_be_visible()
    return problems


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
async def test_main_pages_have_no_serious_accessibility_violations(shop, browser, viewport):
    assert AXE.exists(), "scripts/test installs axe-core from npm"
    base = shop["url"]
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    shopper = await make_user(conn, email=f"a11y.{secrets.token_hex(3)}@example.in", name="Anu Shopper")
    staff = await make_user(conn, email=f"a11y.staff.{secrets.token_hex(3)}@mooncart.in", is_staff=True)
    conn.close()
    product = await in_stock_product(shop)
    # axe is injected as a script, which the shop's CSP (rightly) forbids: audit with CSP bypassed
    context = await browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = await context.new_page()
    problems: list[str] = []
    await page.goto(f"{base}/")
    problems += await audit(page, "home", viewport)
    await page.goto(f"{base}/c/kurtis")
    problems += await audit(page, "listing", viewport)
    await page.goto(f"{base}/products/{product['slug']}")
    await page.get_by_role("button", name="Add to bag").click()
    await page.wait_for_selector("#add-to-bag-status .notice")
    problems += await audit(page, "product", viewport)
    await page.goto(f"{base}/bag")
    await on_page(page, "/bag", "Your bag")
    problems += await audit(page, "bag", viewport)
    await page.goto(f"{base}/account/login")
    await on_page(page, "/account/login", "Log in")
    problems += await audit(page, "login", viewport)
    problems += await log_in(page, base, shopper, viewport)
    await page.goto(f"{base}/checkout")
    await on_page(page, "/checkout", "Checkout")
    problems += await audit(page, "checkout", viewport)
    await page.goto(f"{base}/account/two-step")
    await page.get_by_role("button", name="Set up two-step sign-in").click()
    await page.wait_for_load_state("load")
    await on_page(page, "/account/two-step", "Two-step sign-in")
    await expect(page.locator(".qr-code svg")).to_be_visible()  # the setting-up state, with its QR code
    problems += await audit(page, "two-step-setup", viewport)
    await context.close()

    context = await browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = await context.new_page()
    problems += await log_in(page, base, staff, viewport)
    await page.goto(f"{base}/admin")
    await on_page(page, "/admin", "Dashboard")
    problems += await audit(page, "dashboard", viewport)
    await context.close()
    assert problems == []
