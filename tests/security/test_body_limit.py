"""The 64 KiB limit on a form's body holds for chunked requests too (they declare no
Content-Length, so the old check never saw them and the body was read up to 9 MiB and parsed),
and it is enforced before anything parses the body or looks for its CSRF token. Through the
test client (a streamed body) and through real hypercorn (Transfer-Encoding: chunked)."""

from __future__ import annotations

import secrets

import httpx
import pytest
from quart.wrappers.request import Request

from mooncart.security import SMALL_BODY_BYTES
from tests.conftest import csrf
from tests.factories import make_product
from tests.shop_server import Signers, running_shop

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def parsed(monkeypatch):
    """Records every time a form body is handed to the form parser."""
    calls = []
    original = Request.make_form_data_parser

    def recording(self):
        calls.append(self.path)
        return original(self)

    monkeypatch.setattr(Request, "make_form_data_parser", recording)
    return calls


async def send_streamed(client, path: str, chunks: list[bytes], headers: dict | None = None):
    """A POST whose body arrives in pieces with no Content-Length, as a chunked request does."""
    async with client.request(path, method="POST", headers={**FORM, **(headers or {})}) as connection:
        for chunk in chunks:
            await connection.send(chunk)
        await connection.send_complete()
    return await connection.as_response()


async def test_a_streamed_body_over_the_limit_is_refused_before_it_is_parsed(client, conn, parsed):
    token = await csrf(client)
    body = f"csrf_token={token}&variant_id=1&note=".encode() + b"x" * (SMALL_BODY_BYTES + 1)
    response = await send_streamed(client, "/bag/add", [body[i : i + 8192] for i in range(0, len(body), 8192)])
    assert response.status_code == 413
    assert parsed == [], "the form parser never saw it"


async def test_a_streamed_body_within_the_limit_is_a_normal_form(client, conn):
    product = await make_product(conn, stock=3)
    token = await csrf(client)
    body = f"csrf_token={token}&variant_id={product['variants'][0]['id']}&quantity=1".encode()
    response = await send_streamed(client, "/bag/add", [body[:10], body[10:]])
    assert response.status_code == 303


async def test_a_wrong_csrf_header_is_refused_without_parsing_the_body(client, conn, parsed):
    await csrf(client)
    response = await send_streamed(
        client, "/bag/add", [b"variant_id=1&quantity=1"], headers={"X-CSRF-Token": "forged", "HX-Request": "true"}
    )
    assert response.status_code == 403
    assert parsed == []


async def test_a_declared_length_over_the_limit_is_refused_at_once(client, conn, parsed):
    token = await csrf(client)
    body = f"csrf_token={token}&note=".encode() + b"x" * SMALL_BODY_BYTES
    response = await client.post("/bag/add", data=body, headers={**FORM, "Content-Length": str(len(body))})
    assert response.status_code == 413 and parsed == []


@pytest.fixture(scope="module")
def hypercorn_shop(tmp_path_factory):
    """One hypercorn for this module; these tests write nothing to the database."""
    import asyncio

    import aiomysql

    from mooncart.db import apply_schema
    from tests.conftest import create_test_database, drop_test_database

    settings = create_test_database("mooncart_body")

    async def schema():
        conn = await aiomysql.connect(**settings.connect_kwargs())
        await apply_schema(conn)
        conn.close()

    asyncio.run(schema())
    with running_shop(settings.url, workers=1, log_path=tmp_path_factory.mktemp("body") / "shop.log") as (url, _):
        yield url, Signers(settings.url)
    drop_test_database(settings)


async def chunked(size: int, prefix: bytes = b""):
    yield prefix
    sent = 0
    while sent < size:
        piece = min(16384, size - sent)
        yield b"x" * piece
        sent += piece


async def test_hypercorn_refuses_a_chunked_body_over_the_limit(hypercorn_shop):
    url, signers = hypercorn_shop
    token = secrets.token_urlsafe(32)
    cookie = "mooncart=" + signers.session.dumps({"csrf_token": token})
    async with httpx.AsyncClient() as client:
        request = client.build_request(
            "POST",
            f"{url}/bag/add",
            headers={**FORM, "Cookie": cookie},
            content=chunked(200 * 1024, f"csrf_token={token}&note=".encode()),
        )
        assert request.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in request.headers
        response = await client.send(request)
    assert response.status_code == 413


async def test_hypercorn_refuses_a_big_chunked_body_without_a_token_as_too_large(hypercorn_shop):
    """The size is checked before the token: a stranger's big body is never parsed to look for one."""
    url, _signers = hypercorn_shop
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/account/login", headers=FORM, content=chunked(200 * 1024, b"email="))
    assert response.status_code == 413


async def test_hypercorn_takes_a_small_chunked_form(hypercorn_shop):
    url, signers = hypercorn_shop
    token = secrets.token_urlsafe(32)
    cookie = "mooncart=" + signers.session.dumps({"csrf_token": token})
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{url}/bag/add",
            headers={**FORM, "Cookie": cookie},
            content=chunked(0, f"csrf_token={token}&variant_id=999999&quantity=1".encode()),
        )
    assert response.status_code == 422 and "no longer in our shop" in response.text, "parsed and answered"
