"""`next=` after log-in, registration and the two-step code never leaves the shop.

Judged by where a browser goes, not by what the string looks like: each answer's Location is
resolved as the WHATWG URL parser does (tabs and newlines dropped, `\\` read as `/`) against the
shop's address, and, for every case, by Chromium's own `new URL(location, base)`. The corpus is
the usual open-redirect bypass list: slashes and backslashes in every combination, tabs and
newlines between them, encoded and double-encoded slashes, schemes with and without slashes,
userinfo, look-alike Unicode slashes and dots, NUL bytes."""

from __future__ import annotations

import re
import shutil
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import pytest

from mooncart.redirects import is_local_path, safe_next
from tests.conftest import post, soup
from tests.factories import make_user, next_code

BASE = "https://shop.example/account/login"
SHOP = ("https", "shop.example", None)

BYPASSES = [
    # slashes and backslashes
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "//evil.example/",
    "//evil.example:443/x",
    "/\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "\\evil.example",
    "/\\\\evil.example",
    "//\\evil.example",
    "\\//evil.example",
    # tabs, newlines and other controls that browsers strip or ignore
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\t\\evil.example",
    "\t//evil.example",
    "\n//evil.example",
    " //evil.example",
    "\x00//evil.example",
    "/\x00/evil.example",
    "\x0b//evil.example",
    "\x0c//evil.example",
    "\x1f//evil.example",
    "/\x7f/evil.example",
    "//evil.example\t",
    "/ /evil.example",
    "/\u00a0/evil.example",
    "/\u200b/evil.example",
    "\u3000//evil.example",
    # encoded, double-encoded and mixed-case slashes, backslashes and controls
    "/%2F/evil.example",
    "/%2f/evil.example",
    "/%2F%2Fevil.example",
    "/%5C/evil.example",
    "/%5c%5cevil.example",
    "/%252F/evil.example",
    "/%25252F/evil.example",
    "/%255C/evil.example",
    "%2F%2Fevil.example",
    "%5C%5Cevil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0D%0A/evil.example",
    "/%00/evil.example",
    "%00//evil.example",
    "/%2e%2e//evil.example",
    "/%E3%80%82/evil.example",
    "/%EF%BC%8F/evil.example",
    "/%ff/evil.example",
    "/%c0%af/evil.example",
    # schemes, with and without slashes
    "https://evil.example",
    "http://evil.example",
    "https:evil.example",
    "http:evil.example",
    "https:/evil.example",
    "https:\\\\evil.example",
    "HTTPS://evil.example",
    "hTtP://evil.example",
    "ftp://evil.example",
    "ws://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "javascript://%0aalert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "blob:https://evil.example/x",
    # userinfo and look-alikes
    "https://shop.example@evil.example",
    "//shop.example@evil.example",
    "/\\shop.example@evil.example",
    "//evil.example\\@shop.example",
    "//evil.example%2f@shop.example",
    "/\uff0fevil.example",
    "\uff0f\uff0fevil.example",
    "/\u2215evil.example",
    "\u2215\u2215evil.example",
    "\u2216\u2216evil.example",
    "//evil\u3002example",
    "/\u2044evil.example",
    "\u30fb\u30fbevil.example",
    # dot segments, relative forms and oversize
    "/.//evil.example",
    "/..//evil.example",
    "/../\\evil.example",
    "/./\\evil.example",
    "evil.example",
    "@evil.example",
    ".evil.example",
    "?x=//evil.example",
    "#//evil.example",
    "",
    " ",
    "/" + "a" * 3000,
]
# odd-looking but harmless: they are paths on the shop, and stay as they are
LOCAL = [
    "/",
    "/c/kurtis?size=M",
    "/c/kurtis?size=M&colour=Rani+Pink&sort=price_asc",
    "/products/some-slug",
    "/orders/MC-2026-0001",
    "/@evil.example",
    "/c/kurtis?next=//evil.example",
    "/products/x#//evil.example",
    "/admin/products?q=a%2Fb",
]


def browser_location(location: str, base: str = BASE) -> str:
    """Where a browser goes, following the WHATWG URL parser: it trims C0 controls and spaces at
    the ends and drops every tab and newline; in http(s) URLs a backslash is a slash, any run of
    two or more slashes starts the host, and a scheme other than the base's starts it too."""
    cleaned = re.sub(r"[\t\n\r]", "", location.strip("".join(map(chr, range(0x21)))))
    match = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", cleaned)
    scheme = match.group(0) if match else ""
    if scheme.lower() not in ("", "http:", "https:", "ws:", "wss:", "ftp:"):
        return urljoin(base, cleaned)  # javascript:, data:, blob: ... are absolute
    rest = cleaned[len(scheme) :].replace("\\", "/")
    if rest.startswith("//") or (scheme and scheme.lower() != urlsplit(base).scheme + ":"):
        rest = "//" + rest.lstrip("/")
    return urljoin(base, scheme + rest)


def origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def test_the_corpus_is_large_and_the_reference_resolver_sees_the_danger():
    """The resolver used below is not blind: the raw corpus does lead elsewhere, often."""
    assert len(BYPASSES) >= 80
    escaping = [value for value in BYPASSES if origin(browser_location(value)) != SHOP]
    assert len(escaping) >= 40, escaping
    assert origin(browser_location("/\t/evil.example")) == ("https", "evil.example", None)


@pytest.mark.parametrize("value", BYPASSES)
def test_a_hostile_next_falls_back_to_the_default(value):
    assert not is_local_path(value)
    assert safe_next(value, "/") == "/"


@pytest.mark.parametrize("value", LOCAL)
def test_a_page_of_the_shop_is_kept_as_it_is(value):
    assert safe_next(value, "/fallback") == value
    assert origin(browser_location(value)) == SHOP


def test_anything_that_is_not_a_string_falls_back():
    assert safe_next(None, "/home") == "/home"
    assert safe_next(["//evil.example"], "/home") == "/home"  # type: ignore[arg-type]


async def locations_after_log_in(app, conn, values, *, two_step=False) -> list[str]:
    user = await make_user(conn, two_step=two_step)
    client = app.test_client()
    locations = []
    for value in values:
        client.cookie_jar.clear()
        client._csrf = None
        response = await post(
            client,
            f"/account/login?next={quote(value, safe='')}",
            form={"email": user["email"], "password": user["password"]},
        )
        if two_step:
            assert response.headers["Location"] == "/account/login/code"
            response = await post(client, "/account/login/code", form={"code": next_code(user)})
        assert response.status_code == 303, value
        locations.append(response.headers["Location"])
    return locations


async def test_log_in_never_sends_the_browser_to_another_site(app, conn):
    locations = await locations_after_log_in(app, conn, BYPASSES + LOCAL)
    for value, location in zip(BYPASSES + LOCAL, locations):
        assert origin(browser_location(location)) == SHOP, (value, location)
    assert locations[: len(BYPASSES)] == ["/"] * len(BYPASSES)
    assert locations[len(BYPASSES) :] == LOCAL


async def test_the_two_step_code_page_keeps_the_same_rule(app, conn):
    values = ["/\t/evil.example", "//evil.example", "/%2F/evil.example", "https:evil.example", "/c/kurtis?size=M"]
    locations = await locations_after_log_in(app, conn, values, two_step=True)
    assert locations == ["/", "/", "/", "/", "/c/kurtis?size=M"]


async def test_registration_keeps_the_same_rule(app, conn):
    values = [
        "/\t/evil.example",
        "/\\evil.example",
        "//evil.example",
        "/%5c/evil.example",
        "javascript:alert(1)",
        "/products/some-slug",
    ]
    locations = []
    for n, value in enumerate(values):
        client = app.test_client()
        response = await post(
            client,
            f"/account/register?next={quote(value, safe='')}",
            form={
                "name": "Asha Rao",
                "email": f"redirect{n}@example.in",
                "mobile": "9876543210",
                "password": "kurti-season-2026-monsoon",
            },
        )
        assert response.status_code == 303, (value, await response.get_data(as_text=True))
        locations.append(response.headers["Location"])
    assert locations == ["/"] * 5 + ["/products/some-slug"]


async def test_the_log_in_and_sign_up_forms_carry_only_a_safe_next(client):
    for query, expected in (("next=%2F%09%2Fevil.example", "/"), ("next=%2Fc%2Fkurtis%3Fsize%3DM", "/c/kurtis?size=M")):
        html = soup(await (await client.get(f"/account/login?{query}")).get_data())
        action = html.select_one("form.stacked")["action"]
        sign_up = html.find("a", string="Create an account")["href"]
        for url, path in ((action, "/account/login"), (sign_up, "/account/register")):
            assert urlsplit(url).path == path and parse_qs(urlsplit(url).query)["next"] == [expected]
        assert "evil.example" not in str(html)


async def test_chromium_resolves_every_answer_to_the_shop():
    """The reference resolver above is checked against a real browser's URL parser: Chromium
    resolves each raw bypass (to show it would escape) and each Location the shop now sends."""
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed: scripts/test installs it (apt-get install chromium)")
    answers = [safe_next(value, "/") for value in BYPASSES + LOCAL]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            resolve = """([values, base]) => values.map(v => {
                try { const u = new URL(v, base); return [u.protocol, u.host]; } catch (e) { return ['invalid', '']; }
            })"""
            raw = await page.evaluate(resolve, [BYPASSES, BASE])
            sent = await page.evaluate(resolve, [answers, BASE])
        finally:
            await browser.close()
    escaping = [
        value for value, (protocol, host) in zip(BYPASSES, raw) if (protocol, host) != ("https:", "shop.example")
    ]
    assert len(escaping) >= 40  # without the guard, Chromium would follow these elsewhere
    assert "/\t/evil.example" in escaping and "/\\evil.example" in escaping and "http:evil.example" in escaping
    for value, answer, (protocol, host) in zip(BYPASSES + LOCAL, answers, sent):
        assert (protocol, host) == ("https:", "shop.example"), (value, answer)
    # the reference resolver used by the tests above agrees with Chromium on every raw value
    for value, (protocol, host) in zip(BYPASSES, raw):
        assert ((protocol, host) == ("https:", "shop.example")) == (origin(browser_location(value)) == SHOP), value
