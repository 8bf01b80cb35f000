"""The bare-stack ceiling: Quart on hypercorn with an aiomysql pool doing only the SQL that
Mooncart's add-to-bag does (the look-up and the upsert), answering a few bytes. Mooncart's own
add-to-bag throughput is reported as a fraction of this."""

from __future__ import annotations

import os

import aiomysql
from quart import Quart, request

from mooncart.bag.queries import add_to_line, select_variant_in_bag
from mooncart.config import DatabaseSettings

app = Quart(__name__)
settings = DatabaseSettings.from_url(os.environ["MOONCART_DATABASE_URL"])


@app.before_serving
async def open_pool() -> None:
    app.pool = await aiomysql.create_pool(minsize=1, maxsize=20, **settings.connect_kwargs())


@app.after_serving
async def close_pool() -> None:
    app.pool.close()
    await app.pool.wait_closed()


@app.post("/bag/add")
async def add():
    form = await request.form
    async with app.pool.acquire() as conn:
        row = await select_variant_in_bag(conn, int(form["variant_id"]), request.cookies.get("bare_bag"))
        await add_to_line(conn, row["cart_id"], row["id"], 1, 10)
    return "<span>ok</span>"
