"""`mooncart serve --server granian`: the same shop on Granian serves pages and a live-stock
stream, and on SIGTERM ends the stream with a reconnect hint, finishes the request in flight and
exits cleanly (not after its kill timeout)."""

from __future__ import annotations

import asyncio

import aiomysql
import httpx

from tests.factories import make_product
from tests.shop_server import ShopProcess, Signers, cleanup, make_buyers


async def read_until(lines, marker: str) -> str:
    seen = []
    async for line in lines:
        seen.append(line)
        if marker in line:
            return "\n".join(seen)
    raise AssertionError(f"the stream ended before {marker!r}: {seen}")


async def payment_in_flight(conn, user_id: int) -> int:
    """The shopper's order is reserved and waiting for the bank (the gateway is called outside any
    transaction, so this, not an open transaction, is what "in flight" looks like)."""
    await conn.commit()  # a fresh snapshot each time
    async with conn.cursor() as cur:
        await cur.execute("SELECT COUNT(*) FROM orders WHERE user_id = %s AND status = 'awaiting_payment'", (user_id,))
        return (await cur.fetchone())[0]


async def test_granian_serves_pages_and_live_stock_and_stops_gracefully(cluster, tmp_path):
    conn = await aiomysql.connect(**cluster["db"].connect_kwargs())
    product = await make_product(conn, stock=7)
    variant_id = product["variants"][0]["id"]
    buyer, slow_buyer = await make_buyers(conn, Signers(cluster["db"].url), variant_id, 2, quantity=2)
    # one worker, no Redis: the sale and the stream meet inside one Granian worker
    shop = ShopProcess(
        cluster["db"].url,
        workers=1,
        log_path=tmp_path / "granian.log",
        supervised=True,
        env={"MOONCART_PAYMENT_TIMEOUT_SECONDS": "5", "MOONCART_INSTANCE_NAME": "granian"},
        serve_args=("--server", "granian", "--graceful-seconds", "30"),
    )
    shop.start(wait_for="/static/favicon.svg")
    try:
        async with httpx.AsyncClient(base_url=shop.url, timeout=30) as client:
            page = await client.get(f"/products/{product['slug']}")
            assert page.status_code == 200 and page.headers["X-Mooncart-Instance"] == "granian"
            assert product["name"] in page.text

            async with client.stream("GET", f"/live/product/{product['id']}") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.aiter_lines()
                await read_until(lines, "listening for stock changes")
                cookie = "; ".join(f"{name}={value}" for name, value in buyer["cookies"].items())
                sale = await client.post(
                    "/checkout", data=buyer["form"], headers={"HX-Request": "true", "Cookie": cookie}
                )
                assert sale.headers["HX-Redirect"].startswith("/orders/")
                assert "Only 5 left" in await read_until(lines, f'id="stock-{variant_id}"')

                # a card payment the bank is slow with (5 s, then the shop gives up on it) is in
                # flight when SIGTERM comes
                slow_form = dict(
                    slow_buyer["form"],
                    payment_method="card",
                    card_number="4000000000000119",
                    card_expiry="12/39",
                    card_cvv="123",
                )
                slow_cookie = "; ".join(f"{name}={value}" for name, value in slow_buyer["cookies"].items())
                slow = asyncio.create_task(
                    client.post("/checkout", data=slow_form, headers={"HX-Request": "true", "Cookie": slow_cookie})
                )
                while not await payment_in_flight(conn, slow_buyer["user_id"]):
                    assert not slow.done(), slow.result()
                    await asyncio.sleep(0.05)
                stopped = asyncio.create_task(asyncio.to_thread(shop.stop, 20))
                message = await read_until(lines, "this server is restarting")
                assert "retry: 1000" in message  # browsers come back, to whichever instance is up
                answer = await slow
                assert answer.status_code < 500, answer.text  # answered, not cut off
                assert await stopped == 0
        assert "Killing worker" not in shop.log_path.read_text()
    finally:
        if shop.process.poll() is None:
            shop.stop()
        await cleanup(conn, [buyer["user_id"], slow_buyer["user_id"]], [product["id"]], [product["category"]["id"]])
        conn.close()
