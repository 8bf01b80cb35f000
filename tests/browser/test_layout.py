"""Every kind of page fits a phone and a desktop: at 320, 390, 768 and 1366 px wide nothing sticks
out sideways (no element past the viewport or out of its box, no control wider than its panel, no
sideways scrolling), and on a phone a listing shows products before its filters.
Screenshots of every page at every width are kept under artifacts/layout."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import aiomysql
import pytest
from playwright.async_api import expect

from tests.browser.conftest import in_stock_product
from tests.browser.pages import fill_address
from tests.factories import make_address, make_user, next_code

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "layout"
WIDTHS = {320: 640, 390: 844, 768: 1024, 1366: 768}  # width: height of a common device of that width

# Finds what sticks out sideways on the current page. The rules:
# - the page itself does not scroll sideways;
# - every rendered element lies inside the viewport and inside its parent's box, except inside
#   a scroll container made for sideways scrolling (the category strip, the photo gallery), where
#   only the container itself has to fit;
# - no element's own content (a long word, a wide child) is wider than the element, unless it is
#   cut short with an ellipsis on purpose (a long first name in the header);
# - something absolutely placed, or hidden on purpose (.visually-hidden, the skip link waiting
#   off-screen for focus), is measured against the viewport only, or not at all.
OVERFLOW_JS = """
() => {
  const slack = 1;  // sub-pixel rounding
  const root = document.documentElement;
  const viewport = root.clientWidth;
  const problems = [];
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.classList.length) name += '.' + [...el.classList].join('.');
    if (el.getAttribute('name')) name += `[name=${el.getAttribute('name')}]`;
    const parent = el.parentElement;
    if (parent && parent !== document.body) {
      let p = parent.tagName.toLowerCase();
      if (parent.id) p += '#' + parent.id;
      if (parent.classList.length) p += '.' + [...parent.classList].join('.');
      name = p + ' > ' + name;
    }
    return name;
  };
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const hiddenOnPurpose = (el) => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      const r = a.getBoundingClientRect();
      if (s.clip !== 'auto' && r.width <= 1) return true;            // .visually-hidden
      if (s.position === 'absolute' && r.right <= 0) return true;   // the skip link until focused
      if (s.opacity === '0' && s.position === 'absolute') return true;  // a styled radio's real input
    }
    return false;
  };
  if (root.scrollWidth > root.clientWidth) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth}px of content in ${root.clientWidth}px`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'TEMPLATE', 'OPTION', 'HX-PARTIAL'].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || style.display === 'contents') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered (e.g. inside a closed <details>)
    if (hiddenOnPurpose(el)) continue;
    let inScroller = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrolls(a)) { inScroller = true; break; }
    }
    const name = describe(el);
    if (!inScroller && (box.left < -slack || box.right > viewport + slack)) {
      problems.push(`${name} spans ${Math.round(box.left)}..${Math.round(box.right)}px in a ${viewport}px viewport`);
      continue;
    }
    const parent = el.parentElement;
    if (parent && parent !== document.body && !scrolls(parent) && !['absolute', 'fixed'].includes(style.position)
        && getComputedStyle(parent).display !== 'inline') {
      const p = parent.getBoundingClientRect();
      if (box.left < p.left - slack || box.right > p.right + slack) {
        const kind = ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(el.tagName) ? 'control' : 'element';
        problems.push(`${kind} ${name} spans ${Math.round(box.left)}..${Math.round(box.right)}px, `
                      + `outside its parent's ${Math.round(p.left)}..${Math.round(p.right)}px`);
        continue;
      }
    }
    const truncated = style.textOverflow === 'ellipsis' && ['hidden', 'clip'].includes(style.overflowX);
    if (!scrolls(el) && !truncated && style.display !== 'inline' && el.scrollWidth > el.clientWidth + slack
        && el.clientWidth > 0 && !['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)) {
      problems.push(`${name} holds ${el.scrollWidth}px of content in ${el.clientWidth}px`);
    }
  }
  return problems;
}
"""


async def overflow(page, name: str, width: int, screenshot: bool = True) -> list[str]:
    """What sticks out on the current page, as readable lines; and a screenshot of it."""
    await page.wait_for_load_state("load")  # not "networkidle": product and bag pages keep a live stream open
    if screenshot:
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    return [f"{name} at {width}px: {problem}" for problem in await page.evaluate(OVERFLOW_JS)]


async def log_in(page, base: str, user: dict) -> list[str]:
    """Log in through the form (and the two-step code page, checked on the way, for staff)."""
    await page.goto(f"{base}/account/login")
    await page.fill("#f-email", user["email"])
    await page.fill("#f-password", user["password"])
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_load_state("load")
    if not page.url.endswith("/account/login/code"):
        return []
    width = page.viewport_size["width"]
    problems = await overflow(page, "login-code", width)
    await page.fill("#f-code", next_code(user))
    await page.get_by_role("button", name="Log in").click()
    await expect(page).not_to_have_url(f"{base}/account/login/code")
    return problems


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_no_page_sticks_out_sideways(shop, browser, width):
    base = shop["url"]
    tag = secrets.token_hex(3)
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    # long, real names: the header greets her by first name, the account page shows her email
    shopper = await make_user(
        conn, email=f"venkatalakshmi.subramanian.{tag}@example.co.in", name="Venkatalakshmi Subramanian"
    )
    await make_address(conn, shopper["id"])
    staff = await make_user(conn, email=f"layout.staff.{tag}@mooncart.in", name="Lata Owner", is_staff=True)
    conn.close()
    product = await in_stock_product(shop)
    viewport = {"width": width, "height": WIDTHS[width]}
    problems: list[str] = []

    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    await page.goto(f"{base}/")
    problems += await overflow(page, "home", width)

    # a listing with filters applied, its filter panel closed and open
    await page.goto(f"{base}/c/kurtis?sort=price_asc&size=M&size=L&min=500&max=250000&in_stock=1")
    await expect(page.locator(".product-card").first).to_be_visible()
    problems += await overflow(page, "listing", width)
    if not await page.locator("select[name=sort]").is_visible():
        await page.locator("#filters summary").click()
    await expect(page.locator("select[name=sort]")).to_be_visible()
    problems += await overflow(page, "listing-filters", width)

    await page.goto(f"{base}/products/{product['slug']}")
    await page.get_by_role("button", name="Add to bag").click()
    await expect(page.locator("#add-to-bag-status .notice")).to_be_visible()
    problems += await overflow(page, "product", width)

    await page.goto(f"{base}/account/register")
    problems += await overflow(page, "register", width)
    await page.goto(f"{base}/account/login")
    problems += await overflow(page, "login", width)
    problems += await log_in(page, base, shopper)

    await page.goto(f"{base}/bag")
    await expect(page.locator(".bag-line")).to_have_count(1)
    problems += await overflow(page, "bag", width)
    await page.goto(f"{base}/checkout")
    problems += await overflow(page, "checkout", width)
    # (a new address: the saved one's radio is checked, but the empty required new-address fields
    # below it stop the browser from sending the form)
    await page.get_by_label("A new address").check()
    await fill_address(
        page,
        name="Venkatalakshmi Subramanian",
        line1="Flat 12, Lotus Residency, 80 Feet Road",
        city="Bengaluru",
        state="Karnataka",
        pin_code="560038",
        mobile="9876543210",
    )
    await page.get_by_role("button", name="Place order").click()
    await expect(page.locator("h1")).to_contain_text("Order MC")
    order_number = (await page.locator("h1").text_content()).split("Order ", 1)[1].split()[0]
    problems += await overflow(page, "order", width)
    await page.goto(f"{base}/orders")
    problems += await overflow(page, "orders", width)
    for name, path in (
        ("account", "/account"),
        ("addresses", "/account/addresses"),
        ("password", "/account/password"),
        ("two-step", "/account/two-step"),
        ("not-found", "/c/no-such-category"),
    ):
        await page.goto(base + path)
        problems += await overflow(page, name, width)
    await page.goto(f"{base}/account/two-step")
    await page.get_by_role("button", name="Set up two-step sign-in").click()
    await expect(page.locator("[data-secret]")).to_be_visible()
    problems += await overflow(page, "two-step-setup", width)

    staff_context = await browser.new_context(viewport=viewport)
    page = await staff_context.new_page()
    problems += await log_in(page, base, staff)
    await page.goto(f"{base}/admin/products?q=kurti")
    edit_href = await page.locator("main table a[href^='/admin/products/']").first.get_attribute("href")
    for name, path in (
        ("admin-dashboard", "/admin"),
        ("admin-products", "/admin/products"),
        ("admin-product", edit_href),
        ("admin-new-product", "/admin/products/new"),
        ("admin-orders", "/admin/orders"),
        ("admin-order", f"/admin/orders/{order_number}"),
        ("admin-low-stock", "/admin/stock/low"),
        ("admin-categories", "/admin/categories"),
    ):
        await page.goto(base + path)
        await expect(page.locator("h1")).to_be_visible()
        problems += await overflow(page, name, width)
        if name == "admin-product":
            history_href = await page.get_by_role("link", name="Stock history").first.get_attribute("href")
    await page.goto(base + history_href)
    problems += await overflow(page, "admin-stock-history", width)
    await staff_context.close()

    # she cancels the order again: other tests count today's orders on the dashboard
    page = context.pages[0]
    await page.goto(f"{base}/orders/{order_number}")
    await page.get_by_role("button", name="Cancel this order").click()
    await expect(page.locator("main")).to_contain_text("is cancelled")
    await context.close()
    assert not problems, "sticks out:\n" + "\n".join(problems)


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_a_phone_listing_shows_products_before_filters(shop, browser, javascript):
    """The first kurti is on the first screen; the filters wait behind "Filter and sort", which
    opens from the keyboard with or without JavaScript, still filters the results (in place, with
    htmx), and what is chosen shows above the results as chips that take it off again."""
    base = shop["url"]
    context = await browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=javascript)
    page = await context.new_page()
    await page.goto(f"{base}/c/kurtis")
    await expect(page.locator(".product-card").first).to_be_visible()
    box = await page.locator(".product-card").first.bounding_box()
    bottom = box["y"] + box["height"]
    assert bottom <= 844, f"the first product card ends at {bottom}px, below the fold"
    sort = page.locator("select[name=sort]")
    await expect(sort).to_be_hidden()
    await expect(page.locator(".applied-filters")).to_have_count(0)
    if javascript:
        await page.evaluate("window.__stillHere = true")

    await page.locator("#filters summary").focus()
    await page.keyboard.press("Enter")
    await expect(sort).to_be_visible()
    await page.get_by_label("In stock only").check()
    if not javascript:
        await page.get_by_role("button", name="Apply").click()
    await expect(page).to_have_url(re.compile(r"/c/kurtis\?.*in_stock=1"))
    chip = page.get_by_role("link", name="Remove In stock only")
    await expect(chip).to_be_visible()
    if javascript:
        assert await page.evaluate("window.__stillHere") is True, "the filters swapped the results in place"
        await expect(sort).to_be_visible()  # the panel stays open while she ticks more
    else:
        await expect(sort).to_be_hidden()  # a new page: products first again, the choice in a chip
        box = await page.locator(".product-card").first.bounding_box()
        assert box["y"] + box["height"] <= 844

    await chip.click()
    await expect(page).not_to_have_url(re.compile(r"in_stock"))
    await expect(page.get_by_label("In stock only")).not_to_be_checked()
    await expect(page.locator(".applied-filters")).to_have_count(0)
    await context.close()


async def test_a_desktop_listing_shows_its_filters_beside_the_products(shop, browser):
    """From 60rem the same closed <details> shows its filters as a sidebar, without a toggle that
    would do nothing; they are reachable from the keyboard and still swap the results in place."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    await page.goto(f"{shop['url']}/c/kurtis")
    await page.evaluate("window.__stillHere = true")
    sort = page.locator("select[name=sort]")
    await expect(sort).to_be_visible()
    await expect(page.locator("#filters summary")).to_be_hidden()
    await expect(page.get_by_role("heading", name="Filter and sort")).to_be_visible()
    panel = await page.locator("#filters").bounding_box()
    results = await page.locator("#listing-results").bounding_box()
    assert panel["x"] + panel["width"] <= results["x"] and panel["y"] < results["y"] + results["height"], "side by side"
    await sort.focus()
    await expect(sort).to_be_focused()
    await sort.select_option("price_desc")
    await expect(page).to_have_url(re.compile(r"sort=price_desc"))
    await expect(page.get_by_role("link", name="Remove Price: high to low")).to_be_visible()
    prices = [
        int((await p.text_content()).strip("₹").replace(",", ""))
        for p in await page.locator(".product-card .product-price").all()
    ]
    assert prices == sorted(prices, reverse=True) and prices
    assert await page.evaluate("window.__stillHere") is True

    # each chip takes off its own choice and keeps the others
    await page.goto(f"{shop['url']}/c/kurtis?sort=price_asc&size=M&size=L&colour=Emerald&max=3000")
    await page.get_by_role("link", name="Remove Size M").click()
    await expect(page.get_by_role("link", name="Remove Size L")).to_be_visible()
    await expect(page.get_by_role("link", name="Remove Size M")).to_have_count(0)
    for kept in ("Remove Price: low to high", "Remove Emerald", "Remove Up to ₹3,000"):
        await expect(page.get_by_role("link", name=kept)).to_be_visible()
    # the size boxes' labels carry their counts ("M (3)") since the facets: found by their values
    await expect(page.locator("#filters input[name=size][value=M]")).not_to_be_checked()
    await expect(page.locator("#filters input[name=size][value=L]")).to_be_checked()
    await page.get_by_role("link", name="Clear filters").click()
    await expect(page.get_by_role("link", name="Remove Price: low to high")).to_be_visible()  # the sort stays
    await expect(page.locator(".applied-filters .chip")).to_have_count(1)
    await context.close()


async def test_the_listing_and_its_filters_fit_every_width_from_320_to_1920(shop, browser):
    """The page of the original report (the price boxes stuck out of the desktop filter panel),
    with its filter panel open, at every width in steps of 20px and on each side of every
    breakpoint the stylesheet has."""
    edges = [w + d for w in (376, 480, 768, 960, 1152) for d in (-1, 0)]
    widths = sorted(set(range(320, 1921, 20)) | set(edges))
    context = await browser.new_context(viewport={"width": 320, "height": 800})
    page = await context.new_page()
    await page.goto(f"{shop['url']}/c/kurtis?sort=price_asc&size=M&min=500&max=250000&in_stock=1")
    await page.locator("#filters summary").click()
    problems: list[str] = []
    for width in widths:
        await page.set_viewport_size({"width": width, "height": 800})
        await expect(page.locator("input[name=max]")).to_be_visible()
        problems += await overflow(page, "listing-filters", width, screenshot=False)
    await context.close()
    assert not problems, "sticks out:\n" + "\n".join(problems)
