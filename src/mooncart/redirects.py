"""Where a `next=` parameter may send a browser: only to a page of this shop.

Browsers are generous with what they take as "another site" in a Location header: they drop tabs
and newlines (`/<TAB>/evil.example` becomes `//evil.example`), read `\\` as `/`, map look-alike
slashes, and accept `https:evil.example` without slashes. So instead of listing the bad, we accept
only the plainly good: a path that starts with one `/`, in printable ASCII, without backslashes,
encoded slashes or dot segments. Everything else falls back to a default page. tests/security/test_redirects.py
checks a corpus of known bypasses by resolving each answer as a browser would (and in Chromium)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from quart import current_app, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException

MAX_LENGTH = 2048
_ENCODED_SLASH = re.compile(r"%(2f|5c)", re.IGNORECASE)
_DECODE_ROUNDS = 3  # %252f is %2f after one round; anything still encoded after three is refused


def _printable_ascii(text: str) -> bool:
    """No whitespace, control characters or non-ASCII (where look-alike slashes and dots live)."""
    return all("!" <= char <= "~" for char in text)


def _plain_path(path: str) -> bool:
    """The path, decoded as often as someone might decode it, is still a plain path on this site."""
    for _ in range(_DECODE_ROUNDS):
        if _ENCODED_SLASH.search(path):
            return False
        decoded = unquote(path, errors="strict")  # an escape that is not UTF-8 raises: refused
        if decoded == path:
            break
        path = decoded
    else:
        return False
    if not path.startswith("/") or path.startswith("//") or not _printable_ascii(path) or "\\" in path:
        return False
    # dot segments would let /..//evil.example resolve to the path //evil.example
    return not any(segment in (".", "..") for segment in path.split("/"))


def is_local_path(target: str) -> bool:
    """True when a browser given `Location: <target>` stays on this site, at a plain path."""
    if not target or len(target) > MAX_LENGTH or not _printable_ascii(target) or "\\" in target:
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    try:
        parts = urlsplit(target)
        path = parts.path
        if parts.scheme or parts.netloc:
            return False
        return _plain_path(path)
    except (ValueError, UnicodeDecodeError):
        return False


def safe_next(target: str | None, default: str | None = None) -> str:
    """`target` when it is a page of this shop, else `default` (the home page when not given).
    The query string and fragment may hold anything printable: they never change the site."""
    if isinstance(target, str) and is_local_path(target):
        return target
    return default if default is not None else url_for("catalog.home")


def without_trailing_slash() -> str | None:
    """For a GET of `/page/` that found nothing, `/page` (with its query) when that is a page
    one can GET: a hand-typed slash (mooncart.in/bag/) found "Page not found", though the
    category and product pages already moved such links to their one address. None otherwise
    (no such page, a form's address, a doubled slash)."""
    path = request.path
    if request.method not in ("GET", "HEAD") or len(path) < 2 or not path.endswith("/") or path.endswith("//"):
        return None
    target = path[:-1]
    adapter = current_app.create_url_adapter(request)
    try:
        assert adapter is not None  # a request is being served
        adapter.match(target, method="GET")
    except (HTTPException, RoutingException):  # not found, not a GET page, or itself moved
        return None
    query = request.query_string.decode("latin-1")
    target = target + (f"?{query}" if query else "")
    return target if is_local_path(target) else None
