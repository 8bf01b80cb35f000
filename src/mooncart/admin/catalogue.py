"""The back office's catalogue: products with inline editing over htmx (plain forms without),
their variants and photos, and the categories they sit in."""

from __future__ import annotations

import asyncio
import secrets

from pymysql.err import IntegrityError
from quart import abort, current_app, flash, request, url_for

from ..accounts.auth import signed_in_shopper
from ..catalog import queries as catalog_queries
from ..catalog.reference import forget_reference_data
from ..db import get_conn, transaction
from ..htmx import fragment, is_htmx, see_other
from ..inventory.stock import lock_variants, move_stock
from ..pages import render_page
from ..parsing import parse_rupees, parse_whole_number
from ..search import queries as search_queries
from ..security import accepts_uploads
from ..text import slugify
from . import forms, queries
from .access import staff_required
from .blueprint import ID, bp
from .images import MAX_BYTES, BadImage, process_upload

SIZE_GROUPS = ("apparel", "free", "shoe", "waist")


async def product_or_404(conn, product_id: int) -> dict:
    """One loader for every product route: a missing product is a 404 (Flask tutorial's get_post)."""
    product = await queries.select_product(conn, product_id)
    if product is None:
        abort(404)
    return product


async def variant_or_404(conn, variant_id: int) -> dict:
    """The same for variant routes, here and in stock.py."""
    variant = await queries.select_variant(conn, variant_id)
    if variant is None:
        abort(404)
    return variant


async def product_context(conn, product_id: int) -> dict:
    """Everything the product page shows, so a refused form can show the whole page again."""
    product = await product_or_404(conn, product_id)
    return dict(
        product=product,
        variants=await queries.select_variants(conn, product_id),
        images=await catalog_queries.select_images(conn, product_id),
        categories=await queries.select_categories_flat(conn),
        sizes=await catalog_queries.select_sizes(conn),
        colours=await catalog_queries.select_colours(conn),
        reasons=forms.STOCK_REASONS,
        values={},
        errors={},
        variant_errors={},
        row_messages={},
    )


async def variant_row_response(
    conn, variant_id: int, message: str | None = None, error: str | None = None, errors: dict | None = None
):
    """The answer to any change of one variant: over htmx only its row (422 when refused);
    without JavaScript the product page with the row's message, or back to it with a flash."""
    variant = await variant_or_404(conn, variant_id)
    status = 422 if (error or errors) else 200
    if is_htmx():
        return await fragment(
            "admin/_variant_row.html",
            status=status,
            variant=variant,
            reasons=forms.STOCK_REASONS,
            row_message=message,
            row_error=error,
            row_errors=errors or {},
        )
    if status == 422:
        context = await product_context(conn, variant["product_id"])
        context["row_messages"] = {variant_id: (None, error, errors or {})}
        return await render_page("admin/product.html", status=422, **context)
    if message:
        await flash(message)
    return see_other(url_for("admin.product", product_id=variant["product_id"]))


@bp.get("/products")
@staff_required
async def products():
    """Newest products first; staff find one by a word of its name or a SKU from a label."""
    query = (request.args.get("q") or "").strip()[:100]
    return await render_page(
        "admin/products.html", products=await queries.search_products(await get_conn(), query), query=query
    )


@bp.route("/products/new", methods=["GET", "POST"])
@staff_required
async def new_product():
    """A product starts with its name, words and price; sizes, colours and photos follow on its
    own page. Its slug gets a random tail so two products may share a name."""
    conn = await get_conn()
    categories = await queries.select_categories_flat(conn)
    values, errors = {}, {}
    if request.method == "POST":
        form = await request.form
        values, errors = forms.product(form, {c["id"] for c in categories})
        price = parse_rupees(form.get("price"), 1, forms.MAX_PRICE_PAISE)
        if price is None:
            errors["price"] = "Enter the price in rupees, like 1499."
        mrp = forms.mrp(form, price, errors)
        if not errors:
            values["price_paise"], values["mrp_paise"] = price, mrp
            slug = f"{slugify(values['name'])[:160]}-{secrets.token_hex(3)}"
            product_id = await queries.insert_product(conn, values, slug)
            await search_queries.refresh_search_text(conn, [product_id])
            await flash("Product created. Now add its sizes and colours, and a photo.")
            return see_other(url_for("admin.product", product_id=product_id))
    return await render_page(
        "admin/new_product.html", status=422 if errors else 200, categories=categories, values=values, errors=errors
    )


@bp.get("/products/" + ID.format("product_id"))
@staff_required
async def product(product_id: int):
    """One product with everything staff edit: fields, variants with their stock, photos."""
    return await render_page("admin/product.html", **await product_context(await get_conn(), product_id))


@bp.post("/products/" + ID.format("product_id"))
@staff_required
async def update_product(product_id: int):
    """Save the product's fields: over htmx the fields answer in place, saved or with their
    errors (422); without JavaScript, back to the page (303) or the page with errors."""
    conn = await get_conn()
    context = await product_context(conn, product_id)
    values, errors = forms.product(await request.form, {c["id"] for c in context["categories"]})
    if not errors:
        await queries.update_product(conn, product_id, values)
        await search_queries.refresh_search_text(conn, [product_id])
        context["product"] = await queries.select_product(conn, product_id)
        context["saved"] = True
    else:
        context.update(values=values, errors=errors)
    status = 422 if errors else 200
    if is_htmx():
        return await fragment("admin/_product_fields.html", status=status, **context)
    if errors:
        return await render_page("admin/product.html", status=422, **context)
    await flash("Product saved.")
    return see_other(url_for("admin.product", product_id=product_id))


@bp.post("/products/" + ID.format("product_id") + "/delete")
@staff_required
async def delete_product(product_id: int):
    """Take a product off the shop. Bags lose it (the foreign key cascades); orders keep their
    own copy of its name and price, so past orders still read right."""
    conn = await get_conn()
    product = await product_or_404(conn, product_id)
    await queries.delete_product(conn, product_id)
    await flash(f"{product['name']} is deleted. Past orders still show it.")
    return see_other(url_for("admin.products"))


@bp.post("/products/" + ID.format("product_id") + "/variants")
@staff_required
async def add_variant(product_id: int):
    """A new size in a colour. Its opening stock goes through the ledger like any other stock,
    and the product's "from" price follows, all in one transaction."""
    conn = await get_conn()
    context = await product_context(conn, product_id)
    values, errors = forms.variant(
        await request.form, {s["id"] for s in context["sizes"]}, {c["id"] for c in context["colours"]}, new=True
    )
    if not errors:
        staff = await signed_in_shopper()
        try:
            async with transaction(conn):
                variant_id = await queries.insert_variant(conn, product_id, values)
                if values["stock"]:
                    locked = await lock_variants(conn, [variant_id])
                    await move_stock(
                        conn,
                        {variant_id: values["stock"]},
                        locked,
                        "received",
                        staff_id=staff["id"],
                        note="opening stock",
                    )
                await queries.refresh_from_price(conn, product_id)
                await search_queries.refresh_search_text(conn, [product_id])  # a new colour is searchable
        except IntegrityError:
            errors["sku"] = "That SKU, or this size in this colour, already exists."
        else:
            await flash("Variant added.")
            return see_other(url_for("admin.product", product_id=product_id))
    context.update(variant_values=values, variant_errors=errors)
    return await render_page("admin/product.html", status=422, **context)


@bp.post("/variants/" + ID.format("variant_id"))
@staff_required
async def update_variant(variant_id: int):
    """Change a variant's SKU, price or low-stock threshold (stock changes only through the
    ledger: see stock.py). The product's "from" price follows in the same transaction."""
    conn = await get_conn()
    variant = await variant_or_404(conn, variant_id)
    values, errors = forms.variant(await request.form, set(), set(), new=False)
    if errors:
        return await variant_row_response(conn, variant_id, errors=errors, error="Please check the highlighted fields.")
    try:
        async with transaction(conn):
            await queries.update_variant(conn, variant_id, values)
            await queries.refresh_from_price(conn, variant["product_id"])
    except IntegrityError:
        return await variant_row_response(
            conn, variant_id, errors={"sku": "Another variant has that SKU."}, error="That SKU is taken."
        )
    return await variant_row_response(conn, variant_id, message="Saved.")


@bp.post("/products/" + ID.format("product_id") + "/images")
@accepts_uploads(MAX_BYTES + 64 * 1024)
@staff_required
async def upload_image(product_id: int):
    """Add a photo. Pillow checks and re-encodes it in a worker thread, so a hostile file never
    reaches shoppers as it came and a large one never stalls other requests."""
    conn = await get_conn()
    product = await product_or_404(conn, product_id)
    upload = (await request.files).get("photo")
    try:
        data = upload.read() if upload else b""
        path = await asyncio.to_thread(process_upload, data, current_app.config["MEDIA_ROOT"])
    except BadImage as bad:
        context = await product_context(conn, product_id)
        context["image_error"] = str(bad)
        return await render_page("admin/product.html", status=422, **context)
    await queries.insert_image(conn, product_id, path, product["name"])
    await flash("Photo added.")
    return see_other(url_for("admin.product", product_id=product_id))


@bp.post("/images/" + ID.format("image_id") + "/delete")
@staff_required
async def delete_image(image_id: int):
    """Remove a photo and go back to its product; an unknown photo is a 404."""
    product_id = await queries.delete_image(await get_conn(), image_id)
    if product_id is None:
        abort(404)
    await flash("Photo removed.")
    return see_other(url_for("admin.product", product_id=product_id))


@bp.route("/categories", methods=["GET", "POST"])
@staff_required
async def categories():
    """The category tree, and a new category under a top-level one (two levels, like the
    shop's menu). Workers forget their cached categories so the menu shows it at once."""
    conn = await get_conn()
    error = None
    if request.method == "POST":
        form = await request.form
        name = forms.clean_text(form.get("name"), 80)
        parent_id = parse_whole_number(form.get("parent_id") or "0", 0, 2**32) or None
        tops = {c["id"]: c for c in await queries.select_categories_flat(conn) if c["parent_id"] is None}
        size_group = form.get("size_group") if form.get("size_group") in SIZE_GROUPS else "apparel"
        if len(name) < 2:
            error = "Give the category a name."
        elif parent_id is not None and parent_id not in tops:
            error = "Choose a top-level category to put it in, or none."
        else:
            try:
                await queries.insert_category(conn, name, slugify(name), parent_id, size_group)
            except IntegrityError:
                error = "There is already a category with that name."
            else:
                forget_reference_data()
                await flash(f"Category {name} added.")
                return see_other(url_for("admin.categories"))
    return await render_page(
        "admin/categories.html",
        status=422 if error else 200,
        error=error,
        categories=await queries.select_categories_flat(conn),
    )


@bp.post("/categories/" + ID.format("category_id"))
@staff_required
async def rename_category(category_id: int):
    """Rename a category; its slug stays, so links and bookmarks keep working."""
    name = forms.clean_text((await request.form).get("name"), 80)
    if len(name) < 2:
        await flash("A category needs a name of at least 2 characters.")
    elif not await queries.rename_category(await get_conn(), category_id, name):
        abort(404)
    else:
        await search_queries.refresh_category_search_text(await get_conn(), category_id)
        forget_reference_data()
        await flash("Category renamed.")
    return see_other(url_for("admin.categories"))
