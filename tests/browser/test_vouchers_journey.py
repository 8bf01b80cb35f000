"""Vouchers and the confirmed price in a real browser, with JavaScript on (htmx swaps the voucher
box and the checkout form in place, the page never reloads) and off (plain forms and 303s):
a code refused and then applied on the bag, the discount at checkout and on the order; a price
edited by staff after the checkout page was shown, and the bag changed in another tab, both
stopped with the changes listed, then placed at the new price."""

from __future__ import annotations

import secrets

import aiomysql
import pytest
from playwright.async_api import expect

from tests.browser.conftest import in_stock_product
from tests.browser.pages import add_first_available, cancel_order, go_to_checkout, log_in, place_order
from tests.factories import ADDRESS, make_user

pytestmark = pytest.mark.browser
both_modes = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


async def run_sql(shop, sql: str, args: tuple = ()):
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, args)
            return cur.lastrowid, await cur.fetchone()
    finally:
        conn.close()


async def shopper(shop) -> dict:
    """A shopper with a saved address, so checkout needs only the button."""
    from mooncart.accounts.queries import insert_address

    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    try:
        user = await make_user(conn, email=f"ira.{secrets.token_hex(4)}@example.in", name="Ira Sen")
        await insert_address(conn, user["id"], ADDRESS)
        return user
    finally:
        conn.close()


async def signed_in_with_a_bag(shop, browser, javascript):
    base = shop["url"]
    product = await in_stock_product(shop)
    user = await shopper(shop)
    context = await browser.new_context(java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    page = await context.new_page()
    await log_in(page, base, user["email"], user["password"], f"/products/{product['slug']}")
    await add_first_available(page, javascript)
    return context, page, product


async def mark(page, javascript: bool) -> None:
    if javascript:
        await page.evaluate("window.__stillHere = 'yes'")


async def still_here(page, javascript: bool) -> None:
    if javascript:
        assert await page.evaluate("window.__stillHere") == "yes", "swapped in place, no page load"


@both_modes
async def test_a_voucher_on_the_bag_is_refused_then_applied_and_the_order_keeps_the_discount(shop, browser, javascript):
    code = "BROWSER" + secrets.token_hex(3).upper()
    voucher_id, _ = await run_sql(
        shop, "INSERT INTO vouchers (code, description, kind, amount) VALUES (%s, 'Test sale', 'flat', 5000)", (code,)
    )
    context, page, product = await signed_in_with_a_bag(shop, browser, javascript)
    try:
        await page.locator("a.bag-link").click()
        await mark(page, javascript)
        box = page.locator("#bag-voucher")
        await box.get_by_label("Voucher code").fill("NO-SUCH-CODE")
        await box.get_by_role("button", name="Apply").click()
        await expect(page.locator("#bag-voucher")).to_contain_text("We don't know the code NO-SUCH-CODE")
        await page.locator("#bag-voucher").get_by_label("Voucher code").fill(code.lower())
        await page.locator("#bag-voucher").get_by_role("button", name="Apply").click()
        # in the box over htmx; without JavaScript, the page after the 303 says it at the top
        await expect(page.locator("main")).to_contain_text(f"{code} applied: ₹50 off. You save ₹50.")
        await expect(page.locator("#bag-voucher .discount")).to_have_text("−₹50")
        await still_here(page, javascript)

        await page.get_by_role("link", name="Checkout").click()
        await expect(page.locator("#checkout-totals")).to_contain_text(f"Voucher {code}")
        await expect(page.locator("#checkout-totals .discount")).to_have_text("−₹50")
        number = await place_order(page)
        await expect(page.locator("main")).to_contain_text("Voucher discount")
        _, (discount,) = await run_sql(shop, "SELECT discount_paise FROM orders WHERE number = %s", (number,))
        assert discount == 5000
        await cancel_order(page)
    finally:
        await context.close()
        await run_sql(shop, "DELETE FROM voucher_redemptions WHERE voucher_id = %s", (voucher_id,))
        await run_sql(shop, "DELETE FROM vouchers WHERE id = %s", (voucher_id,))


@both_modes
async def test_a_voucher_applied_at_checkout_updates_the_total_in_place(shop, browser, javascript):
    code = "CHK" + secrets.token_hex(3).upper()
    voucher_id, _ = await run_sql(shop, "INSERT INTO vouchers (code, kind, amount) VALUES (%s, 'percent', 10)", (code,))
    context, page, product = await signed_in_with_a_bag(shop, browser, javascript)
    try:
        await go_to_checkout(page)
        before = await page.locator("#checkout-totals .total").text_content()
        await mark(page, javascript)
        await page.locator("#checkout-voucher").get_by_label("Voucher code").fill(code)
        await page.locator("#checkout-voucher").get_by_role("button", name="Apply").click()
        await expect(page.locator("main")).to_contain_text(f"{code} applied: 10% off")
        await expect(page.locator("#checkout-totals")).to_contain_text(f"Voucher {code}")
        after = await page.locator("#checkout-totals .total").text_content()
        assert after != before
        await still_here(page, javascript)
        await page.locator("#checkout-voucher").get_by_role("button", name="Remove voucher").click()
        await expect(page.locator("main")).to_contain_text("Voucher removed.")
        await expect(page.locator("#checkout-totals .total")).to_have_text(before)
    finally:
        await context.close()
        await run_sql(shop, "DELETE FROM vouchers WHERE id = %s", (voucher_id,))


@both_modes
async def test_a_price_edited_by_staff_after_the_checkout_page_was_shown_is_not_charged_unseen(
    shop, browser, javascript
):
    context, page, product = await signed_in_with_a_bag(shop, browser, javascript)
    variant_id = product["variant_id"]
    _, (old_price,) = await run_sql(shop, "SELECT price_paise FROM variants WHERE id = %s", (variant_id,))
    try:
        await go_to_checkout(page)
        await mark(page, javascript)
        await run_sql(
            shop,
            "UPDATE variants SET mrp_paise = mrp_paise + 10000, price_paise = price_paise + 10000 WHERE id = %s",
            (variant_id,),
        )
        await page.get_by_role("button", name="Place order").click()
        changes = page.locator("#checkout-changes")
        await expect(changes).to_contain_text("now costs")
        await expect(changes).to_contain_text("The new total is")
        await expect(page.locator("#checkout-form")).to_contain_text("Your bag changed after this page was shown")
        await still_here(page, javascript)
        number = await place_order(page)
        _, (subtotal,) = await run_sql(shop, "SELECT subtotal_paise FROM orders WHERE number = %s", (number,))
        assert subtotal == old_price + 10000, "placed at the price the shopper saw the second time"
        await cancel_order(page)
    finally:
        await run_sql(shop, "UPDATE variants SET price_paise = %s WHERE id = %s", (old_price, variant_id))
        await context.close()


@both_modes
async def test_a_bag_changed_in_another_tab_stops_the_order_with_the_change_listed(shop, browser, javascript):
    base = shop["url"]
    context, page, product = await signed_in_with_a_bag(shop, browser, javascript)
    try:
        await go_to_checkout(page)
        other_tab = await context.new_page()
        await other_tab.goto(base + "/bag")
        await other_tab.locator(".bag-line input[name=quantity]").first.fill("2")
        await other_tab.locator(".bag-line").first.get_by_role("button", name="Update").click()
        await expect(other_tab.locator("#bag-count")).to_have_text("2")
        await other_tab.close()
        await page.get_by_role("button", name="Place order").click()
        await expect(page.locator("#checkout-changes")).to_contain_text("you now have 2 in your bag (it was 1)")
        number = await place_order(page)
        _, (units,) = await run_sql(
            shop,
            "SELECT SUM(i.quantity) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.number = %s",
            (number,),
        )
        assert units == 2
        await cancel_order(page)
    finally:
        await context.close()
