"""An open wishlist page hears through the stock events when a wished size comes back in stock."""

from __future__ import annotations

import asyncio

from mooncart.inventory.stock import adjust_stock
from tests.conftest import log_in, post, read_until
from tests.factories import make_product, make_user


async def test_a_restock_shows_back_in_stock_on_the_open_wishlist(pooled_app):
    app, conn, made = pooled_app
    product = made["product"] = await make_product(
        conn, name="Rani Kurti", variants=[("S", "Rani Pink", 0), ("M", "Rani Pink", 2)]
    )
    small, medium = (v["id"] for v in product["variants"])
    user = await make_user(conn)
    made["user"] = user["id"]
    events = app.app.extensions["stock_events"]
    shopper = app.test_client()
    await log_in(shopper, user)
    assert (await post(shopper, f"/wishlist/items/{product['id']}", form={})).status_code == 303

    async with shopper.request("/wishlist/live") as stream:
        await stream.send_complete()
        assert b"listening" in await read_until(stream, b"listening")
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        # staff restock the small size; the change is published after its transaction commits
        levels = await adjust_stock(conn, small, 4, "received", note="test restock")
        await events.publish(levels)
        message = (await read_until(stream, b"</hx-partial>")).decode()
        assert f'data: <hx-partial hx-target="#wish-{product["id"]}" hx-swap="outerMorph">' in message
        item = message.split("Back in stock")
        assert len(item) == 2  # the small size only: the medium one never sold out
        assert f'value="{small}"' in message and f'value="{small}" disabled' not in message
        # a sale of another size that was never sold out says nothing is back
        levels = await adjust_stock(conn, medium, -1, "damaged")
        await events.publish(levels)
        message = (await read_until(stream, b"</hx-partial>")).decode()
        assert "Only 1 left" in message and message.count("Back in stock") == 1  # the small size still is
        await stream.disconnect()
    for _ in range(50):
        if not events.subscriptions:
            break
        await asyncio.sleep(0.02)
    assert not events.subscriptions


async def test_an_empty_wishlist_has_no_stream(app, conn):
    shopper = app.test_client()
    await log_in(shopper, await make_user(conn))
    assert (await shopper.get("/wishlist/live")).status_code == 204
