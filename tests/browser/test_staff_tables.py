"""The back office's tables on a phone: a table wider than the screen scrolls sideways inside itself,
and a table with nothing focusable in it (the delivery table, the outbox with no failed mail) must
itself take keyboard focus, or a keyboard user cannot scroll it to its last columns (axe:
scrollable-region-focusable, serious)."""

from __future__ import annotations

import secrets

import aiomysql
import pytest
from playwright.async_api import expect

from mooncart.outbox.queries import enqueue_email
from tests.browser.conftest import AXE, VIEWPORTS, audit
from tests.factories import make_user, next_code

pytestmark = pytest.mark.browser


async def test_staff_tables_that_scroll_on_a_phone_can_be_scrolled_from_the_keyboard(shop, browser):
    assert AXE.exists(), "scripts/test installs axe-core from npm"
    base = shop["url"]
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    staff = await make_user(conn, email=f"tables.{secrets.token_hex(3)}@mooncart.in", is_staff=True)
    key = secrets.token_hex(4)
    await enqueue_email(
        conn, to="asha@example.in", subject="Your order", text="Thank you", html="<p>Thank you</p>", message_key=key
    )
    # a view and a search that found nothing, so the analytics page shows its funnel and its searches
    visitor = secrets.token_hex(11)
    async with conn.cursor() as cur:
        await cur.execute(
            "INSERT INTO events (occurred_at, visitor_id, kind, device, product_id, category_id, query, results) "
            "SELECT NOW(6), %s, 'view', 'mobile', p.id, p.category_id, NULL, NULL FROM products p LIMIT 1",
            (visitor,),
        )
        await cur.execute(
            "INSERT INTO events (occurred_at, visitor_id, kind, device, query, results) "
            "VALUES (NOW(6), %s, 'search', 'mobile', 'kaftan', 0)",
            (visitor,),
        )
    await conn.commit()
    conn.close()
    context = await browser.new_context(viewport=VIEWPORTS["phone"], bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{base}/account/login?next=/admin/delivery")
    await page.fill("#f-email", staff["email"])
    await page.fill("#f-password", staff["password"])
    await page.get_by_role("button", name="Log in").click()
    await page.fill("#f-code", next_code(staff))
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("h1")).to_have_text("Where we deliver")
    await expect(page.locator("#delivery-table")).to_be_visible()
    problems = await audit(page, "admin-delivery", "phone")
    await page.goto(f"{base}/admin/mail?show=queued")
    await expect(page.locator("#outbox")).to_be_visible()
    problems += await audit(page, "admin-mail", "phone")
    await page.goto(f"{base}/admin/analytics")
    await expect(page.locator("#funnel")).to_be_visible()
    await expect(page.locator("section[aria-labelledby='searches-heading'] table")).to_be_visible()
    problems += await audit(page, "admin-analytics", "phone")
    await context.close()
    assert problems == []
