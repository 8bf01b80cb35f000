"""Filtering a search by size in a real browser, as on a listing: with JavaScript on (the results
and every count change without a page load, the facets morphed from the filter reply) and off
(the form's Apply loads the page, counts and all); and axe on the search page with its facets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiomysql
import pytest
from playwright.async_api import expect

from mooncart.db import in_list
from tests.search.brute_force import brute_force_ranking

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}  # the filters are an open sidebar
WORDS = "kurti"


async def expected_counts(shop) -> dict:
    """The counts straight from the database, over what the words match (ranked the slow way):
    products per size, and per colour among those with an M, the rule the page must follow."""
    conn = await aiomysql.connect(**shop["db"].connect_kwargs(), cursorclass=aiomysql.DictCursor)
    try:
        matched = [product_id for product_id, _ in await brute_force_ranking(conn, WORDS)]
        assert matched, "the demo catalogue has kurtis"
        placeholders, params = in_list(matched)
        async with conn.cursor() as cur:
            await cur.execute(
                "SELECT s.label, COUNT(DISTINCT v.product_id) AS n FROM variants v JOIN sizes s ON s.id = v.size_id "
                "WHERE v.product_id IN (" + placeholders + ") GROUP BY s.label",
                params,
            )
            sizes = {row["label"]: row["n"] for row in await cur.fetchall()}
            await cur.execute(
                "SELECT co.name, COUNT(DISTINCT v.product_id) AS n FROM variants v JOIN sizes s ON s.id = v.size_id "
                "JOIN colours co ON co.id = v.colour_id WHERE v.product_id IN (" + placeholders + ") "
                "AND s.label = 'M' GROUP BY co.name",
                params,
            )
            colours_with_m = {row["name"]: row["n"] for row in await cur.fetchall()}
    finally:
        conn.close()
    return {"sizes": sizes, "colours_with_m": colours_with_m}


async def shown_count(page, name: str, value: str) -> int:
    label = page.locator(f"#facets label:has(input[name={name}][value='{value}'])")
    return int(re.search(r"\((\d+) products?\)", " ".join((await label.text_content() or "").split())).group(1))


async def test_ticking_a_size_on_search_updates_results_and_counts_without_a_page_load(shop, browser):
    expected = await expected_counts(shop)
    assert expected["sizes"].get("M"), "the demo catalogue has kurtis in M"
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/search?q={WORDS}")
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
    disabled = page.locator("#facets input[name=colour][disabled]")
    if await disabled.count():  # a colour no match in M comes in: listed, disabled, with 0
        value = await disabled.first.get_attribute("value")
        assert value not in expected["colours_with_m"] and await shown_count(page, "colour", value) == 0
    assert await page.locator("#facets input[name=size][value=M]").is_checked()
    assert await page.locator("#search-results .product-card").count() == min(expected["sizes"]["M"], 24)
    assert await page.evaluate("window.__stillHere") == "yes"  # no page load
    assert await shown_count(page, "size", "M") == expected["sizes"]["M"]  # sizes ignore their own choice
    await context.close()


async def test_filtering_a_search_by_size_with_javascript_off(shop, browser):
    expected = await expected_counts(shop)
    context = await browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/search?q={WORDS}")
    assert await shown_count(page, "size", "M") == expected["sizes"]["M"]
    await page.locator("#facets input[name=size][value=M]").check()
    await page.get_by_role("button", name="Apply").click()
    await page.wait_for_load_state("load")
    assert "size=M" in page.url and f"q={WORDS}" in page.url
    for colour, count in expected["colours_with_m"].items():
        assert await shown_count(page, "colour", colour) == count
    assert await page.locator("#facets input[name=size][value=M]").is_checked()
    assert await page.locator("#search-results .product-card").count() == min(expected["sizes"]["M"], 24)
    await context.close()


async def test_axe_finds_nothing_serious_on_a_filtered_search(shop, browser):
    assert AXE.exists(), "scripts/test installs axe-core from npm"
    context = await browser.new_context(viewport=DESKTOP, bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{shop['url']}/search?q={WORDS}&size=M&discount=10")
    await page.wait_for_load_state("load")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    problems = [
        f"{v['id']} ({v['impact']}) {json.dumps([n['target'] for n in v['nodes']][:3])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert problems == []
    await context.close()
