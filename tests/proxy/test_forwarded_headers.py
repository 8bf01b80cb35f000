"""The forwarded-headers middleware on its own: which proxies are trusted, which address of an
X-Forwarded-For chain is the client's, and that nobody else's headers change anything."""

from __future__ import annotations

import ipaddress

import pytest

from mooncart.config import load_config
from mooncart.proxy import ForwardedHeaders, parse_address, parse_trusted_proxies


def networks(*texts: str):
    return tuple(ipaddress.ip_network(t) for t in texts)


def test_trusted_proxies_are_addresses_and_networks_of_both_families():
    assert parse_trusted_proxies(" 127.0.0.1, ::1 ,10.0.0.0/8,fd00::/8,") == networks(
        "127.0.0.1/32", "::1/128", "10.0.0.0/8", "fd00::/8"
    )
    assert parse_trusted_proxies("") == ()
    assert parse_trusted_proxies(["192.0.2.1", "2001:db8::/32"]) == networks("192.0.2.1/32", "2001:db8::/32")


@pytest.mark.parametrize(
    "value, says",
    [
        ("proxy.internal", "'proxy.internal' is not an IP address or network"),
        ("127.0.0.1,*", "'*' is not an IP address or network"),
        ("10.0.0.1/8", "did you mean 10.0.0.0/8?"),
        ("300.1.1.1", "'300.1.1.1'"),
        ("2001:db8::/200", "'2001:db8::/200'"),
    ],
)
def test_a_wrong_trusted_proxy_is_refused_with_the_setting_and_entry_named(value, says):
    with pytest.raises(ValueError) as error:
        parse_trusted_proxies(value)
    assert "MOONCART_TRUSTED_PROXIES" in str(error.value) and says in str(error.value)


def test_a_wrong_trusted_proxy_stops_the_app_at_start_up(monkeypatch):
    monkeypatch.setenv("MOONCART_TRUSTED_PROXIES", "localhost")
    with pytest.raises(ValueError, match="MOONCART_TRUSTED_PROXIES: 'localhost'"):
        load_config({"SECRET_KEY": "x"})


def test_by_default_no_proxy_is_trusted(monkeypatch):
    monkeypatch.delenv("MOONCART_TRUSTED_PROXIES", raising=False)
    assert load_config({"SECRET_KEY": "x"})["TRUSTED_PROXIES"] == ()


@pytest.mark.parametrize(
    "text, address",
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("203.0.113.7:4711", "203.0.113.7"),
        ("2001:db8::7", "2001:db8::7"),
        ("[2001:db8::7]:4711", "2001:db8::7"),
        ("[2001:db8::7]", "2001:db8::7"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
    ],
)
def test_addresses_are_read_as_proxies_write_them(text, address):
    assert parse_address(text) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "text", ["unknown", "", "_hidden", "evil.example", "1.2.3", "[::1", "203.0.113.7:80:80", "<script>", "२०३.०.११३.७"]
)
def test_anything_else_is_not_an_address(text):
    assert parse_address(text) is None


MIDDLEWARE = ForwardedHeaders(None, networks("10.0.0.0/8", "2001:db8:ffff::/48"))


@pytest.mark.parametrize(
    "peer, chain, client",
    [
        # one proxy: the address it saw
        ("10.0.0.2", ["198.51.100.4"], "198.51.100.4"),
        # the visitor sent their own X-Forwarded-For: the proxy appended the real address, which is believed
        ("10.0.0.2", ["1.1.1.1", "198.51.100.4"], "198.51.100.4"),
        ("10.0.0.2", ["1.1.1.1, 10.9.9.9", "198.51.100.4"], "198.51.100.4"),
        # two trusted proxies (a load balancer behind a CDN of our own): skip both
        ("10.0.0.2", ["198.51.100.4", "10.0.0.3"], "198.51.100.4"),
        ("10.0.0.2", ["6.6.6.6", "198.51.100.4", "10.0.0.3", "10.0.0.4"], "198.51.100.4"),
        # IPv6 clients and proxies, ports and brackets
        ("2001:db8:ffff::1", ["2001:db8:1::42"], "2001:db8:1::42"),
        ("2001:db8:ffff::1", ["[2001:db8:1::42]:51234", "2001:db8:ffff::9"], "2001:db8:1::42"),
        ("10.0.0.2", ["198.51.100.4:51234"], "198.51.100.4"),
        # everyone in the chain is a trusted proxy: the farthest one is the client
        ("10.0.0.2", ["10.1.1.1", "10.0.0.3"], "10.1.1.1"),
        # garbage where a trusted proxy should have written an address: keep that proxy, invent nothing
        ("10.0.0.2", ["198.51.100.4", "unknown"], "10.0.0.2"),
        ("10.0.0.2", ["198.51.100.4", "junk", "10.0.0.3"], "10.0.0.3"),
        # no header at all: the peer
        ("10.0.0.2", [], "10.0.0.2"),
    ],
)
def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(peer, chain, client):
    assert MIDDLEWARE.client_address(ipaddress.ip_address(peer), chain) == ipaddress.ip_address(client)


def http_scope(peer, headers: list[tuple[str, str]], scheme: str = "http", type_: str = "http") -> dict:
    return {
        "type": type_,
        "scheme": scheme,
        "client": (peer, 50000) if peer else None,
        "headers": [(k.lower().encode(), v.encode()) for k, v in [("Host", "10.0.0.9:8000")] + headers],
    }


FORGED = [("X-Forwarded-For", "203.0.113.66"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example")]


def middleware_for(seen: dict, trusted: str = "10.0.0.0/8, 2001:db8:ffff::/48") -> ForwardedHeaders:
    async def app(scope, receive, send):
        seen.clear()
        seen.update(scope)

    return ForwardedHeaders(app, parse_trusted_proxies(trusted))


@pytest.mark.parametrize("peer", ["192.0.2.50", "11.0.0.1", "2001:db8:fffe::1", "::ffff:192.0.2.50", None])
async def test_headers_from_anyone_but_a_trusted_proxy_change_nothing(peer):
    seen = {}
    scope = http_scope(peer, FORGED)
    original = {**scope, "headers": list(scope["headers"])}
    await middleware_for(seen)(scope, None, None)
    assert seen == original


async def test_a_trusted_proxy_sets_the_client_the_scheme_and_the_host():
    seen = {}
    await middleware_for(seen)(
        http_scope(
            "10.0.0.2",
            [
                ("X-Forwarded-For", "6.6.6.6, 198.51.100.4"),
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Host", "shop.example.com"),
            ],
        ),
        None,
        None,
    )
    assert seen["client"] == ("198.51.100.4", 0)
    assert seen["scheme"] == "https"
    assert [v for k, v in seen["headers"] if k == b"host"] == [b"shop.example.com"]


async def test_a_dual_stack_socket_reporting_a_mapped_ipv4_proxy_is_still_trusted():
    seen = {}
    scope = http_scope("::ffff:127.0.0.1", [("X-Forwarded-For", "198.51.100.4"), ("X-Forwarded-Proto", "https")])
    await middleware_for(seen, "127.0.0.1")(scope, None, None)
    assert seen["client"] == ("198.51.100.4", 0) and seen["scheme"] == "https"


async def test_several_x_forwarded_for_headers_read_as_one_chain():
    seen = {}
    await middleware_for(seen)(
        http_scope("10.0.0.2", [("X-Forwarded-For", "198.51.100.4"), ("X-Forwarded-For", "10.0.0.7")]), None, None
    )
    assert seen["client"] == ("198.51.100.4", 0)


@pytest.mark.parametrize(
    "proto, scheme",
    [
        ("https", "https"),
        ("HTTPS", "https"),
        ("http", "http"),
        ("http, https", "https"),
        ("ftp", "http"),
        ("https\u0000", "http"),
        ("", "http"),
    ],
)
async def test_only_http_or_https_from_the_nearest_proxy_sets_the_scheme(proto, scheme):
    seen = {}
    await middleware_for(seen)(http_scope("10.0.0.2", [("X-Forwarded-Proto", proto)]), None, None)
    assert seen["scheme"] == scheme


async def test_a_websocket_through_a_tls_proxy_is_wss():
    seen = {}
    await middleware_for(seen)(
        http_scope("10.0.0.2", [("X-Forwarded-Proto", "https")], scheme="ws", type_="websocket"), None, None
    )
    assert seen["scheme"] == "wss"


@pytest.mark.parametrize("host", ["evil.example/path", "a b", "shop.example.com\r\nX-Evil: 1", "@evil", ""])
async def test_a_malformed_forwarded_host_is_ignored(host):
    seen = {}
    await middleware_for(seen)(http_scope("10.0.0.2", [("X-Forwarded-Host", host)]), None, None)
    assert [v for k, v in seen["headers"] if k == b"host"] == [b"10.0.0.9:8000"]


async def test_lifespan_passes_through_untouched():
    seen = {}
    await middleware_for(seen)({"type": "lifespan"}, None, None)
    assert seen == {"type": "lifespan"}


def test_mooncart_serve_refuses_a_wrong_trusted_proxy_before_starting_hypercorn():
    """Its supervisor would otherwise start hypercorn again every second, forever."""
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "mooncart", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, MOONCART_TRUSTED_PROXIES="10.0.0.0/8,caddy"),
    )
    assert result.returncode == 1
    assert "MOONCART_TRUSTED_PROXIES: 'caddy' is not an IP address or network" in result.stderr
    assert "serving" not in result.stdout
