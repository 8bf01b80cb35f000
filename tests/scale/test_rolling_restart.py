"""A rolling restart under load: each instance in turn gets SIGTERM (as `systemctl restart`
sends), drains and exits, and is started again, while shoppers browse and place orders through
the balancer. Every request must get its answer and every order the shoppers were told of must
exist, once; a live-stock stream open on the instance is ended with a hint to reconnect."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import aiomysql
import httpx

from mooncart.db import fetch_val
from tests.factories import make_product
from tests.scale.conftest import READY_PATH
from tests.shop_server import Signers, cleanup, make_buyers

CLIENTS = 8  # shoppers' connections at once
BUYERS = 120  # each places one order
MAX_REQUESTS = 6000  # the load's hard bound, whatever happens


async def test_a_rolling_restart_under_load_loses_no_request_and_no_order(cluster):
    setup = await aiomysql.connect(**cluster["db"].connect_kwargs())
    product = await make_product(setup, stock=100_000)
    variant_id = product["variants"][0]["id"]
    async with setup.cursor() as cur:
        await cur.execute(
            "SELECT p.slug, c.slug FROM products p JOIN categories c ON c.id = p.category_id ORDER BY p.id LIMIT 1"
        )
        demo_slug, category_slug = await cur.fetchone()
    buyers = await make_buyers(setup, Signers(cluster["db"].url), variant_id, BUYERS, https=True)
    user_ids = [buyer["user_id"] for buyer in buyers]
    pages = ["/", f"/c/{category_slug}", f"/products/{demo_slug}", f"/products/{product['slug']}", "/bag"]
    origin = cluster["ip_url"]
    waiting_buyers = list(buyers)
    statuses: Counter = Counter()
    failures: list[str] = []
    told: dict[int, str] = {}  # user id -> the order page the shopper was sent to
    served_by: Counter = Counter()
    sent = 0
    restarted = asyncio.Event()
    in_flight_at_sigterm: list[int] = []
    in_flight = {"checkouts": 0, "requests": 0}

    async def shopper(client: httpx.AsyncClient, number: int) -> None:
        nonlocal sent
        for step in itertools.count(number):
            if sent >= MAX_REQUESTS or (restarted.is_set() and not waiting_buyers):
                return
            sent += 1
            buyer = waiting_buyers.pop() if step % 3 == 0 and waiting_buyers else None
            in_flight["requests"] += 1
            in_flight["checkouts"] += buyer is not None
            try:
                if buyer is None:
                    response = await client.get(pages[step % len(pages)])
                else:
                    cookie = "; ".join(f"{name}={value}" for name, value in buyer["cookies"].items())
                    response = await client.post(
                        "/checkout",
                        data=buyer["form"],
                        headers={"HX-Request": "true", "Cookie": cookie, "Origin": origin},
                    )
            except httpx.HTTPError as error:
                failures.append(f"{'POST /checkout' if buyer else 'GET'}: {error!r}")
                continue
            finally:
                in_flight["requests"] -= 1
                in_flight["checkouts"] -= buyer is not None
            statuses[response.status_code] += 1
            served_by[response.headers.get("X-Mooncart-Instance")] += 1
            if buyer is not None and response.headers.get("HX-Redirect", "").startswith("/orders/"):
                told[buyer["user_id"]] = response.headers["HX-Redirect"]
            elif not 200 <= response.status_code < 400:
                failures.append(f"{response.request.method} {response.request.url.path}: {response.status_code}")

    async def rolling_restart() -> list[int]:
        codes = []
        await asyncio.sleep(1)  # the load is running
        for name in ("a", "b"):
            instance = cluster["instances"][name]
            # a product page's live-stock stream, open on this instance
            async with (
                httpx.AsyncClient(base_url=instance.url, timeout=60) as direct,
                direct.stream("GET", f"/live/product/{product['id']}") as stream,
            ):
                lines = stream.aiter_lines()
                assert (await anext(lines)).startswith(": listening")
                in_flight_at_sigterm.append(in_flight["checkouts"])
                stopping = asyncio.create_task(asyncio.to_thread(instance.stop))
                ending = [line async for line in lines]
                assert "retry: 1000" in ending and "event: reconnect" in ending, ending
            codes.append(await stopping)
            await asyncio.to_thread(instance.start, READY_PATH)
            await asyncio.sleep(1)  # let the balancer send it work again before the next one stops
        restarted.set()
        return codes

    transport = httpx.AsyncHTTPTransport(verify=cluster["ssl"], retries=0)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=cluster["ip_url"], timeout=60) as client:
            codes, *_ = await asyncio.gather(rolling_restart(), *(shopper(client, n) for n in range(CLIENTS)))
        print(
            f"\n{sent} requests ({BUYERS} checkouts) through the balancer during a rolling restart; "
            f"checkouts in flight at each SIGTERM: {in_flight_at_sigterm}; statuses {dict(statuses)}; "
            f"served by {dict(served_by)}; failures {len(failures)}"
        )
        assert codes == [0, 0], "each instance drained and exited cleanly on SIGTERM"
        assert failures == []
        assert sum(statuses.values()) == sent  # every request answered, with a 2xx or 3xx
        assert sent < MAX_REQUESTS and not waiting_buyers
        marks = ", ".join(["%s"] * len(user_ids))
        orders = await fetch_val(setup, "SELECT COUNT(*) FROM orders WHERE user_id IN (" + marks + ")", user_ids)
        assert orders == len(told) == BUYERS  # every shopper was told of her order, and it is there once
        for user_id, target in told.items():
            assert (
                await fetch_val(
                    setup,
                    "SELECT COUNT(*) FROM orders WHERE user_id = %s AND number = %s",
                    (user_id, target.rsplit("/", 1)[1]),
                )
                == 1
            )
        assert await fetch_val(setup, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 100_000 - BUYERS
        assert served_by.keys() >= {"a", "b"}
        for name in ("a", "b"):  # each drained, and the new process took over
            log = cluster["instances"][name].log_path.read_text()
            assert "Traceback" not in log, log[-3000:]
    finally:
        await cleanup(setup, user_ids, [product["id"]], [product["category"]["id"]])
        setup.close()
