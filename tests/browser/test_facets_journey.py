"""Filtering a listing by size in a real browser, with JavaScript on (the results and every count
change without a page load) and off (the form's Apply loads the page, counts and all); "My sizes"
from the filters; and axe on the listing with its facets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiomysql
import pytest
from playwright.async_api import expect

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}  # the filters are an open sidebar


async def expected_counts(shop, slug: str) -> dict:
    """The kurtis' counts straight from the database: products per size, and per colour among
    those with an M, the rule the page must follow."""
    conn = await aiomysql.connect(**shop["db"].connect_kwargs(), cursorclass=aiomysql.DictCursor)
    try:
        async with conn.cursor() as cur:
            await cur.execute(
                "SELECT s.label, COUNT(DISTINCT p.id) AS n FROM products p JOIN categories c ON c.id = p.category_id "
                "JOIN variants v ON v.product_id = p.id JOIN sizes s ON s.id = v.size_id "
                "WHERE c.slug = %s GROUP BY s.label",
                (slug,),
            )
            sizes = {row["label"]: row["n"] for row in await cur.fetchall()}
            await cur.execute(
                "SELECT co.name, COUNT(DISTINCT p.id) AS n FROM products p JOIN categories c ON c.id = p.category_id "
                "JOIN variants v ON v.product_id = p.id JOIN sizes s ON s.id = v.size_id "
                "JOIN colours co ON co.id = v.colour_id WHERE c.slug = %s AND s.label = 'M' GROUP BY co.name",
                (slug,),
            )
            colours_with_m = {row["name"]: row["n"] for row in await cur.fetchall()}
    finally:
        conn.close()
    return {"sizes": sizes, "colours_with_m": colours_with_m}


async def shown_count(page, name: str, value: str) -> int:
    label = page.locator(f"#facets label:has(input[name={name}][value='{value}'])")
    return int(re.search(r"\((\d+) products?\)", " ".join((await label.text_content() or "").split())).group(1))


async def test_ticking_a_size_updates_results_and_counts_without_a_page_load(shop, browser):
    expected = await expected_counts(shop, "kurtis")
    assert expected["sizes"].get("M"), "the demo catalogue has kurtis in M"
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/c/kurtis")
    await page.wait_for_load_state("load")
    await page.evaluate("window.__stillHere = 'yes'")
    assert await shown_count(page, "size", "M") == expected["sizes"]["M"]

    await page.locator("#facets input[name=size][value=M]").check()
    await expect(page).to_have_url(re.compile(r"[?&]size=M"))
    some_colour, with_m = next(iter(expected["colours_with_m"].items()))
    await expect(page.locator(f"#facets label:has(input[name=colour][value='{some_colour}'])")).to_contain_text(
        f"({with_m} product"
    )
    for colour, count in expected["colours_with_m"].items():
        assert await shown_count(page, "colour", colour) == count
    # a colour no kurti in M comes in is still listed, disabled, with 0
    disabled = page.locator("#facets input[name=colour][disabled]")
    if await disabled.count():
        value = await disabled.first.get_attribute("value")
        assert value not in expected["colours_with_m"] and await shown_count(page, "colour", value) == 0
    assert await page.locator("#listing-results .product-card").count() == min(expected["sizes"]["M"], 24)
    assert await page.evaluate("window.__stillHere") == "yes"  # no page load
    # the sizes' own counts do not change when a size is ticked
    assert await shown_count(page, "size", "M") == expected["sizes"]["M"]
    await context.close()


async def test_filtering_by_size_with_javascript_off(shop, browser):
    expected = await expected_counts(shop, "kurtis")
    context = await browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/c/kurtis")
    assert await shown_count(page, "size", "M") == expected["sizes"]["M"]
    await page.locator("#facets input[name=size][value=M]").check()
    await page.get_by_role("button", name="Apply").click()
    await page.wait_for_load_state("load")
    assert "size=M" in page.url
    for colour, count in expected["colours_with_m"].items():
        assert await shown_count(page, "colour", colour) == count
    assert await page.locator("#facets input[name=size][value=M]").is_checked()
    await context.close()


async def test_my_sizes_from_the_filters_then_axe_on_the_listing(shop, browser):
    """Set "My sizes" from the listing's filters (a plain form: works the same with or without
    JavaScript), come back to a listing showing them, and audit it with axe."""
    assert AXE.exists(), "scripts/test installs axe-core from npm"
    for javascript in (False, True):
        context = await browser.new_context(viewport=DESKTOP, java_script_enabled=javascript, bypass_csp=True)
        page = await context.new_page()
        await page.goto(f"{shop['url']}/c/kurtis")
        await page.get_by_role("link", name="Set your sizes").click()
        await expect(page.locator("h1")).to_have_text("My sizes")
        await page.get_by_label("M", exact=True).check()
        await page.get_by_role("button", name="Save my sizes").click()
        await page.wait_for_load_state("load")
        assert page.url.endswith("/c/kurtis")
        await expect(page.locator(".my-sizes-bar")).to_contain_text("Showing your sizes in stock: M")
        cards = page.locator("#listing-results .product-card")
        assert await cards.count() > 0
        assert await page.locator(".product-card .my-size").all_text_contents() == ["Your size M: in stock"] * (
            await cards.count()
        )
        await page.get_by_role("button", name="show all").click()
        await page.wait_for_load_state("load")
        await expect(page.locator(".my-sizes-bar")).to_contain_text("Showing all sizes")
        if javascript:
            await page.add_script_tag(path=str(AXE))
            result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            problems = [
                f"{v['id']} ({v['impact']}) {json.dumps([n['target'] for n in v['nodes']][:3])}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert problems == []
        await context.close()
