"""gzip for the shop's pages and htmx replies, done here in the app so it needs no proxy.

What is compressed: a whole (not streamed) text response of at least MIN_BYTES, to a browser
that accepts gzip. What never is:
- server-sent events (text/event-stream): each event must leave at once, not wait in a buffer;
  they are streamed, so they never reach this hook's body, and their type is refused besides;
- small replies (an add-to-bag reply, a stock badge): under one TCP segment, gzip saves no round
  trip and costs time on both sides;
- private pages (bag, account, checkout, orders, admin): they hold what an eavesdropper wants
  (addresses, orders, two-step secrets) next to what the shopper typed, the recipe for BREACH;
  see docs/SECURITY.md;
- anything already encoded (static files are gzipped once at start-up, see assets.py).
"""

from __future__ import annotations

import gzip

from quart import Quart, Request, Response
from quart.wrappers.response import DataBody

from .hooks import takes_request

MIN_BYTES = 1400  # about one TCP segment's payload
LEVEL = 6  # zlib's default: within a few per cent of 9 on HTML, at half the time
TYPES = {
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
}
NEVER = {"text/event-stream"}


def compressible(response: Response, private_prefixes: tuple[str, ...], req: Request) -> bool:
    """Whether this response's body could be gzipped for some browser (then it varies on Accept-Encoding)."""
    # the cheapest tests first: a private page (every bag reply) is settled without parsing a header
    if req.path.startswith(private_prefixes) or not isinstance(response.response, DataBody):
        return False
    mimetype = response.mimetype
    return (
        mimetype in TYPES
        and mimetype not in NEVER
        and response.status_code not in (204, 206, 304)
        and "Content-Encoding" not in response.headers
    )


def init_app(app: Quart, private_prefixes: tuple[str, ...]) -> None:
    """Call before any other after_request hook is registered: Quart runs them last-first, so
    this one runs after every other hook has had the uncompressed body."""

    @app.after_request
    @takes_request
    async def compress(req, response: Response) -> Response:
        """Gzip a response when it is big enough to be worth it and compressible() allows it."""
        if req.method == "HEAD" or not compressible(response, private_prefixes, req):
            return response
        body = await response.get_data()
        if len(body) < MIN_BYTES:
            return response
        response.vary.add("Accept-Encoding")
        if req.accept_encodings["gzip"] > 0:
            raw = body.encode() if isinstance(body, str) else body
            response.set_data(gzip.compress(raw, compresslevel=LEVEL, mtime=0))
            response.headers["Content-Encoding"] = "gzip"
        return response
