"""Shared HTML: the part of a page every visitor sees alike kept rendered in the shared cache
(only when there is one: cache.py), with what belongs to one request filled in on each response.
The machinery (render_shared, fill, filler, digest) serves the product page, here, and the
category listing (listing_cache.py).

The product page: rendering the 25 KB page was most of what a cached product page cost, so the
part every visitor sees alike is kept rendered: the photos, the picker with its stock badges, the
size chart, the details, the look, a guest's reviews and the recommendation rows (the page's
`content` block).

What belongs to one request is never in that HTML:
- the CSRF token and the CSP nonce are marks in it (salted, so that no review's text can pass
  for one), replaced on every response by the request's own (so no visitor is ever sent
  another's token), and only where the HTML has them (a reply without a form starts no session);
- the request's own values (the page's own address, where a heart comes back to without
  JavaScript) likewise: named context values, given as marks to the render and filled from the
  page's context, escaped;
- the regions that are the visitor's own (the delivery check, recently viewed, and a signed-in
  shopper's reviews) are marks where their template would be included, each rendered on every
  request with the whole page's context, as an include would be;
- the layout around it (header, bag count, who is signed in, flashed messages) is rendered as
  always.

What the shared part shows of the visitor is part of the entry's key: the picker as her bag and
holds make it (stock, quantity in bag), whether she is signed in, and the registered visitor
parts (the hearts she filled): each distinct value has its own entry.

Freshness: the key also holds the product's data as this request read it (from its own cache
entry, itself fresh: cache.py), so a request after a stock or price change computes a new key
and never meets HTML rendered before it. The regions read inside the render (look, reviews,
recommendations) are read under the entry's generations (catalog, reviews, stock), taken before
them, as every cache entry is."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

from jinja2 import ChoiceLoader, DictLoader, Environment, pass_context
from markupsafe import Markup, escape
from quart import current_app, request

from .. import cache
from ..accounts.auth import auth_manager_key, current_shopper
from ..htmx import template_environment
from . import product_page

TEMPLATE = "catalog/product.html"
# The visitor's own regions: marks in the cached HTML, rendered on every request
OWN_REGIONS = ("delivery/_delivery_check.html", "wishlist/_recently_viewed.html")
SHOPPER_REGIONS = (*OWN_REGIONS, "reviews/_reviews.html")  # her votes, whether she may review
# The request's own values the shared part shows: marks, filled from the page's context
VALUES = ("heart_next",)  # where a heart comes back to without JavaScript: this very address
GENERATIONS = (cache.CATALOG, cache.REVIEWS, cache.STOCK)
# The entry's format (its fields and its marks), in its key: a worker of another release (a rolling
# deploy, or a deploy without a migrate, which is what bumps the generations) never reads an entry
# it cannot fill. Raise it whenever what render_shared stores or fill replaces changes.
FORMAT = "v3"  # {"html", "salt"}, values as marks named by their context name (v2: the path as "path")


def _mark(name: str, salt: str) -> str:
    """A mark in cached HTML: private-use characters that escaping leaves alone, and a random salt
    kept with the entry, so that no text a shopper wrote (a review) can pass for one."""
    return f"\ue000{salt}:{name}\ue001"


def _environment(app, regions: tuple[str, ...], salt: str) -> Environment:
    """The app's (synchronous) templates, except that each of `regions` renders as its mark
    (one environment per salt: a worker makes one salt and uses it for every entry it renders)."""
    name = f"mooncart_shared_html:{salt}:" + ",".join(regions)
    env = app.extensions.get(name)
    if env is None:
        base = template_environment(app)
        marks = DictLoader({region: _mark("region:" + region, salt) for region in regions})
        assert base.loader is not None  # Quart's, from the app's template folders
        env = app.extensions[name] = base.overlay(loader=ChoiceLoader([marks, base.loader]))
    return env


def _salt(app) -> str:
    """This worker's salt for the marks of the entries it renders (stored with each entry)."""
    return app.extensions.setdefault("mooncart_product_html_salt", secrets.token_hex(8))


def render_shared(
    app,
    template_name: str,
    context: dict,
    *,
    regions: tuple[str, ...] = (),
    values: tuple[str, ...] = (),
    block: str | None = "content",
) -> dict:
    """A template's `block` (None: the whole template, an htmx reply) with the request's own bits
    as marks (the token, the nonce, each of `values`, each of `regions`), and the marks' salt.
    Only `context` is seen (no request, session or layout values): what the shared HTML shows is
    what was given here."""
    salt = _salt(app)
    template = _environment(app, regions, salt).get_template(template_name)
    marked = dict(
        context,
        csrf_token=lambda: _mark("csrf-token", salt),
        csrf_field=lambda: Markup(_mark("csrf-field", salt)),  # noqa: S704 # a fixed mark, no input
        csp_nonce=lambda: _mark("nonce", salt),
    )
    marked.update({name: _mark("value:" + name, salt) for name in values})
    render = template.root_render_func if block is None else template.blocks[block]
    return {"html": "".join(render(template.new_context(marked))), "salt": salt}


def fill(
    entry: dict,
    values: dict[str, str],
    own_region: Callable[[str], str] | None = None,
    regions: tuple[str, ...] = (),
) -> str:
    """The cached HTML with this request's token and nonce (only where the HTML has them: a reply
    without a form must not start a session), its `values` (escaped) and its own `regions`
    (`own_region(name)` renders one)."""
    salt = entry["salt"]
    page = entry["html"]
    for region in regions:
        assert own_region is not None  # a page with own regions renders them
        page = page.replace(_mark("region:" + region, salt), own_region(region))
    env_globals = template_environment(current_app).globals
    for name, make in (("csrf-field", "csrf_field"), ("csrf-token", "csrf_token"), ("nonce", "csp_nonce")):
        mark = _mark(name, salt)
        if mark in page:
            maker: Callable[[], str] = env_globals[make]  # type: ignore[assignment]  # globals are typed as objects
            made = maker()
            page = page.replace(mark, str(made if name == "csrf-field" else escape(made)))
    for name, value in values.items():
        page = page.replace(_mark("value:" + name, salt), str(escape(value)))
    return page


def filler(entry: dict, regions: tuple[str, ...] = (), values: tuple[str, ...] = ()):
    """What a page's template calls in place of its block: the cached HTML filled with this
    request's own (fill), its values and own regions from the page's whole context, as an
    include would see it."""

    @pass_context
    def fill_in(ctx) -> Markup:
        def own_region(name: str) -> str:
            template = ctx.environment.get_template(name)
            return "".join(template.root_render_func(template.new_context(ctx.get_all(), shared=True)))

        page = fill(entry, {name: ctx[name] for name in values}, own_region, regions)
        return Markup(page)  # noqa: S704 # rendered by our autoescaping templates, marks replaced by escaped values

    return fill_in


def _key_value(value: Any) -> Any:
    """A visitor part as key data (a set of ids in order)."""
    return sorted(value) if isinstance(value, (set, frozenset)) else value


def digest(*data: Any) -> str:
    """A digest of everything shared HTML was made from that is not read inside its render.
    json's C encoder (str for a decimal, a date or a dataclass) is several times cheaper than
    cache.key's exact encoding, and a digest needs no decoding back."""
    plain = [_key_value(v) if not isinstance(v, dict) else {k: _key_value(x) for k, x in v.items()} for v in data]
    return hashlib.sha256(json.dumps(plain, default=str, separators=(",", ":")).encode()).hexdigest()[:32]


def _key(slug: str, signed_in: bool, *data: Any) -> str:
    """The product page's entry's key: the slug, then a digest of what the HTML was made from."""
    return f"product-html:{FORMAT}:{'shopper' if signed_in else 'guest'}:{slug}:{digest(*data)}"


async def product_page_context(conn, slug: str) -> dict | None:
    """The product page's context with the shared part as cached HTML (`product_html`, called by
    the template), or None for no such product. A visitor without a bag, PIN, recently-viewed
    cookie or log-in costs no statement while the product's entry and the HTML are fresh."""
    page = await product_page.product_data(conn, slug)
    if page is None:
        return None
    product = page["product"]
    if product["slug"] != slug:
        return {"product": product}  # the route answers with the page's one address
    picker = await product_page.picker_for(conn, page)
    visitor = await product_page.visitor_context(conn, product)
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a werkzeug LocalProxy
    signed_in = auth_manager_key in app.extensions and await current_shopper() is not None
    regions = SHOPPER_REGIONS if signed_in else OWN_REGIONS
    parts = {name: visitor[name] for name in product_page.visitor_part_names()}
    picker_rows = [(v["id"], v["stock"], v["in_bag"]) for v in picker.variants]

    async def render() -> dict:
        context = product_page.page_context(page, picker)
        context.update(await product_page.region_context(conn, product))
        context.update(parts)
        return render_shared(app, TEMPLATE, context, regions=regions, values=VALUES)

    entry = await cache.current().get_or_load(
        _key(slug, signed_in, page, picker_rows, picker.max_quantity, parts),
        render,
        generations=GENERATIONS,
    )
    here = request.full_path.rstrip("?")
    return dict(visitor, product=product, heart_next=here, product_html=filler(entry, regions, VALUES))
