"""The owner's day in a real browser: add a new kurti with three sizes and a photo, see it in
the shop, watch a shopper's open page change when stock moves, receive an order and ship it."""

from __future__ import annotations

import secrets
import time

import aiomysql
import pyotp
import pytest
from PIL import Image
from playwright.async_api import expect

from tests.browser.pages import fill_address
from tests.factories import make_user

pytestmark = pytest.mark.browser


async def todays_sales_paise(page, base) -> int:
    """The dashboard's "Today" figure: other journeys share this shop and may keep orders, so the
    test compares before and after rather than expecting an exact total."""
    await page.goto(f"{base}/admin")
    text = await page.locator(".kpis li").first.locator("strong").inner_text()
    rupees, _, paise = text.replace("₹", "").replace(",", "").partition(".")
    return int(rupees) * 100 + int(paise or 0)


async def log_in(page, base, email, password):
    await page.goto(f"{base}/account/login")
    await page.fill("#f-email", email)
    await page.fill("#f-password", password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("main")).to_contain_text("Welcome")


async def set_up_two_step(page, base) -> str:
    """What an owner does the first time she opens the back office: scan (here: read) the key,
    type the app's code, keep the recovery codes. Returns the key."""
    await page.goto(f"{base}/admin")
    await expect(page.locator("main")).to_contain_text("The back office needs two-step sign-in")
    await page.get_by_role("button", name="Set up two-step sign-in").click()
    await expect(page.get_by_role("img", name="QR code for adding Mooncart to your authenticator app")).to_be_visible()
    secret = (await page.locator("[data-secret]").inner_text()).replace(" ", "")
    await page.fill("#f-code", pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Turn on two-step sign-in").click()
    await expect(page.locator(".recovery-codes li")).to_have_count(10)
    return secret


async def test_owner_adds_a_kurti_and_ships_its_first_order(shop, browser, tmp_path):
    base = shop["url"]
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    owner = await make_user(
        conn, email=f"owner.{secrets.token_hex(3)}@mooncart.in", name="Lata Owner", is_staff=True, two_step=False
    )
    conn.close()
    staff_context = await browser.new_context()
    staff = await staff_context.new_page()
    await log_in(staff, base, owner["email"], owner["password"])
    await set_up_two_step(staff, base)
    sales_before = await todays_sales_paise(staff, base)

    # a new kurti
    name = f"Rani Pink Anarkali Kurti {secrets.token_hex(2)}"
    await staff.goto(f"{base}/admin/products/new")
    await staff.fill("#f-name", name)
    await staff.select_option("#f-category_id", label="Ethnic wear › Kurtis")
    await staff.fill("#f-fabric", "Chanderi")
    await staff.fill("#f-price", "1799")
    await staff.get_by_role("button", name="Create product").click()
    await expect(staff.locator("h1")).to_have_text(name)
    for size, stock in (("S", "5"), ("M", "3"), ("L", "6")):
        form = staff.locator("form[action$='/variants']")
        await form.locator("select[name=size_id]").select_option(label=size)
        await form.locator("select[name=colour_id]").select_option(label="Rani Pink")
        await form.locator("input[name=sku]").fill(f"RPK-{secrets.token_hex(2)}-{size}")
        await form.locator("input[name=stock]").fill(stock)
        await form.get_by_role("button", name="Add").click()
        await expect(staff.locator("main")).to_contain_text("Variant added")
    photo = tmp_path / "kurti.png"
    Image.new("RGB", (600, 800), (233, 30, 99)).save(photo)
    await staff.set_input_files("#photo", str(photo))
    await staff.get_by_role("button", name="Upload photo").click()
    await expect(staff.locator("main")).to_contain_text("Photo added")
    product_url = await staff.get_by_role("link", name="See it in the shop").get_attribute("href")

    # a shopper has the product page open
    shopper_context = await browser.new_context(viewport={"width": 390, "height": 844})
    # note when the page's event stream is connected (an init script is not subject to the page's CSP)
    await shopper_context.add_init_script(
        "document.addEventListener('htmx:sse:after:connection', () => { window.__liveStock = true; });"
    )
    shopper = await shopper_context.new_page()
    await shopper.goto(base + product_url)
    await expect(shopper.locator("h1")).to_have_text(name)
    await expect(shopper.locator(".gallery img[src^='/media/uploads/']")).to_have_count(1)
    medium_badge = shopper.locator(".size-option", has_text="M").locator(".stock")
    await expect(medium_badge).to_have_text("Only 3 left")
    for _ in range(400):  # wait until the page's event stream is connected
        if await shopper.evaluate("window.__liveStock === true"):
            break
        await shopper.wait_for_timeout(50)
    else:
        raise AssertionError("the product page never connected its live stock stream")

    # the owner finds two damaged: the open page changes without a reload
    await shopper.evaluate("window.__stillHere = true")
    row = staff.locator(".variant-row", has_text="· M")
    await row.locator("input[name=change]").fill("-2")
    await row.locator("select[name=reason]").select_option("damaged")
    await row.get_by_role("button", name="Adjust stock").click()
    await expect(staff.locator(".variant-row", has_text="· M")).to_contain_text("now 1")
    committed = time.monotonic()  # the staff page has the reply, so the change is committed
    await expect(medium_badge).to_have_text("Only 1 left", timeout=3000)
    print(
        f"stock change reached the other browser within {(time.monotonic() - committed) * 1000:.0f} ms "
        "(an upper bound: includes Playwright's polling)"
    )
    assert await shopper.evaluate("window.__stillHere") is True

    # the shopper buys the last medium
    await shopper.locator(".size-option", has_text="M").click()
    await shopper.get_by_role("button", name="Add to bag").click()
    await expect(shopper.locator("#bag-count")).to_have_text("1")
    await shopper.goto(f"{base}/account/register?next=/checkout")
    await shopper.fill("#f-name", "Divya Rao")
    await shopper.fill("#f-email", f"divya.{secrets.token_hex(3)}@example.in")
    await shopper.fill("#f-mobile", "9845098450")
    await shopper.fill("#f-password", "jasmine in the hair")
    await shopper.get_by_role("button", name="Create account").click()
    await fill_address(
        shopper,
        name="Divya Rao",
        line1="22 Temple Street, Basavanagudi",
        city="Bengaluru",
        state="Karnataka",
        pin_code="560004",
        mobile="9845098450",
    )
    await shopper.get_by_role("button", name="Place order").click()
    await expect(shopper.locator("h1")).to_contain_text("Order MC")
    number = (await shopper.locator("h1").text_content()).split()[-1]

    # the owner sees it, packs it and ships it
    await staff.goto(f"{base}/admin/orders?status=placed")
    await staff.get_by_role("link", name=number).click()
    await staff.get_by_role("button", name="Mark packed").click()
    await expect(staff.locator("#order-status")).to_contain_text("now packed")
    await staff.get_by_role("button", name="Mark shipped").click()
    await expect(staff.locator("#order-status")).to_contain_text("now shipped")
    assert await todays_sales_paise(staff, base) == sales_before + 1799_00

    await shopper.goto(f"{base}/orders/{number}")
    await expect(shopper.locator(".status").first).to_have_text("Shipped")
    assert await shopper.get_by_role("button", name="Cancel this order").count() == 0
    await staff_context.close()
    await shopper_context.close()
