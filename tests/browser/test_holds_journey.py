"""Issue 14 in a real browser, with JavaScript on and off: the hold's countdown on the bag and
checkout pages (with JavaScript it counts down without a reload; without, the time is printed and
a reload shows the truth), and "Notify me when my size is back" from a guest's first click to
"You're already on the list"."""

from __future__ import annotations

import re
import secrets

import aiomysql
import pytest
from playwright.async_api import expect

from mooncart.db import execute
from tests.browser.pages import log_in
from tests.factories import make_product, make_user

pytestmark = pytest.mark.browser


async def shop_conn(shop):
    return await aiomysql.connect(**shop["db"].connect_kwargs())


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_the_hold_counts_down_on_the_bag_and_checkout_pages(shop, browser, javascript):
    base = shop["url"]
    conn = await shop_conn(shop)
    user = await make_user(conn, email=f"meera.{secrets.token_hex(3)}@example.in", name="Meera Iyer")
    product = await make_product(conn, name=f"Countdown Kurti {secrets.token_hex(2)}", stock=5)
    context = await browser.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    try:
        await log_in(page, base, user["email"], user["password"], next_path=product["url"])
        await page.get_by_role("button", name="Add to bag").click()
        await expect(page.locator("main")).to_contain_text("Added 1 to your bag")
        await page.goto(base + "/checkout")
        note = page.locator("#checkout-hold .held-note")
        await expect(note).to_contain_text(re.compile(r"Held for you until \d\d:\d\d"))
        left = note.locator("[data-hold-left]")
        if javascript:
            await expect(left).to_have_text(re.compile(r"· (9|10):\d\d left"))
            first = await left.text_content()
            await expect(left).not_to_have_text(first or "", timeout=3000)  # it ticks without a reload
        else:
            await expect(left).to_have_text("")  # the printed time stands alone

        # the bag line shows the same hold; near its end the countdown says so, or a reload does
        await execute(
            conn,
            "UPDATE stock_holds SET expires_at = UTC_TIMESTAMP(6) + INTERVAL 2 SECOND WHERE user_id = %s",
            (user["id"],),
        )
        await page.goto(base + "/bag")
        line_note = page.locator(".bag-line .held-note")
        await expect(line_note).to_contain_text("Held for you until")
        if javascript:
            await expect(line_note.locator("[data-hold-left]")).to_have_text(
                re.compile("your hold has ended"), timeout=5000
            )
        else:
            await page.wait_for_timeout(2500)
            await page.reload()
            await expect(page.locator(".bag-line")).to_have_count(1)
            await expect(page.locator(".bag-line .held-note")).to_have_count(0)  # the truth: nothing held now
    finally:
        await context.close()
        await execute(conn, "DELETE FROM users WHERE id = %s", (user["id"],))
        await execute(conn, "DELETE FROM products WHERE id = %s", (product["id"],))
        await execute(conn, "DELETE FROM categories WHERE id = %s", (product["category"]["id"],))
        conn.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_notify_me_from_a_guest_click_to_already_on_the_list(shop, browser, javascript):
    base = shop["url"]
    conn = await shop_conn(shop)
    user = await make_user(conn, email=f"zoya.{secrets.token_hex(3)}@example.in", name="Zoya Khan")
    product = await make_product(
        conn, name=f"Waitlist Lehenga {secrets.token_hex(2)}", variants=[("S", "Maroon", 2), ("M", "Maroon", 0)]
    )
    medium = product["variants"][1]
    context = await browser.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    try:
        await page.goto(base + product["url"])
        notify = page.locator(f"#waitlist-{medium['id']}").get_by_role("button", name=re.compile("Notify me"))
        await notify.click()  # a guest: log in first, then back to the product
        await expect(page).to_have_url(re.compile(r"/account/login"))
        await page.fill("#f-email", user["email"])
        await page.fill("#f-password", user["password"])
        await page.get_by_role("button", name="Log in").click()
        await expect(page).to_have_url(base + product["url"])

        await page.locator(f"#waitlist-{medium['id']}").get_by_role("button", name=re.compile("Notify me")).click()
        if javascript:
            await expect(page.locator(f"#waitlist-{medium['id']}")).to_contain_text("You're on the list")
            await page.reload()
        else:
            await expect(page.locator("main")).to_contain_text("You're on the list")
        await page.locator(f"#waitlist-{medium['id']}").get_by_role("button", name=re.compile("Notify me")).click()
        where = page.locator(f"#waitlist-{medium['id']}") if javascript else page.locator("main")
        await expect(where).to_contain_text("You're already on the list")
        async with conn.cursor() as cur:
            await cur.execute(
                "SELECT COUNT(*) FROM waitlist_entries WHERE variant_id = %s AND user_id = %s",
                (medium["id"], user["id"]),
            )
            assert (await cur.fetchone())[0] == 1
    finally:
        await context.close()
        await execute(conn, "DELETE FROM users WHERE id = %s", (user["id"],))
        await execute(conn, "DELETE FROM products WHERE id = %s", (product["id"],))
        await execute(conn, "DELETE FROM categories WHERE id = %s", (product["category"]["id"],))
        conn.close()
