"""A real shop for the browser: hypercorn serving Mooncart on loopback against a database of
the tests' own with a small demo catalogue, driven by Playwright through Debian's Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import aiomysql
import pytest

from mooncart.db import apply_schema
from mooncart.demo import seed_demo
from tests.conftest import create_test_database, drop_test_database
from tests.shop_server import running_shop

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
async def shop(tmp_path_factory):
    """Base URL and database settings of a running shop (its log: the 'log' path, when a test fails)."""
    media_root = tmp_path_factory.mktemp("media")
    settings = create_test_database("mooncart_browser")
    conn = await aiomysql.connect(**settings.connect_kwargs())
    await apply_schema(conn)
    await seed_demo(conn, products=40, seed=3, quiet=True)
    conn.close()
    log_path = media_root.parent / "shop.log"
    with running_shop(settings.url, workers=1, log_path=log_path, env={"MOONCART_MEDIA_ROOT": str(media_root)}) as (
        url,
        _process,
    ):
        yield {"url": url, "db": settings, "log": log_path}
    drop_test_database(settings)


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed: scripts/test installs it (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def in_stock_product(shop, minimum: int = 3, maximum: int = 9) -> dict:
    """A demo product whose first, pre-selected variant has between `minimum` and `maximum` in stock."""
    conn = await aiomysql.connect(**shop["db"].connect_kwargs(), cursorclass=aiomysql.DictCursor)
    try:
        async with conn.cursor() as cur:
            await cur.execute(
                "SELECT p.slug, p.name, v.id AS variant_id, v.stock FROM products p "
                "JOIN variants v ON v.product_id = p.id JOIN colours c ON c.id = v.colour_id "
                "JOIN sizes s ON s.id = v.size_id "
                "WHERE v.id = (SELECT v2.id FROM variants v2 JOIN colours c2 ON c2.id = v2.colour_id "
                "JOIN sizes s2 ON s2.id = v2.size_id WHERE v2.product_id = p.id AND v2.stock > 0 "
                "ORDER BY c2.name, s2.position LIMIT 1) AND v.stock BETWEEN %s AND %s ORDER BY p.id LIMIT 1",
                (minimum, maximum),
            )
            return await cur.fetchone()
    finally:
        conn.close()


# Note: page.wait_for_function() evaluates its predicate with eval(), which the shop's CSP
# (rightly) forbids; the tests wait with Playwright's expect() instead.


# axe-core (from npm, installed by scripts/test) and the two screens every audit looks at
AXE_ROOT = Path(__file__).resolve().parents[2]
AXE = AXE_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = AXE_ROOT / "artifacts" / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


async def audit(page, name: str, viewport: str) -> list[str]:
    """Serious and critical violations on the current page, as readable lines; and a screenshot."""
    await page.wait_for_load_state("load")  # not "networkidle": product and bag pages keep a live stream open
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}-{viewport}.png"), full_page=True)
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    problems = []
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append(f"{name}/{viewport}: {violation['id']} ({violation['impact']}) {json.dumps(targets)}")
    return problems
