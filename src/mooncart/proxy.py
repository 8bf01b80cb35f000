"""Running behind a TLS-terminating reverse proxy (Caddy, nginx): believe its X-Forwarded-For,
X-Forwarded-Proto and X-Forwarded-Host, but only when the connection really comes from one of
MOONCART_TRUSTED_PROXIES. Anyone can send those headers; only the peer address of the TCP
connection cannot be forged. hypercorn's ProxyFixMiddleware trusts a fixed number of hops from
whoever connects, so a visitor who reached the shop directly could still name any address.

With the headers believed, `request.scheme` is https (so the Origin check, Secure and `__Host-`
cookies and HSTS work), `request.remote_addr` is the shopper's address (so the log-in throttle,
the rate limits and the logs count shoppers, not the proxy) and `request.host` is the public name."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# how some proxies write an X-Forwarded-For entry with the client's port
BRACKETED = re.compile(r"\[([^\]]+)\](?::[0-9]{1,5})?")  # [2001:db8::1]:4711
IPV4_WITH_PORT = re.compile(r"([0-9.]+):[0-9]{1,5}")  # 203.0.113.7:4711
# a host name or address, with an optional port: what a Host header may hold
HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def parse_trusted_proxies(value: str | Iterable[str]) -> tuple[Network, ...]:
    """'127.0.0.1, 10.0.0.0/8, ::1' as networks; a ValueError that says which entry is wrong."""
    entries = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for entry in (str(e).strip() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=True))
        except ValueError as error:
            hint = ""
            if "/" in entry and "host bits set" in str(error):
                hint = f" (did you mean {ipaddress.ip_network(entry, strict=False)}?)"
            raise ValueError(
                f"MOONCART_TRUSTED_PROXIES: {entry!r} is not an IP address or network{hint}; "
                "expected e.g. 127.0.0.1,::1 or 10.0.0.0/8"
            ) from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    """An address as proxies write it in X-Forwarded-For: 203.0.113.7, 2001:db8::1, and also
    203.0.113.7:4711 or [2001:db8::1]:4711 (some add the port). None for anything else
    ('unknown', an obfuscated name, garbage)."""
    text = text.strip()
    with_port = BRACKETED.fullmatch(text) or IPV4_WITH_PORT.fullmatch(text)
    if with_port:
        text = with_port.group(1)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket reports 127.0.0.1 as ::ffff:127.0.0.1
    return address


class ForwardedHeaders:
    """ASGI middleware: for connections from a trusted proxy, the client address, scheme and host
    that the proxy reports replace those of the connection. Everyone else's headers change nothing."""

    def __init__(self, app, trusted: Iterable[Network]):
        self.app = app
        self.trusted = tuple(trusted)

    def is_trusted(self, address: Address | None) -> bool:
        """Did this address come from one of our trusted proxies?"""
        return address is not None and any(address in network for network in self.trusted)

    def client_address(self, peer: Address, forwarded_for: list[str]) -> Address:
        """The right-most address of X-Forwarded-For that is not a trusted proxy: each proxy
        appends the address it was connected from, so walking from the right, every entry
        up to the first untrusted one was written by a proxy we trust; anything left of that
        was written by the client and may be invented."""
        client = peer
        for entry in reversed(forwarded_for):
            if not self.is_trusted(client):
                break
            address = parse_address(entry)
            if address is None:
                break  # a trusted proxy wrote something that is not an address: keep that proxy
            client = address
        return client

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            peer = parse_address(str(scope["client"][0]))
            if self.is_trusted(peer):
                scope = self.believe(scope, peer)
        return await self.app(scope, receive, send)

    def believe(self, scope: dict, peer: Address) -> dict:
        """The scope with the client address, scheme and host the trusted proxy reports."""
        forwarded_for: list[str] = []
        proto = host = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for += value.decode("latin-1").split(",")
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").split(",")[-1].strip().lower()  # the nearest proxy's word
            elif name == b"x-forwarded-host":
                host = value.decode("latin-1").split(",")[-1].strip()
        # the hypercorn scope is changed in place (not copied) so that its access log, which
        # reads the same dict after the response, shows the shopper's address too
        scope["client"] = (str(self.client_address(peer, forwarded_for)), 0)
        if proto in ("http", "https"):
            if scope["type"] == "websocket":
                scope["scheme"] = "wss" if proto == "https" else "ws"
            else:
                scope["scheme"] = proto
        if host and HOST.fullmatch(host):
            scope["headers"] = [(name, value) for name, value in scope["headers"] if name != b"host"]
            scope["headers"].append((b"host", host.encode("ascii")))
        return scope
