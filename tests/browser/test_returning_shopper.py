"""Checkout for shoppers who have been here before, in a real browser, with JavaScript on and off:
a saved address (the one from "Your account", or the second of two), a new address beside saved
ones (with a field forgotten first), and a guest who signs in at checkout and finds her two bags
made one. The new-address fields show only when "A new address" is chosen (CSS, no script), and
fields that are hidden never stop the order."""

from __future__ import annotations

import re
import secrets

import aiomysql
import pytest
from playwright.async_api import expect

from mooncart.accounts.queries import insert_address
from tests.browser.conftest import in_stock_product
from tests.browser.pages import add_first_available, cancel_order, fill_address, go_to_checkout, log_in, place_order
from tests.factories import ADDRESS, make_user

pytestmark = pytest.mark.browser
both_modes = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


async def open_page(browser, javascript: bool):
    context = await browser.new_context(java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    return context, await context.new_page()


async def shopper_with_addresses(shop, *addresses: dict) -> dict:
    """A shopper in the database with these saved addresses (the newest is listed first)."""
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    try:
        user = await make_user(conn, email=f"shopper.{secrets.token_hex(4)}@example.in", name="Farah Khan")
        for address in addresses:
            await insert_address(conn, user["id"], dict(ADDRESS, **address))
        return user
    finally:
        conn.close()


async def in_database(shop, sql: str, args: tuple):
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, args)
            return (await cur.fetchone())[0]
    finally:
        conn.close()


@both_modes
async def test_a_shopper_who_saved_an_address_in_her_account_orders_with_it(shop, browser, javascript):
    """The reported fault: the saved address was chosen, but the empty new-address fields stopped the order."""
    base = shop["url"]
    product = await in_stock_product(shop)
    email = f"meera.{secrets.token_hex(4)}@example.in"
    context, page = await open_page(browser, javascript)

    await page.goto(f"{base}/account/register")
    await page.fill("#f-name", "Meera Iyer")
    await page.fill("#f-email", email)
    await page.fill("#f-mobile", "9840012345")
    await page.fill("#f-password", "filter coffee at six")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.locator("main")).to_contain_text("Welcome to Mooncart, Meera")
    await page.locator("a.account-link").click()
    await page.get_by_role("link", name="Delivery addresses").click()
    await fill_address(
        page,
        name="Meera Iyer",
        line1="7 Lotus Residency, Anna Nagar",
        city="Chennai",
        state="Tamil Nadu",
        pin_code="600040",
        mobile="9840012345",
    )
    await page.get_by_role("button", name="Save address").click()
    await expect(page.locator("main")).to_contain_text("Address saved.")

    await page.goto(f"{base}/products/{product['slug']}")
    await add_first_available(page, javascript)
    await go_to_checkout(page)
    await expect(page.get_by_role("radio", name=re.compile("Lotus Residency"))).to_be_checked()
    await expect(page.locator(".new-address")).to_be_hidden()
    await expect(page.locator(".card-fields")).to_be_hidden()  # cash on delivery is chosen
    number = await place_order(page)

    main = page.locator("main")
    await expect(main).to_contain_text(f"Your order {number} is placed")
    await expect(main).to_contain_text("7 Lotus Residency, Anna Nagar")
    await expect(main).to_contain_text("Cash on delivery")
    await expect(page.locator("#bag-count")).to_have_text("0")
    assert (
        await in_database(
            shop, "SELECT COUNT(*) FROM addresses a JOIN users u ON u.id = a.user_id WHERE u.email = %s", (email,)
        )
        == 1
    ), "the saved address is not saved twice"
    await cancel_order(page)
    await context.close()


@both_modes
async def test_a_shopper_with_two_addresses_sends_to_the_second_and_pays_by_card(shop, browser, javascript):
    base = shop["url"]
    product = await in_stock_product(shop)
    user = await shopper_with_addresses(
        shop,
        dict(
            full_name="Farah Khan",
            line1="Flat 12, Gulmohar Towers, Bandra West",
            city="Mumbai",
            state="Maharashtra",
            pin_code="400050",
            mobile="9820012345",
        ),
        dict(
            full_name="Farah Khan",
            line1="3 Koregaon Park Lane",
            city="Pune",
            state="Maharashtra",
            pin_code="411001",
            mobile="9820012345",
        ),
    )
    context, page = await open_page(browser, javascript)
    await log_in(page, base, user["email"], user["password"])
    await page.goto(f"{base}/products/{product['slug']}")
    await add_first_available(page, javascript)
    await go_to_checkout(page)

    choices = page.locator("input[name=address_id]")
    await expect(choices).to_have_count(3)  # Pune (newest), Mumbai, a new address
    await expect(page.get_by_role("radio", name=re.compile("Koregaon Park"))).to_be_checked()
    await page.get_by_role("radio", name=re.compile("Gulmohar Towers")).check()
    await expect(choices.nth(1)).to_be_checked()
    await expect(page.locator(".new-address")).to_be_hidden()
    await page.get_by_role("radio", name="Credit or debit card").check()
    await expect(page.locator(".card-fields")).to_be_visible()
    await page.fill("#f-card_number", "4111 1111 1111 1111")
    await page.fill("#f-card_expiry", "12/39")
    await page.fill("#f-card_cvv", "123")
    await place_order(page)

    main = page.locator("main")
    await expect(main).to_contain_text("Flat 12, Gulmohar Towers, Bandra West")
    await expect(main).not_to_contain_text("Koregaon")
    await expect(main).to_contain_text("Card (paid)")
    assert await in_database(shop, "SELECT COUNT(*) FROM addresses WHERE user_id = %s", (user["id"],)) == 2
    await cancel_order(page)
    await context.close()


@both_modes
async def test_a_new_address_beside_saved_ones_with_a_field_forgotten_then_filled(shop, browser, javascript):
    base = shop["url"]
    product = await in_stock_product(shop)
    user = await shopper_with_addresses(shop, {})
    context, page = await open_page(browser, javascript)
    await log_in(page, base, user["email"], user["password"])
    await page.goto(f"{base}/products/{product['slug']}")
    await add_first_available(page, javascript)
    await go_to_checkout(page)

    await expect(page.locator(".new-address")).to_be_hidden()
    await page.get_by_role("radio", name="A new address").check()
    await expect(page.locator(".new-address")).to_be_visible()
    await fill_address(
        page,
        name="Lakshmi Nair",
        line1="Padmam, Round North",
        city="",
        state="Kerala",
        pin_code="680001",
        mobile="9447098765",
    )
    if javascript:
        await page.evaluate("window.__stillHere = 'checkout'")
    await page.get_by_role("button", name="Place order").click()

    await expect(page.locator("#f-city-error")).to_have_text("Please enter the town or city.")
    await expect(page.locator(".notice.error")).to_contain_text("Please check the delivery address.")
    if javascript:
        assert await page.evaluate("window.__stillHere") == "checkout", "htmx swapped the form in place"
    await expect(page).to_have_url(f"{base}/checkout")
    await expect(page.get_by_role("radio", name="A new address")).to_be_checked()
    await expect(page.locator(".new-address")).to_be_visible()
    await expect(page.locator("#f-full_name")).to_have_value("Lakshmi Nair")
    await expect(page.locator("#f-line1")).to_have_value("Padmam, Round North")
    await expect(page.locator("#f-state")).to_have_value("Kerala")
    await expect(page.locator("#f-pin_code")).to_have_value("680001")
    assert await in_database(shop, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 0
    assert await in_database(shop, "SELECT COUNT(*) FROM addresses WHERE user_id = %s", (user["id"],)) == 1

    await page.fill("#f-city", "Thrissur")
    await place_order(page)
    await expect(page.locator("main")).to_contain_text("Thrissur, Kerala 680001")
    assert (
        await in_database(
            shop, "SELECT COUNT(*) FROM addresses WHERE user_id = %s AND city = 'Thrissur'", (user["id"],)
        )
        == 1
    ), "the new address is saved for next time"
    await cancel_order(page)
    await context.close()


@both_modes
async def test_a_guest_signs_in_at_checkout_and_orders_both_bags(shop, browser, javascript):
    base = shop["url"]
    product = await in_stock_product(shop)
    user = await shopper_with_addresses(
        shop,
        dict(
            full_name="Farah Khan", line1="44 Lake View Road", city="Bhopal", state="Madhya Pradesh", pin_code="462001"
        ),
    )
    # what she put in her bag on her phone yesterday: another product, in her account's bag
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT v.id, p.name FROM variants v JOIN products p ON p.id = v.product_id "
            "WHERE v.stock >= 3 AND p.slug <> %s ORDER BY v.id LIMIT 1",
            (product["slug"],),
        )
        earlier_variant, earlier_name = await cur.fetchone()
        await cur.execute("INSERT INTO carts (token, user_id) VALUES (%s, %s)", (secrets.token_hex(16), user["id"]))
        await cur.execute(
            "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 1)",
            (cur.lastrowid, earlier_variant),
        )
    conn.close()

    context, page = await open_page(browser, javascript)
    await page.goto(f"{base}/products/{product['slug']}")
    await add_first_available(page, javascript)
    await go_to_checkout(page)
    await expect(page).to_have_url(re.compile(r"/account/login\?next=(/|%2F)checkout$"))
    await page.fill("#f-email", user["email"])
    await page.fill("#f-password", user["password"])
    await page.get_by_role("button", name="Log in").click()

    await expect(page).to_have_url(f"{base}/checkout")
    await expect(page.locator("main")).to_contain_text("We added 1 item from before you logged in to your bag.")
    await expect(page.locator("#bag-count")).to_have_text("2")
    await expect(page.locator(".order-items li")).to_have_count(2)
    await expect(page.get_by_role("radio", name=re.compile("Lake View Road"))).to_be_checked()
    await expect(page.locator(".new-address")).to_be_hidden()
    await place_order(page)

    main = page.locator("main")
    await expect(main).to_contain_text(product["name"])
    await expect(main).to_contain_text(earlier_name)
    await expect(main).to_contain_text("44 Lake View Road")
    await expect(page.locator("#bag-count")).to_have_text("0")
    await cancel_order(page)
    await context.close()
