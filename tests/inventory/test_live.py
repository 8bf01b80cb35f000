"""Live stock: an open product page hears about a purchase made by someone else, through the
server-sent-event stream; a closed tab lets go; Redis carries the news between workers."""

from __future__ import annotations

import asyncio
import os
import shutil
import time

import pytest

from mooncart.db import execute
from mooncart.inventory.events import RedisStockEvents
from tests.conftest import log_in, post, read_until
from tests.factories import make_address, make_product, make_user


async def test_an_open_product_page_hears_of_a_purchase_made_elsewhere(pooled_app):
    app, conn, made = pooled_app
    product = made["product"] = await make_product(conn, stock=3)
    variant_id = product["variants"][0]["id"]
    user = await make_user(conn)
    made["user"] = user["id"]
    address_id = await make_address(conn, user["id"])
    events = app.app.extensions["stock_events"]

    watcher = app.test_client()
    async with watcher.request(f"/live/product/{product['id']}") as stream:
        await stream.send_complete()
        assert b"listening" in await read_until(stream, b"listening")
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert len(events.subscriptions) == 1

        buyer = app.test_client()
        await log_in(buyer, user)
        await post(buyer, "/bag/add", form={"variant_id": str(variant_id), "quantity": "1"})
        page = await (await buyer.get("/checkout")).get_data(as_text=True)
        key = page.split('name="idempotency_key" value="')[1][:32]
        confirmation = page.split('name="confirmation" value="')[1].split('"')[0]  # what the page showed
        placed = await post(
            buyer,
            "/checkout",
            form={
                "address_id": str(address_id),
                "payment_method": "cod",
                "idempotency_key": key,
                "confirmation": confirmation,
            },
        )
        assert placed.status_code == 303
        committed_at = time.monotonic()
        message = (await read_until(stream, b'</hx-partial>\ndata: <hx-partial hx-target="#add-button"')).decode()
        latency = time.monotonic() - committed_at
        assert f'data: <hx-partial hx-target="#stock-{variant_id}">' in message
        assert "Only 2 left" in message
        assert latency < 1.0
        print(f"SSE update reached the subscriber {latency * 1000:.1f} ms after the order committed")
        await stream.disconnect()
    for _ in range(50):  # the closed tab's subscription is gone
        if not events.subscriptions:
            break
        await asyncio.sleep(0.02)
    assert not events.subscriptions


async def test_the_bag_stream_is_204_for_an_empty_bag(client):
    response = await client.get("/live/bag")
    assert response.status_code == 204


async def test_unknown_products_have_no_stream(client):
    assert (await client.get("/live/product/4000000000")).status_code == 404


@pytest.fixture
async def redis_url():
    """The machine's Redis (scripts/test starts one when redis-server is installed but down). Skipped
    only when there is no Redis at all; an installed Redis that does not answer is a failure."""
    port = int(os.environ.get("MOONCART_TEST_REDIS_PORT", "6379"))  # as in scripts/lib.sh
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    except OSError as error:  # refused, unreachable or timed out
        if shutil.which("redis-server") is None:
            pytest.skip(
                f"no Redis: nothing answers on 127.0.0.1:{port} and redis-server is not installed "
                "(apt-get install redis-server)"
            )
        pytest.fail(
            f"redis-server is installed but nothing answers on 127.0.0.1:{port} ({error}); scripts/test starts it"
        )
    writer.close()
    await writer.wait_closed()
    return f"redis://127.0.0.1:{port}/0"


async def test_redis_carries_stock_changes_between_workers(redis_url):
    one, two = RedisStockEvents(redis_url), RedisStockEvents(redis_url)
    await one.start()
    await two.start()
    try:
        async with two.subscribe({424242, 7}) as subscription:
            await asyncio.sleep(0.1)  # let the subscribe reach Redis
            started = time.monotonic()
            await one.publish({424242: 0, 99: 5})
            changed = await asyncio.wait_for(subscription.queue.get(), 2)
            assert changed == {424242}
            assert time.monotonic() - started < 1.0
    finally:
        await one.stop()
        await two.stop()


async def test_an_open_bag_hears_when_its_line_runs_short(pooled_app):
    app, conn, made = pooled_app
    product = made["product"] = await make_product(conn, stock=4)
    variant_id = product["variants"][0]["id"]
    shopper = app.test_client()
    await post(shopper, "/bag/add", form={"variant_id": str(variant_id), "quantity": "3"})
    bag_cookie = next(c for c in shopper.cookie_jar if c.name == "mooncart_bag")
    async with shopper.request("/live/bag", headers={"Cookie": f"mooncart_bag={bag_cookie.value}"}) as stream:
        await stream.send_complete()
        await read_until(stream, b"listening")
        await execute(conn, "UPDATE variants SET stock = 1 WHERE id = %s", (variant_id,))
        await app.app.extensions["stock_events"].publish({variant_id: 1})  # as a committed sale would
        message = (await read_until(stream, b'hx-target="#bag-summary"')).decode()
        assert f'hx-target="#bag-line-{variant_id}" hx-swap="outerMorph"' in message
        assert "Only 1 left: please lower the quantity" in message
        await stream.disconnect()
    await execute(conn, "DELETE FROM carts WHERE token = %s", (bag_cookie.value.split(".")[0],))
