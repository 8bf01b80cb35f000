"""Microseconds per call of each piece of per-request work the shop adds to the bare stack, timed
alone inside a request context (thousands of calls, CPU time): precise where a whole request's
time is too noisy on a shared machine to show a 50 µs change.

    .venv/bin/python bench/hooks.py
    MOONCART_BENCH_SRC=/tmp/base/src .venv/bin/python bench/hooks.py   # an older src/, to compare
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [os.environ.get("MOONCART_BENCH_SRC", str(ROOT / "src")), str(ROOT / "bench")]  # or an older src/


async def timed(label: str, work, calls: int = 3000, rounds: int = 5) -> None:
    results = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            result = work()
            if asyncio.iscoroutine(result):
                await result
        results.append((time.process_time() - started) / calls * 1e6)
    print(f"| {label} | {statistics.median(results):.1f} |")


async def main() -> None:
    import benchmark
    from quart import Response, g, render_template
    from quart.sessions import SecureCookieSession

    settings = await benchmark.ensure_catalogue(benchmark.SMALL_DATABASE, 10_000)
    os.environ.update(MOONCART_DATABASE_URL=settings.url, MOONCART_SECRET_KEY=benchmark.SECRET)
    from mooncart import create_app, htmx
    from mooncart.bag.token import read_bag_cookie

    try:
        from mooncart.bag.picker import after_adding
    except ImportError:  # an older src/
        after_adding = None

    app = create_app({"SECRET_KEY": benchmark.SECRET, "DATABASE_URL": settings.url})
    signers = benchmark.Signers(settings)
    csrf, bag = secrets.token_urlsafe(32), secrets.token_hex(16)
    headers = {
        "Cookie": signers.cookies(csrf, bag),
        "X-CSRF-Token": csrf,
        "HX-Request": "true",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    hooks = {}
    for registry in (app.before_request_funcs, app.after_request_funcs):
        for funcs in registry.values():
            for f in funcs:
                hooks[f.__name__] = f
                for inner in getattr(f, "hooks", ()):  # the originals inside a fused hook (hooks.py)
                    hooks[inner.__name__] = inner
    print("| work (add to bag's request: session, bag and CSRF cookies) | µs per call |\n| --- | ---: |")
    async with app.test_app():
        async with app.test_request_context(
            "/bag/add", method="POST", headers=headers, data=b"variant_id=1&quantity=1"
        ):
            interface = app.session_interface
            from quart import request

            await request.form
            await timed("open the session cookie (verify, decode)", lambda: interface.open_session(app, request))
            session = SecureCookieSession({"csrf_token": csrf})
            session.modified = True
            await timed(
                "save a new session cookie (encode, sign, Set-Cookie)",
                lambda: interface.save_session(app, session, Response("")),
            )
            req = request._get_current_object()

            def with_request(hook, *args):
                """Call a hook as the fused hook would: a @takes_request one gets the request first."""
                return hook(req, *args) if getattr(hook, "mooncart_takes_request", False) else hook(*args)

            before = ("before_every_request", "start_timer", "assign_request_id", "check_request", "_before_request")
            for name in before:
                if name in hooks:
                    await timed(f"before_request: {name}", lambda name=name: with_request(hooks[name]))
            after = (
                "after_every_request",
                "record",
                "compress",
                "close_when_draining",
                "echo_request_id",
                "staff_changed_the_catalogue",
                "after_request",
                "_after_request",
                "record_events",
                "security_headers",
            )
            for name in after:
                if name in hooks:
                    await timed(f"after_request: {name}", lambda name=name: with_request(hooks[name], Response("")))

            def bag_cookie():
                g.pop("bag_cookie", None)
                return read_bag_cookie()

            await timed("read and verify the bag cookie", bag_cookie)
            variant = {"id": 1, "stock": 12, "in_bag": 2, "product_slug": "x", "bag_count": 3}
            if after_adding is not None:
                context = dict(variant=after_adding(variant, 1), added=1)
                await timed(
                    "add to bag's reply: Quart render_template",
                    lambda: render_template("bag/replies/add.html", **context),
                )
                await timed("add to bag's reply: htmx.render", lambda: htmx.render("bag/replies/add.html", **context))
                if hasattr(htmx, "fragment_given"):
                    await timed(
                        "add to bag's reply as sent: htmx.fragment_given (no context processors)",
                        lambda: htmx.fragment_given("bag/replies/add.html", **context),
                    )
        await pages(app, htmx)


async def pages(app, htmx) -> None:
    """The product page's and the listing's templates, with their real data from the bench database."""
    import benchmark
    from quart import render_template

    from mooncart.catalog import queries
    from mooncart.catalog.listing import DISCOUNT_CHOICES, SORT_LABELS, parse_listing_args
    from mooncart.catalog.product_page import product_page_context
    from mooncart.catalog.reference import reference_data
    from mooncart.db import get_conn

    conn = benchmark.sync_connect(benchmark.SERVER.with_database(benchmark.SMALL_DATABASE))
    with conn.cursor() as cur:
        cur.execute("SELECT slug FROM products WHERE id = 5000")
        slug = cur.fetchone()["slug"]
    conn.close()
    async with app.test_request_context(f"/products/{slug}"):
        conn = await get_conn()
        reference = await reference_data(conn)
        layout = dict(bag_count=0, shopper=None, nav_categories=reference.categories)
        await timed(
            "product_page_context: the product page's statements, CPU of this process",
            lambda: product_page_context(conn, slug),
            calls=300,
        )
        product = dict(await product_page_context(conn, slug), **layout)
        current = queries.find_category(reference.categories, "kurtis")
        from werkzeug.datastructures import MultiDict

        listing = parse_listing_args(MultiDict(), reference.sizes, reference.colours)
        rows = await queries.select_listing(
            conn, [current.id] + [c.id for c in current.children], listing.filters, listing.sort, None, 24
        )
        from mooncart.catalog.facets import listing_facets, size_facet_filters

        facets = await listing_facets(  # as the listing's view and bench/bare_app.py make them
            conn,
            category_ids=[current.id] + [c.id for c in current.children],
            filters=listing.filters,
            chosen=listing.filters,
            sizes=[],
            colours=reference.colours,
            link=lambda link_args: "/c/kurtis",
            link_args=listing.query_args(),
            size_filters=size_facet_filters(listing.filters, listing.filters),
        )
        cards = dict(
            category=current,
            products=rows[:24],
            facets=facets,
            discount_choices=DISCOUNT_CHOICES,
            next_url="/c/kurtis?after=1",
            listing=listing,
            sizes=[],
            colours=reference.colours,
            sort_labels=SORT_LABELS,
            **layout,
        )
        for name, context in (("catalog/product.html", product), ("catalog/listing.html", cards)):
            await timed(
                f"{name}: Quart render_template",
                lambda name=name, context=context: render_template(name, **context),
                calls=300,
            )
            if hasattr(htmx, "render"):
                await timed(
                    f"{name}: htmx.render", lambda name=name, context=context: htmx.render(name, **context), calls=300
                )


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
