"""Shop pages: home, category listings, product pages."""

from __future__ import annotations

from urllib.parse import urlencode

from quart import Blueprint, abort, current_app, flash, redirect, request, url_for

from .. import cache
from ..db import get_conn
from ..htmx import fragment, is_htmx, see_other
from ..pages import render_page
from ..recommendations.page import home_picks
from ..redirects import safe_next
from . import queries
from .listing import listing_context, listing_template
from .listing_cache import cached_listing
from .my_sizes import choosable_sizes, current_my_sizes, save_my_sizes, switch_only_mine
from .page_cache import product_page_context as cached_product_page_context
from .product_page import product_page_context
from .reference import reference_data

bp = Blueprint("catalog", __name__)


@bp.get("/")
async def home():
    """The home page: the categories and the newest arrivals."""
    conn = await get_conn()
    categories = (await reference_data(conn)).categories
    arrivals = await queries.select_new_arrivals(conn, limit=8)
    return await render_page(
        "catalog/home.html",
        categories=categories,
        arrivals=arrivals,
        nav_categories=categories,
        picks=await home_picks(conn),
    )


def moved_to(endpoint: str, slug: str):
    """301 to the page's one address (lower-case slug, no trailing slash), keeping the query."""
    query = urlencode(list(request.args.items(multi=True)))
    return redirect(url_for(endpoint, slug=slug) + (f"?{query}" if query else ""), 301)


@bp.get("/c/<slug>/")
async def category_with_slash(slug: str):
    """A hand-typed or pasted link with a trailing slash."""
    return moved_to("catalog.category", slug.lower())


@bp.get("/products/<slug>/")
async def product_with_slash(slug: str):
    """A product URL with a trailing slash moves permanently to the canonical one (one URL per page)."""
    return moved_to("catalog.product", slug.lower())


@bp.get("/c/<slug>")
async def category(slug: str):
    """A category's products, filtered and sorted by the query string, one keyset page at a time.
    The filter form swaps the results region; "More" appends the next cards; without htmx every
    link and the form load the whole page."""
    conn = await get_conn()
    reference = await reference_data(conn)
    current = queries.find_category(reference.categories, slug)
    if current is None:
        if slug != slug.lower() and queries.find_category(reference.categories, slug.lower()) is not None:
            return moved_to("catalog.category", slug.lower())  # /c/KURTIS, typed by hand
        abort(404)
    page_size = current_app.config["PAGE_SIZE"]
    if cache.current().enabled:  # the part everyone asking the same sees alike as cached HTML (listing_cache.py)
        return await cached_listing(conn, reference, current, request.args, page_size)
    context = await listing_context(conn, reference, current, request.args, page_size)
    template = listing_template(context["listing"])
    if is_htmx():
        return await fragment(template, **context)
    return await render_page(template, nav_categories=reference.categories, **context)


@bp.get("/products/<slug>")
async def product(slug: str):
    """A product page: photos, the size and colour picker, stock, reviews; a 404 for no such product."""
    conn = await get_conn()
    if cache.current().enabled:  # the part everyone sees alike as cached HTML (page_cache.py)
        context = await cached_product_page_context(conn, slug)
    else:
        context = await product_page_context(conn, slug)
    if context is None:
        abort(404)
    if context["product"]["slug"] != slug:  # the collation matched /products/KURTA-...: one address per page
        return moved_to("catalog.product", context["product"]["slug"])
    return await render_page("catalog/product.html", **context)


SIZE_GROUP_NAMES = {"apparel": "Clothes", "waist": "Jeans (waist, inches)", "shoe": "Footwear"}


async def my_sizes_page(conn, status: int = 200, error: str | None = None, ticked: set[int] | None = None):
    """The "My sizes" form: every size but Free size, by family, her sizes ticked."""
    mine = await current_my_sizes(conn)
    groups: dict[str, list[dict]] = {}
    for size in choosable_sizes((await reference_data(conn)).sizes):
        groups.setdefault(size["size_group"], []).append(size)
    return await render_page(
        "catalog/my_sizes.html",
        status=status,
        groups=[(SIZE_GROUP_NAMES.get(group, group.title()), sizes) for group, sizes in groups.items()],
        mine=mine,
        ticked=set(mine.size_ids) if ticked is None else ticked,
        error=error,
        next=safe_next(request.args.get("next") or None, ""),
    )


@bp.get("/my-sizes")
async def my_sizes():
    """Set your sizes once: listings then show what is in stock in them. Reachable from every
    listing's filters and the account page; a guest's choice is kept in a cookie."""
    return await my_sizes_page(await get_conn())


@bp.post("/my-sizes")
async def save_my_sizes_form():
    """Keep her sizes (on her account, or in the guest cookie) and go back to the listing she came
    from. An unknown size changes nothing and says so."""
    conn = await get_conn()
    form = await request.form
    by_label = {size["label"]: size["id"] for size in choosable_sizes((await reference_data(conn)).sizes)}
    labels = form.getlist("size")
    if len(labels) > len(by_label) or any(label not in by_label for label in labels):
        return await my_sizes_page(
            conn,
            422,
            "We don't sell one of those sizes, so nothing was saved. Please tick your sizes again.",
            {by_label[label] for label in labels if label in by_label},
        )
    await save_my_sizes(conn, tuple(by_label[label] for label in labels), form.get("only_mine") == "1")
    await flash("Your sizes are saved." if labels else "Your sizes are cleared.")
    return see_other(safe_next(form.get("next") or None, url_for("catalog.my_sizes")))


@bp.post("/my-sizes/showing")
async def show_my_sizes():
    """The "show all" / "show only your sizes" switch above a listing: the switch alone, then back to it."""
    conn = await get_conn()
    form = await request.form
    if form.get("only_mine") not in ("0", "1"):
        await flash("We didn't understand that choice, so nothing changed.")
    else:
        await switch_only_mine(conn, form["only_mine"] == "1")
    return see_other(safe_next(form.get("next") or None, url_for("catalog.my_sizes")))
