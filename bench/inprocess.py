"""The set-up bench/calls.py and bench/cpu.py share: the shop and its bare reference built in this
process against the 10,000-product bench database (or MOONCART_BENCH_DATABASE's copy), the add
to bag requests wrk would send, and one function per endpoint that sends its next request
through Quart's test client."""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import benchmark

PATHS = {"listing": "/c/kurtis", "home": "/"}


@dataclass
class Bench:
    settings: object
    apps: dict  # "shop" and "bare"
    files: dict
    guests: list
    slug: str  # a product page's slug

    def reset_bags(self) -> None:
        """Empty the guests' bags, so no line reaches its cap during a measurement."""
        benchmark.reset_bags(self.settings, self.guests)

    def adds(self, side: str) -> list[tuple[str, dict, bytes]]:
        """The add to bag requests of wrk's file for that side: (url, headers, body)."""
        requests = []
        for line in self.files["add" if side == "shop" else "bare"].read_text().splitlines():
            _method, url, cookie, token, body = line.split("\t", 4)
            headers = {"Cookie": cookie, "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}
            if token != "-":
                headers["X-CSRF-Token"] = token
            requests.append((url, headers, body.encode()))
        return requests

    def sender(self, endpoint: str, side: str, client, count: int):
        """An async function of i that sends the endpoint's i-th request (count of them at most)
        and returns the response; a read is a new visitor every time, as with wrk."""
        if endpoint == "add":
            self.reset_bags()
            lines = self.adds(side)[:count]

            async def one(i: int):
                url, headers, body = lines[i]
                return await client.post(url, headers=headers, data=body)

            return one
        path = f"/products/{self.slug}" if endpoint == "product" else PATHS[endpoint]

        async def read(i: int):
            client.cookie_jar = None
            return await client.get(path)

        return read


def set_up(prefix: str) -> Bench:
    """Build both apps and the add to bag request files (in a new temporary folder named prefix...)."""
    settings = asyncio.run(benchmark.ensure_catalogue(benchmark.SMALL_DATABASE, 10_000))
    os.environ.update(MOONCART_DATABASE_URL=settings.url, MOONCART_SECRET_KEY=benchmark.SECRET)
    import bare_app

    from mooncart import create_app

    shop = create_app({"SECRET_KEY": benchmark.SECRET, "DATABASE_URL": settings.url})
    signers = benchmark.Signers(settings)
    files, guests = benchmark.prepare_bag_requests(settings, signers, Path(tempfile.mkdtemp(prefix=prefix)))
    conn = benchmark.sync_connect(settings)
    with conn.cursor() as cur:
        cur.execute("SELECT slug FROM products WHERE id = 5000")
        slug = cur.fetchone()["slug"]
    conn.close()
    return Bench(settings, {"shop": shop, "bare": bare_app.app}, files, guests, slug)
