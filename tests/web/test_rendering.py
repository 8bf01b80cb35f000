"""Pages are rendered without thread hand-offs (htmx.render for pages and fragments, plain
context processors called inline for everything else) and come out exactly as Quart's own
render_template made them."""

from __future__ import annotations

import re
import threading

import quart

from mooncart import pages
from tests.conftest import HTMX, post
from tests.factories import make_product

# per-response values: CSP nonces, and the CSRF token, masked afresh on every page (BREACH)
NONCES = re.compile(r'(nonce="|content="|value="|"X-CSRF-Token": ")[A-Za-z0-9_=-]{20,}')


async def pages_of_the_shop(client, product: dict) -> dict[str, str]:
    paths = [
        "/",
        f"/c/{product['category']['slug']}",
        product["url"],
        "/account/login",
        "/account/register",
        "/no-such-page",
        "/products/no-such-product",
    ]
    rendered = {}
    for path in paths:
        response = await client.get(path)
        rendered[path] = NONCES.sub(r"\1-", (await response.get_data()).decode())
    response = await client.get("/no-such-page", headers=HTMX)
    rendered["htmx 404"] = (await response.get_data()).decode()
    return rendered


async def test_pages_are_the_html_quarts_render_template_made(app, client, conn, monkeypatch):
    product = await make_product(conn, variants=[("M", "Rani Pink", 4), ("L", "Indigo", 0)])
    await post(
        client, "/bag/add", form={"variant_id": str(product["variants"][0]["id"]), "quantity": "1"}, headers=HTMX
    )
    now = await pages_of_the_shop(client, product)
    # before: Quart's own render_template and update_template_context (threads for plain processors)
    monkeypatch.setattr(pages, "render", quart.render_template)
    monkeypatch.delattr(app.app, "update_template_context")
    before = await pages_of_the_shop(client, product)
    assert now.keys() == before.keys()
    for path in now:
        assert now[path] == before[path], path
    assert "1 in bag" in now[product["url"]] and "Page not found" in now["/no-such-page"]


async def test_plain_context_processors_run_inline_not_in_a_worker_thread(app, client, conn):
    calls = []

    @app.app.context_processor
    def where():  # a plain function, like quart-auth's: Quart would run it in a thread
        calls.append(threading.get_ident())
        return {}

    product = await make_product(conn)
    for path in ("/", product["url"], "/no-such-page", "/account/login"):
        await client.get(path)
    await post(
        client, "/bag/add", form={"variant_id": str(product["variants"][0]["id"]), "quantity": "1"}, headers=HTMX
    )
    assert len(calls) >= 5 and set(calls) == {threading.get_ident()}  # (post() also fetches a page)


async def test_the_view_values_win_over_context_processors(app):
    @app.app.context_processor
    async def clash():
        return {"title": "from a processor", "extra": "kept"}

    async with app.app.test_request_context("/"):
        context = {"title": "from the view"}
        await app.app.update_template_context(context)
    assert context["title"] == "from the view" and context["extra"] == "kept"
    assert {"g", "request", "session", "current_user"} <= context.keys()
