"""The shop's static files, read and gzipped once per process and served from memory.

Every `url_for('static', filename=...)` carries the file's content hash (`?v=<hash>`), so a
browser may keep it for a year without asking again (`immutable`): a new release changes the
hash, hence the URL. A request without the current hash (an old page, a hand-typed URL) still
gets the file, but `no-cache`, so it is never stuck on an old copy.

Also here: the service worker at the root scope (`/sw.js`), which must never be cached by the
HTTP cache so a release reaches phones on their next visit, and the page it shows offline."""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from quart import Blueprint, Quart, Response, abort, current_app, render_template, request, url_for

bp = Blueprint("assets", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"
# Text formats worth gzipping; PNG and the like are compressed already.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/manifest+json", "image/svg+xml")
TYPES = {
    ".webmanifest": "application/manifest+json",
    ".js": "application/javascript",
    ".svg": "image/svg+xml",
    ".css": "text/css",
}
# The service worker's source: its placeholders are filled in once, at start-up (see service_worker()).
SERVICE_WORKER = "sw.js"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None when gzip would not make it smaller
    content_type: str
    digest: str  # 16 hex digits of the content's SHA-256: the `v` of its URL


def content_type(name: str) -> str:
    """The Content-Type of a static file, with charset=utf-8 for text."""
    suffix = Path(name).suffix
    kind = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return kind + "; charset=utf-8" if kind.startswith("text/") or kind.endswith(("javascript", "json")) else kind


def load_asset(path: Path) -> Asset:
    """A static file read once, with its hash and its gzipped body when compressing is worth it."""
    body = path.read_bytes()
    kind = content_type(path.name)
    gzipped = None
    if kind.startswith(COMPRESSIBLE):
        # mtime=0: the same bytes in every process, so any worker answers the same
        packed = gzip.compress(body, compresslevel=9, mtime=0)
        gzipped = packed if len(packed) < len(body) else None
    return Asset(body, gzipped, kind, hashlib.sha256(body).hexdigest()[:16])


@lru_cache(maxsize=4)
def load_assets(folder: str) -> dict[str, Asset]:
    """Every file under the static folder by its URL path, read once per process (the test suite
    builds many apps; they share this)."""
    root = Path(folder)
    return {path.relative_to(root).as_posix(): load_asset(path) for path in sorted(root.rglob("*")) if path.is_file()}


def assets() -> dict[str, Asset]:
    """Every static file of this app, read and gzipped once per process."""
    return load_assets(current_app.static_folder)


def release(files: dict[str, Asset]) -> str:
    """One hash for the whole set of static files: the service worker's cache is named after it."""
    summary = hashlib.sha256()
    for name, asset in sorted(files.items()):
        summary.update(f"{name}:{asset.digest}\n".encode())
    return summary.hexdigest()[:16]


def accepts_gzip() -> bool:
    """Whether the browser takes a gzipped body."""
    return request.accept_encodings["gzip"] > 0


async def static(filename: str) -> Response:
    """A static file from memory: gzipped when the browser takes it, `immutable` under its
    current hash. Nothing here touches the file system, so no name can reach outside the folder
    (or make stat() fail with ENAMETOOLONG, which send_from_directory turned into a 500)."""
    asset = assets().get(filename)
    if asset is None:
        abort(404)
    packed = asset.gzipped is not None and accepts_gzip()
    response = Response(asset.gzipped if packed else asset.body, content_type=asset.content_type)
    if asset.gzipped is not None:
        response.headers["Vary"] = "Accept-Encoding"
        if packed:
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(asset.digest, weak=True)  # weak: the same for both encodings
    response.headers["Cache-Control"] = IMMUTABLE if request.args.get("v") == asset.digest else "no-cache"
    return await response.make_conditional(request)


def hashed_static_urls(endpoint: str, values: dict) -> None:
    """`url_for('static', filename=...)` adds the file's hash: ?v=<digest>."""
    if endpoint == "static":
        asset = assets().get(values.get("filename", ""))
        if asset is not None:
            values.setdefault("v", asset.digest)


@lru_cache(maxsize=4)
def render_service_worker(source: bytes, version: str, precache: tuple[str, ...]) -> bytes:
    """The service worker with this release's version and precache list filled in (cached: the inputs rarely change)."""
    text = source.decode()
    text = text.replace('"__RELEASE__"', json.dumps(version)).replace('["__PRECACHE__"]', json.dumps(list(precache)))
    return text.encode()


@bp.get("/sw.js")
async def service_worker() -> Response:
    """The service worker, at the root so it may control every page. Its cache is named after
    the release (the hash of all static files), so a release changes these bytes; `no-cache`
    makes the browser notice on the next visit, and the new worker takes over (see sw.js)."""
    files = assets()
    precache = (
        url_for("assets.offline"),
        url_for("static", filename="css/mooncart.css"),
        url_for("static", filename="favicon.svg"),
    )
    body = render_service_worker(files[SERVICE_WORKER].body, release(files), precache)
    response = Response(body, content_type="application/javascript; charset=utf-8")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
async def offline() -> Response:
    """What the service worker shows for a page when the network is gone. It names no shopper
    and holds no form token: the worker keeps one copy for everyone who uses this browser."""
    response = Response(await render_template("offline.html"), content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Quart) -> None:
    """Serve static files from memory with hashed URLs, read at start-up rather than on a visitor's request."""
    load_assets(app.static_folder)  # read and gzip at start-up, not on the first visitor's request
    app.url_defaults(hashed_static_urls)
    app.view_functions["static"] = static  # instead of Quart's send_static_file
    app.register_blueprint(bp)
