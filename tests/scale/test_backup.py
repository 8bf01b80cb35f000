"""The backup of docs/DEPLOY.md, tested: `mariadb-dump --single-transaction` while the shop is
serving and taking orders, restored into an empty database (the shop still serving), and the
copy is one consistent moment: every order whole, stock and its ledger agreeing, no orphans."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess

import aiomysql
import httpx
import pytest

from mooncart.config import DatabaseSettings
from mooncart.db import fetch_val
from tests.conftest import create_test_database, drop_test_database
from tests.factories import make_product
from tests.shop_server import ShopProcess, Signers, cleanup, make_buyers

BUYERS = 60
STOCK = 10_000


def client_arguments(settings: DatabaseSettings) -> tuple[list[str], dict]:
    """Connection options for the mariadb command-line tools (the password in the environment,
    never on a command line that `ps` shows)."""
    options = [f"--user={settings.user}"]
    if settings.unix_socket:
        options.append(f"--socket={settings.unix_socket}")
    else:
        options += [f"--host={settings.host}", f"--port={settings.port}", "--protocol=tcp"]
    return options, dict(os.environ, MYSQL_PWD=settings.password)


def tool(*names: str) -> str:
    for name in names:
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail(f"none of {names} is installed (apt-get install mariadb-client)")


async def test_a_dump_taken_while_orders_are_placed_restores_to_a_consistent_shop(cluster, tmp_path):
    source = cluster["db"]
    setup = await aiomysql.connect(**source.connect_kwargs())
    product = await make_product(setup, stock=STOCK)
    variant_id = product["variants"][0]["id"]
    buyers = await make_buyers(setup, Signers(source.url), variant_id, BUYERS)
    user_ids = [buyer["user_id"] for buyer in buyers]
    marks = ", ".join(["%s"] * len(user_ids))
    restored = create_test_database("mooncart_restored")
    dump_path = tmp_path / "mooncart.sql"
    options, env = client_arguments(source)
    first_orders, dumped = asyncio.Event(), asyncio.Event()
    placed = []

    async def buy(client: httpx.AsyncClient, queue: list) -> None:
        while queue:
            buyer = queue.pop()
            cookie = "; ".join(f"{name}={value}" for name, value in buyer["cookies"].items())
            response = await client.post(
                "/checkout", data=buyer["form"], headers={"HX-Request": "true", "Cookie": cookie}
            )
            assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/orders/")
            placed.append(buyer["user_id"])
            if len(placed) >= 5:
                first_orders.set()
            if not dumped.is_set() and len(queue) < 10:
                await dumped.wait()  # keep some orders for during and after the dump

    async def dump_and_restore() -> tuple[int, int]:
        await first_orders.wait()
        before = len(placed)
        with open(dump_path, "wb") as out:
            await asyncio.to_thread(
                subprocess.run,
                [
                    tool("mariadb-dump", "mysqldump"),
                    *options,
                    "--single-transaction",
                    "--routines",
                    "--triggers",
                    "--hex-blob",
                    source.database,
                ],
                stdout=out,
                env=env,
                check=True,
            )
        dumped.set()
        with open(dump_path, "rb") as dump:  # into an empty database, while the shop keeps selling
            await asyncio.to_thread(
                subprocess.run, [tool("mariadb", "mysql"), *options, restored.database], stdin=dump, env=env, check=True
            )
        return before, len(placed)

    try:
        async with httpx.AsyncClient(base_url=cluster["instances"]["a"].url, timeout=60) as client:
            queue = list(buyers)
            (before, after), *_ = await asyncio.gather(dump_and_restore(), *(buy(client, queue) for _ in range(4)))
        assert len(placed) == BUYERS and 5 <= before <= after and before < BUYERS  # orders went on during the dump

        copy = await aiomysql.connect(**restored.connect_kwargs())
        try:
            in_copy = await fetch_val(copy, "SELECT COUNT(*) FROM orders WHERE user_id IN (" + marks + ")", user_ids)
            assert before <= in_copy <= BUYERS
            # one consistent moment: each order whole, stock + sold = what there was, the ledger agrees
            assert (
                await fetch_val(
                    copy,
                    "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i "
                    "WHERE i.order_id = o.id) OR NOT EXISTS (SELECT 1 FROM stock_movements m "
                    "WHERE m.order_id = o.id)",
                )
                == 0
            )
            sold = await fetch_val(
                copy, "SELECT COALESCE(SUM(quantity), 0) FROM order_items WHERE variant_id = %s", (variant_id,)
            )
            assert sold == in_copy
            assert await fetch_val(copy, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == STOCK - sold
            assert (
                await fetch_val(copy, "SELECT -SUM(delta) FROM stock_movements WHERE variant_id = %s", (variant_id,))
                == sold
            )
            assert (
                await fetch_val(
                    copy,
                    "SELECT COUNT(*) FROM order_items i LEFT JOIN orders o ON o.id = i.order_id WHERE o.id IS NULL",
                )
                == 0
            )
            # every table came across, with every row of the tables nobody wrote to meanwhile
            tables = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s"
            assert await fetch_val(copy, tables, (restored.database,)) == await fetch_val(
                setup, tables, (source.database,)
            )
            for table in ("products", "variants", "categories", "users", "addresses"):
                assert (
                    await fetch_val(copy, f"SELECT COUNT(*) FROM {table}")  # nosec B608 # fixed names
                    == await fetch_val(setup, f"SELECT COUNT(*) FROM {table}")
                ), table  # nosec B608
        finally:
            copy.close()

        # and the restored database is a shop
        shop = ShopProcess(restored.url, workers=1, log_path=tmp_path / "restored.log")
        shop.start(wait_for="/")
        try:
            async with httpx.AsyncClient(base_url=shop.url) as client:
                page = await client.get(f"/products/{product['slug']}")
            assert page.status_code == 200 and product["name"] in page.text
        finally:
            assert shop.stop() == 0
    finally:
        drop_test_database(restored)
        await cleanup(setup, user_ids, [product["id"]], [product["category"]["id"]])
        setup.close()
