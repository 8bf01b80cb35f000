"""The bare-stack references: Quart on hypercorn with an aiomysql pool doing only the SQL that
Mooncart's own endpoints do, without the shop's middleware (no session cookie, CSRF or Origin
check, request id, JSON logging, security headers, quart-auth or rate limiter). Mooncart's
throughput on each endpoint is reported as a fraction of its reference here.

- POST /bag/add: add-to-bag's two statements (the look-up and the upsert), answering a few bytes.
- GET /products/<slug> and GET /c/<slug>: the product page's and the listing's own queries and
  the layout's data (bag count, navigation), rendered with the shop's own Jinja templates and
  filters. The queries and the page's context come from the shop's modules, not a copy, so the
  reference cannot drift from what the shop runs (tests/test_bench.py compares the HTML).

The templates' url_for() needs the shop's endpoints, so the app borrows the shop's URL rules
(every one but the three served here answers 404); csrf_token() and csp_nonce() are a random
value per request, as in the shop, but nothing is kept in a session or signed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import aiomysql
from markupsafe import Markup, escape
from quart import Quart, Response, abort, g, render_template, request, url_for
from werkzeug.datastructures import MultiDict

import mooncart
from mooncart import assets, create_app, formatting
from mooncart.accounts.auth import log_in_link
from mooncart.bag.queries import add_to_line, select_bag_count, select_variant_in_bag
from mooncart.bag.token import read_bag_cookie
from mooncart.catalog import queries
from mooncart.catalog.facets import listing_facets, size_facet_filters
from mooncart.catalog.listing import DISCOUNT_CHOICES, SORT_LABELS, make_cursor, parse_listing_args
from mooncart.catalog.my_sizes import MySizes, my_sizes_in_listing
from mooncart.catalog.product_page import product_page_context
from mooncart.catalog.reference import reference_data
from mooncart.config import DEFAULT_DATABASE_URL, DatabaseSettings

DATABASE_URL = os.environ.get("MOONCART_DATABASE_URL", DEFAULT_DATABASE_URL)
SECRET_KEY = os.environ.get("MOONCART_SECRET_KEY", "bare-reference")

shop = create_app({"SECRET_KEY": SECRET_KEY, "DATABASE_URL": DATABASE_URL})  # only read, never served
app = Quart(__name__, template_folder=str(Path(mooncart.__file__).with_name("templates")), static_folder=None)
app.config.update({key: shop.config[key] for key in ("SECRET_KEY", "REFERENCE_CACHE_SECONDS", "PAGE_SIZE")})
app.jinja_env.trim_blocks = True
app.jinja_env.lstrip_blocks = True
formatting.register(app)
settings = DatabaseSettings.from_url(DATABASE_URL)


@app.url_defaults
def hashed_static_urls(endpoint: str, values: dict) -> None:
    """The shop's static URLs carry their file's hash (mooncart.assets); so do the bare pages."""
    if endpoint == "static":
        asset = assets.load_assets(shop.static_folder).get(values.get("filename", ""))
        if asset is not None:
            values.setdefault("v", asset.digest)


def per_request_token() -> str:
    if "bare_token" not in g:
        g.bare_token = secrets.token_urlsafe(32)
    return g.bare_token


def csp_nonce() -> str:
    if "bare_nonce" not in g:
        g.bare_nonce = secrets.token_urlsafe(16)
    return g.bare_nonce


app.jinja_env.globals.update(
    csrf_token=per_request_token,
    csp_nonce=csp_nonce,
    csrf_field=lambda: Markup('<input type="hidden" name="csrf_token" value="%s">') % escape(per_request_token()),
    log_in_link=log_in_link,  # the header's "Log in", back to this page (as the shop's own)
)


@app.before_serving
async def open_pool() -> None:
    app.pool = await aiomysql.create_pool(
        minsize=1, maxsize=20, pool_recycle=3600, cursorclass=aiomysql.DictCursor, **settings.connect_kwargs()
    )


@app.before_request
async def anonymous() -> None:  # async: Quart runs a plain hook in a worker thread, which the shop does not
    """Every visitor here is anonymous (no quart-auth): the shop's picker asks who is signed in."""
    g.shopper = None


@app.after_serving
async def close_pool() -> None:
    app.pool.close()
    await app.pool.wait_closed()


@app.post("/bag/add", endpoint="bag.add")
async def add():
    form = await request.form
    async with app.pool.acquire() as conn:
        row = await select_variant_in_bag(conn, int(form["variant_id"]), request.cookies.get("bare_bag"), None)
        await add_to_line(conn, row["cart_id"], row["id"], 1, 10)
    return "<span>ok</span>"


async def layout(conn, nav_categories=None) -> dict:
    """What the shop's render_page adds for the header (an anonymous visitor: no shopper)."""
    return dict(
        bag_count=await select_bag_count(conn, read_bag_cookie().token, None) or 0,
        shopper=None,
        nav_categories=nav_categories or (await reference_data(conn)).categories,
    )


async def page(template: str, **context) -> Response:
    return Response(await render_template(template, **context), content_type="text/html; charset=utf-8")


@app.get("/products/<slug>", endpoint="catalog.product")
async def product(slug: str):
    async with app.pool.acquire() as conn:
        context = await product_page_context(conn, slug)
        if context is None:
            abort(404)
        context.update(await layout(conn))
    return await page("catalog/product.html", **context)


@app.get("/c/<slug>", endpoint="catalog.category")
async def category(slug: str):
    """The shop's catalog.routes.category for a full page, minus its middleware."""
    async with app.pool.acquire() as conn:
        reference = await reference_data(conn)
        sizes, colours = reference.sizes, reference.colours
        current = queries.find_category(reference.categories, slug)
        if current is None:
            abort(404)
        listing = parse_listing_args(request.args, sizes, colours)
        categories = [current] + current.children
        if listing.filters.size_ids:
            wanted_groups = {s["size_group"] for s in sizes if s["id"] in listing.filters.size_ids}
            categories = [c for c in categories if c.size_group in wanted_groups] or categories[:1]
        page_size = app.config["PAGE_SIZE"]
        rows = await queries.select_listing(
            conn, [c.id for c in categories], listing.filters, listing.sort, listing.after, page_size
        )
        size_groups = {child.size_group for child in current.children} or {current.size_group}
        filter_sizes = [size for size in sizes if size["size_group"] in size_groups]
        # the listing's facet counts: the same statement and the same partial as the shop's
        facets = await listing_facets(
            conn,
            category_ids=[c.id for c in [current] + current.children],
            filters=listing.filters,
            chosen=listing.filters,
            sizes=filter_sizes if len(filter_sizes) > 1 else [],
            colours=colours,
            link=lambda link_args: url_for("catalog.category", slug=current.slug, **link_args),
            link_args=listing.query_args(),
            size_filters=size_facet_filters(listing.filters, listing.filters),
        )
        context = await layout(conn, reference.categories)
    products, has_more = rows[:page_size], len(rows) > page_size
    next_url = None
    if has_more:
        args = MultiDict(request.args)
        args["after"] = make_cursor(products[-1], listing.sort)
        next_url = url_for("catalog.category", slug=slug, **args.to_dict(flat=False))
    return await page(
        "catalog/listing.html",
        category=current,
        products=products,
        next_url=next_url,
        listing=listing,
        sizes=filter_sizes if len(filter_sizes) > 1 else [],
        colours=colours,
        sort_labels=SORT_LABELS,
        discount_choices=DISCOUNT_CHOICES,
        facets=facets,
        my_sizes=my_sizes_in_listing(MySizes(), filter_sizes, listing.filters),  # a visitor with none set
        **context,
    )


async def not_served(**_kwargs):
    abort(404)


def borrow_url_rules() -> None:
    """The shop's URL rules, so that the templates' url_for() builds the same links."""
    for rule in shop.url_map.iter_rules():
        if rule.endpoint not in app.view_functions:
            app.add_url_rule(
                rule.rule,
                rule.endpoint,
                not_served,
                methods=rule.methods,
                defaults=rule.defaults,
                provide_automatic_options=False,
            )


borrow_url_rules()
