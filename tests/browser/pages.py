"""Steps several browser journeys share."""

from __future__ import annotations

from playwright.async_api import expect


async def fill_address(page, *, name: str, line1: str, city: str, state: str, pin_code: str, mobile: str) -> None:
    """The delivery address form (checkout's, or the account's)."""
    await page.fill("#f-full_name", name)
    await page.fill("#f-line1", line1)
    await page.fill("#f-city", city)
    await page.select_option("#f-state", state)
    await page.fill("#f-pin_code", pin_code)
    await page.fill("#f-mobile", mobile)


async def add_first_available(page, javascript: bool) -> None:
    """On a product page: "Add to bag" with the pre-selected size and colour. With JavaScript, once
    the page has loaded: a click before htmx has started is a plain form post (which works, and
    answers with a new page, not in the status region: a full run once clicked that early)."""
    if javascript:
        await page.wait_for_load_state("load")
    await page.get_by_role("button", name="Add to bag").click()
    if javascript:
        await expect(page.locator("#add-to-bag-status")).to_contain_text("Added 1 to your bag")
    else:
        await expect(page.locator("main")).to_contain_text("Added 1 to your bag")


async def log_in(page, base: str, email: str, password: str, next_path: str = "/") -> None:
    await page.goto(f"{base}/account/login?next={next_path}")
    await page.fill("#f-email", email)
    await page.fill("#f-password", password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(base + next_path)


async def go_to_checkout(page) -> None:
    """From any page: the header's bag link, then the bag's Checkout button."""
    await page.locator("a.bag-link").click()
    await page.get_by_role("link", name="Checkout").click()


async def place_order(page) -> str:
    """Press "Place order" and wait for the order's page; returns the order number."""
    await page.get_by_role("button", name="Place order").click()
    await expect(page.locator("h1")).to_contain_text("Order MC")
    return (await page.locator("h1").text_content()).split()[-1]


async def cancel_order(page) -> None:
    """On an order's page: cancel it (the stock goes back). Journeys that share the browser tests'
    shop end with this, so the back office's sales figures show only the orders that are kept."""
    await page.get_by_role("button", name="Cancel this order").click()
    await expect(page.locator("main")).to_contain_text("is cancelled")
