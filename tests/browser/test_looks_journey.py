"""A shopper completes the look in a real browser: picks a size for each piece on a piece's
product page and adds the whole look, the header's bag count changing without a page load; a
piece that sold out meanwhile is named and nothing is added. The same with JavaScript off on the
look's own page. And axe finds no serious accessibility problem on the look page or the region."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import aiomysql
import pytest
from playwright.async_api import expect

from mooncart.db import execute
from tests.factories import make_look, make_product, make_user, next_code

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


async def outfit(shop) -> dict:
    """A kurti, a dupatta and juttis (one pair of UK 6 left, UK 5 sold out) as a published look."""
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    try:
        kurti = await make_product(conn, name="Journey Kurti", variants=[("S", "Ivory", 5), ("M", "Ivory", 5)])
        dupatta = await make_product(conn, name="Journey Dupatta", variants=[("Free size", "Rust", 5)])
        juttis = await make_product(conn, name="Journey Juttis", variants=[("UK 5", "Gold", 0), ("UK 6", "Gold", 3)])
        look = await make_look(conn, [kurti, dupatta, juttis], name="Journey look")
    finally:
        conn.close()
    return {"look": look, "kurti": kurti, "dupatta": dupatta, "juttis": juttis}


async def set_stock(shop, variant_id: int, stock: int) -> None:
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    try:
        await execute(conn, "UPDATE variants SET stock = %s WHERE id = %s", (stock, variant_id))
    finally:
        conn.close()


async def pick_sizes(page, o: dict, kurti_size: str = "M") -> None:
    region = page.locator(f"#look-{o['look']['id']}")
    await region.get_by_label("Size").nth(0).select_option(label=kurti_size)
    # the dupatta has one size and the juttis one left: picked for her already
    await expect(region.get_by_label("Size").nth(1)).to_have_value(str(o["dupatta"]["variants"][0]["id"]))
    await expect(region.get_by_label("Size").nth(2)).to_have_value(str(o["juttis"]["variants"][1]["id"]))
    sold_out = region.get_by_label("Size").nth(2).locator("option", has_text="UK 5")
    assert await sold_out.is_disabled()


async def test_add_the_look_from_a_product_page_updates_the_bag_count_without_a_page_load(shop, browser):
    o = await outfit(shop)
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    await page.goto(f"{shop['url']}{o['kurti']['url']}")
    await page.wait_for_load_state("load")
    await page.evaluate("window.__stillHere = 'yes'")
    assert (await page.text_content("#bag-count")).strip() == "0"
    region = page.locator(f"#look-{o['look']['id']}")
    await expect(region.get_by_role("heading", name="Complete the look")).to_be_visible()

    await pick_sizes(page, o)
    await region.get_by_role("button", name="Add the look").click()
    await expect(page.locator("#bag-count")).to_have_text("3")
    await expect(page.locator(f"#look-{o['look']['id']}")).to_contain_text("Added the look to your bag: 3 pieces")
    await expect(page.locator(f"#stock-{o['kurti']['variants'][1]['id']}")).to_contain_text("1 in bag")
    assert await page.evaluate("window.__stillHere") == "yes"

    # the juttis sell out before she adds the look again: nothing is added, and she is told which piece
    await set_stock(shop, o["juttis"]["variants"][1]["id"], 0)
    await pick_sizes(page, o, kurti_size="S")
    await page.locator(f"#look-{o['look']['id']}").get_by_role("button", name="Add the look").click()
    error = page.locator(f"#look-{o['look']['id']} .look-error")
    await expect(error).to_contain_text("Nothing was added to your bag.")
    await expect(error).to_contain_text("Journey Juttis in size UK 6: sold out.")
    assert (await page.text_content("#bag-count")).strip() == "3"
    assert await page.evaluate("window.__stillHere") == "yes"
    assert [e for e in console_errors if "422" not in e] == []  # the one expected: the browser noting the 422
    await context.close()


async def test_add_the_look_with_javascript_off_on_the_look_page(shop, browser):
    o = await outfit(shop)
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{shop['url']}{o['look']['url']}")
    await expect(page.locator("h1")).to_have_text("Journey look")
    await pick_sizes(page, o)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add the look").click()
    assert page.url.endswith(o["look"]["url"])
    assert (await page.text_content("#bag-count")).strip() == "3"
    assert "Added the look to your bag: 3 pieces from Journey look." in await page.text_content("main")

    # a short piece: the same message, on the page (422)
    await set_stock(shop, o["dupatta"]["variants"][0]["id"], 1)  # her one dupatta is the last one
    await pick_sizes(page, o, kurti_size="S")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add the look").click()
    await expect(page.locator(".look-error")).to_contain_text(
        "Journey Dupatta in size Free size: only 1 left and 1 already in your bag"
    )
    assert (await page.text_content("#bag-count")).strip() == "3"
    await context.close()


async def test_the_look_page_and_region_have_no_serious_accessibility_violations(shop, browser):
    assert AXE.exists(), "scripts/test installs axe-core from npm"
    problems = []
    for width in (390, 1280):
        o = await outfit(shop)
        context = await browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        page = await context.new_page()
        for path in (o["juttis"]["url"], o["look"]["url"]):
            await page.goto(f"{shop['url']}{path}")
            await page.wait_for_load_state("load")
            if path == o["look"]["url"]:  # audited with a refusal showing, as a shopper may see it
                await pick_sizes(page, o)
                await set_stock(shop, o["juttis"]["variants"][1]["id"], 0)
                await page.get_by_role("button", name="Add the look").click()
                await expect(page.locator(".look-error")).to_contain_text("Journey Juttis in size UK 6: sold out.")
            await page.add_script_tag(path=str(AXE))
            result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            problems += [
                f"{path} at {width}px: {v['id']} ({v['impact']}) {json.dumps([n['target'] for n in v['nodes']][:3])}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
        await context.close()
    assert problems == []


async def test_staff_make_a_look_without_leaving_its_page(shop, browser):
    conn = await aiomysql.connect(**shop["db"].connect_kwargs())
    try:
        kurti = await make_product(conn, name="Staff Journey Kurti", variants=[("M", "Teal", 4)])
        dupatta = await make_product(conn, name="Staff Journey Dupatta", variants=[("Free size", "Teal", 4)])
        staff = await make_user(
            conn, email=f"looks.{secrets.token_hex(3)}@mooncart.in", name="Meera Staff", is_staff=True
        )
    finally:
        conn.close()
    base = shop["url"]
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/account/login")
    await page.fill("#f-email", staff["email"])
    await page.fill("#f-password", staff["password"])
    await page.get_by_role("button", name="Log in").click()
    await page.fill("#f-code", next_code(staff))
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("main")).to_contain_text("Welcome")

    name = f"Teal day look {secrets.token_hex(2)}"
    await page.goto(f"{base}/admin/looks/new")
    await page.fill("#f-name", name)
    await page.get_by_role("button", name="Create look").click()
    await expect(page.locator("main")).to_contain_text("Now add its pieces.")
    await page.evaluate("window.__stillHere = 'yes'")
    pieces = page.locator("#look-pieces")
    for product in (kurti, dupatta):
        await page.fill("#f-product", f"MC{product['id']:07d}")
        await pieces.get_by_role("button", name="Add piece").click()
        await expect(page.locator("#look-pieces")).to_contain_text(f"Added {product['name']} to the look.")
    await page.fill("#f-product", "no-such-thing")
    await page.locator("#look-pieces").get_by_role("button", name="Add piece").click()
    await expect(page.locator("#look-pieces .notice.error")).to_contain_text("No product matches “no-such-thing”.")
    await page.locator("#look-pieces").get_by_role("button", name="Move up Staff Journey Dupatta").click()
    await expect(page.locator("#look-pieces .staff-piece a").first).to_have_text("Staff Journey Dupatta")
    await page.locator("#look-pieces").get_by_role("button", name="Publish the look").click()
    await expect(page.locator("#look-pieces")).to_contain_text("The look is published.")
    assert await page.evaluate("window.__stillHere") == "yes", "every change stayed on the page"

    await page.goto(f"{base}{kurti['url']}")
    region = page.locator(".look")
    await expect(region.get_by_role("link", name=name)).to_be_visible()
    await expect(region.locator(".look-piece-name a")).to_have_text(["Staff Journey Dupatta", "Staff Journey Kurti"])
    await context.close()
