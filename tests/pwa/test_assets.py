"""Static files under content-hashed URLs, served from memory, gzipped once; pages gzipped when
large and public; the service worker at the root; the CSRF token masked per response."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from mooncart import security
from tests.conftest import HTMX, csrf, soup
from tests.factories import make_product

STATIC = Path(__file__).resolve().parents[2] / "src" / "mooncart" / "static"
GZIP = {"Accept-Encoding": "gzip, deflate"}


def digest(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:16]


def asset_urls(page) -> dict[str, str]:
    """Each /static/ URL the page links to, by the file's name."""
    urls = [tag.get("href") or tag.get("src") for tag in page.find_all(["link", "script"])]
    return {urlsplit(url).path.removeprefix("/static/"): url for url in urls if url and url.startswith("/static/")}


async def test_every_static_url_on_a_page_carries_its_files_content_hash(client):
    page = soup(await (await client.get("/")).get_data())
    urls = asset_urls(page)
    assert {
        "css/mooncart.css",
        "vendor/htmx-4.0.1/htmx.min.js",
        "js/register-sw.js",
        "favicon.svg",
        "manifest.webmanifest",
    } <= set(urls)
    for name, url in urls.items():
        assert parse_qs(urlsplit(url).query) == {"v": [digest(name)]}


async def test_a_hashed_static_file_is_kept_for_a_year_and_gzipped_for_browsers_that_take_it(client):
    url = f"/static/css/mooncart.css?v={digest('css/mooncart.css')}"
    packed = await client.get(url, headers=GZIP)
    assert packed.status_code == 200
    assert packed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert packed.headers["Content-Type"].startswith("text/css")
    body = await packed.get_data()
    assert gzip.decompress(body) == (STATIC / "css/mooncart.css").read_bytes()
    assert int(packed.headers["Content-Length"]) == len(body) < len(gzip.decompress(body)) / 3

    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert await plain.get_data() == (STATIC / "css/mooncart.css").read_bytes()
    refused = await client.get(url, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


async def test_a_static_file_without_its_current_hash_is_served_but_checked_again_each_time(client):
    for url in ["/static/css/mooncart.css", "/static/css/mooncart.css?v=0123456789abcdef"]:
        response = await client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
        again = await client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and await again.get_data() == b""


async def test_pngs_are_not_gzipped_again_and_unknown_or_outside_paths_are_404(client):
    icon = await client.get("/static/icons/icon-192.png", headers=GZIP)
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/png"
    assert "Content-Encoding" not in icon.headers
    for path in [
        "/static/nope.css",
        "/static/../__init__.py",
        "/static/%2e%2e/config.py",
        "/static/" + "a" * 5000,
        "/static/css",
    ]:
        assert (await client.get(path)).status_code == 404


async def test_the_manifest_names_the_shop_and_its_icons_which_are_real_pngs_of_those_sizes(client):
    response = await client.get("/static/manifest.webmanifest")
    assert response.headers["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(await response.get_data())
    assert manifest["name"] == manifest["short_name"] == "Mooncart"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["theme_color"].startswith("#") and manifest["background_color"].startswith("#")
    purposes = set()
    for icon in manifest["icons"]:
        png = await (await client.get(icon["src"])).get_data()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert icon["sizes"] == f"{width}x{height}" and icon["type"] == "image/png"
        purposes.add((icon["purpose"], width))
    assert {("any", 192), ("any", 512), ("maskable", 512)} <= purposes


async def test_the_service_worker_is_served_at_the_root_never_cached_and_named_after_the_release(client):
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    source = (await response.get_data()).decode()
    assert "__RELEASE__" not in source and "__PRECACHE__" not in source
    release = json.loads(source.split("const RELEASE = ", 1)[1].split(";", 1)[0])
    precache = json.loads(source.split("const PRECACHE = ", 1)[1].split(";", 1)[0])
    assert len(release) == 16
    assert precache[0] == "/offline"
    assert f"/static/css/mooncart.css?v={digest('css/mooncart.css')}" in precache


async def test_the_offline_page_names_nobody_and_carries_no_form_token(client):
    response = await client.get("/offline")
    page = soup(await response.get_data())
    assert response.status_code == 200 and "offline" in page.h1.get_text()
    assert page.find("meta", attrs={"name": "csrf-token"}) is None and page.find("form") is None
    assert page.find("script") is None


async def test_a_public_page_is_gzipped_with_vary_and_sent_plain_to_a_browser_that_wants_it_plain(client, conn):
    product = await make_product(conn, stock=4)
    for path in ["/", f"/products/{product['slug']}"]:
        packed = await client.get(path, headers=GZIP)
        assert packed.headers["Content-Encoding"] == "gzip"
        assert {"Accept-Encoding", "HX-Request"} <= {v.strip() for v in packed.headers["Vary"].split(",")}
        html = gzip.decompress(await packed.get_data())
        assert soup(html).find("main") is not None
        plain = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
        assert soup(await plain.get_data()).find("main") is not None


async def test_private_pages_and_small_replies_are_never_compressed(client, conn):
    product = await make_product(conn, stock=4)
    bag = await client.get("/bag", headers=GZIP)
    assert bag.status_code == 200 and "Content-Encoding" not in bag.headers
    login = await client.get("/account/login", headers=GZIP)
    assert "Content-Encoding" not in login.headers
    token = await csrf(client)
    added = await client.post(
        "/bag/add",
        headers={**GZIP, **HTMX},
        form={"csrf_token": token, "variant_id": str(product["variants"][0]["id"]), "quantity": "1"},
    )
    assert added.status_code == 200 and "Content-Encoding" not in added.headers
    not_found = await client.get("/products/no-such-thing", headers={**GZIP, **HTMX})
    assert not_found.status_code == 404 and "Content-Encoding" not in not_found.headers


async def test_each_page_carries_the_csrf_token_under_a_fresh_mask_and_every_mask_is_accepted(client, conn):
    product = await make_product(conn, stock=9)
    first = soup(await (await client.get("/")).get_data())
    second = soup(await (await client.get("/")).get_data())
    masks = {
        first.find("meta", attrs={"name": "csrf-token"})["content"],
        second.find("meta", attrs={"name": "csrf-token"})["content"],
        json.loads(second.find("body")["hx-headers:inherited"])["X-CSRF-Token"],
    }
    assert len(masks) == 3  # no two responses hold the same bytes
    unmasked = {security.unmasked(mask) for mask in masks}
    assert len(unmasked) == 1
    form = {"variant_id": str(product["variants"][0]["id"]), "quantity": "1"}
    for mask in [first.find("meta", attrs={"name": "csrf-token"})["content"], unmasked.pop()]:
        response = await client.post("/bag/add", form={**form, "csrf_token": mask})
        assert response.status_code == 303
    forged = await client.post("/bag/add", form={**form, "csrf_token": "A" * 116})
    assert forged.status_code == 403
