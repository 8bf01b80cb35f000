"""A shopper's whole visit through the balancer, with every request free to land on either
instance: nothing she needs (session, bag, CSRF token, live stock) may live in one process."""

from __future__ import annotations

import asyncio
import secrets

import aiomysql
import httpx
import pytest
from playwright.async_api import expect

from tests.browser.pages import fill_address
from tests.factories import make_product, make_user
from tests.shop_server import Signers, make_buyers


@pytest.mark.browser
async def test_a_shopper_is_served_by_both_instances_and_sees_a_sale_made_on_the_other(cluster, trusting_browser):
    base = cluster["url"]
    conn = await aiomysql.connect(**cluster["db"].connect_kwargs())
    product = await make_product(conn, stock=5)
    variant_id = product["variants"][0]["id"]
    user = await make_user(conn, email=f"nila.{secrets.token_hex(3)}@example.in", name="Nila Menon")
    (other_buyer,) = await make_buyers(conn, Signers(cluster["db"].url), variant_id, 1, quantity=2)
    context = await trusting_browser.new_context()
    page = await context.new_page()
    served_by: dict[str, list[str]] = {}
    streams: list[str] = []

    def note(response) -> None:
        instance = response.headers.get("x-mooncart-instance")
        if instance:
            served_by.setdefault(instance, []).append(f"{response.request.method} {response.url}")
            if "/live/product/" in response.url:
                streams.append(instance)

    page.on("response", note)

    await page.goto(f"{base}/account/login?next=/products/{product['slug']}")
    await page.fill("#f-email", user["email"])
    await page.fill("#f-password", user["password"])
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(f"{base}/products/{product['slug']}")
    await page.get_by_role("button", name="Add to bag").click()
    await expect(page.locator("#bag-count")).to_have_text("1")
    badge = page.locator(f"#stock-{variant_id}")
    await expect(badge).to_contain_text("Only 5 left")

    # the live-stock stream is open on one instance; another shopper buys 2 on the other one
    for _ in range(200):
        if streams:
            break
        await asyncio.sleep(0.05)
    assert streams, "the product page opened no live-stock stream"
    other = "b" if streams[-1] == "a" else "a"
    cookie = "; ".join(f"{name}={value}" for name, value in other_buyer["cookies"].items())
    async with httpx.AsyncClient(base_url=cluster["instances"][other].url) as direct:
        response = await direct.post(
            "/checkout", data=other_buyer["form"], headers={"HX-Request": "true", "Cookie": cookie}
        )
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/orders/")
    assert response.headers["X-Mooncart-Instance"] == other
    await expect(badge).to_contain_text("Only 3 left")  # pushed to the open page, no reload

    await page.locator("a.bag-link").click()
    await page.get_by_role("link", name="Checkout").click()
    await fill_address(
        page,
        name="Nila Menon",
        line1="4 Marine Drive",
        city="Kochi",
        state="Kerala",
        pin_code="682031",
        mobile="9847012345",
    )
    await page.get_by_role("button", name="Place order").click()
    await expect(page.locator("h1")).to_contain_text("Order MC")
    await expect(page.locator("#bag-count")).to_have_text("0")
    await context.close()

    async with conn.cursor() as cur:
        await cur.execute("SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],))
        assert await cur.fetchone() == (1,)
        await cur.execute("SELECT stock FROM variants WHERE id = %s", (variant_id,))
        assert await cur.fetchone() == (2,)
    conn.close()
    assert set(served_by) == {"a", "b"}, served_by  # round robin: both instances served this one visit
    print({instance: len(requests) for instance, requests in served_by.items()}, "requests per instance")
