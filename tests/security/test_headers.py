"""Security headers on every answer: a fresh CSP nonce on each page and on our scripts, a request id,
no framing, no sniffing, a careful referrer."""

from __future__ import annotations

import pytest

from tests.conftest import soup


async def test_csp_nonce_is_fresh_per_response_and_on_our_scripts(client):
    first, second = await client.get("/"), await client.get("/")
    nonces = []
    for response in (first, second):
        csp = response.headers["Content-Security-Policy"]
        nonce = csp.split("'nonce-")[1].split("'")[0]
        assert all(tag["nonce"] == nonce for tag in soup(await response.get_data()).find_all("script"))
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "unsafe" not in csp
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/bag"])
async def test_headers_on_pages_errors_and_fragments(client, path):
    for headers in (None, {"HX-Request": "true"}):
        response = await client.get(path, headers=headers)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
