"""The back office: dashboard, catalogue (inline editing over htmx, plain forms without),
stock with its ledger, and orders through their state machine. Staff only."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import date, timedelta

from pymysql.err import IntegrityError
from quart import Blueprint, abort, current_app, flash, request, url_for

from ..accounts.auth import current_shopper
from ..catalog import queries as catalog_queries
from ..catalog.reference import forget_reference_data
from ..db import get_conn, transaction
from ..demo import slugify
from ..formatting import inr
from ..htmx import fragment, is_htmx, see_other
from ..inventory.events import publish
from ..inventory.stock import InsufficientStock, lock_variants, move_stock
from ..inventory.stock import adjust_stock as adjust_variant_stock
from ..orders import queries as order_queries
from ..orders.staff import change_status
from ..orders.status import LABELS, TRANSITIONS, IllegalTransition
from ..pages import render_page
from ..security import accepts_uploads
from . import forms, queries
from .access import staff_required
from .charts import bar_chart, days_of_cover, sell_through
from .images import MAX_BYTES, BadImage, process_upload

bp = Blueprint("admin", __name__, url_prefix="/admin")
log = logging.getLogger("mooncart.security")
ID = "<int(max=4294967295):{}>"


async def product_or_404(conn, product_id: int) -> dict:
    """One loader for every product route: a missing product is a 404 (Flask tutorial's get_post)."""
    product = await queries.select_product(conn, product_id)
    if product is None:
        abort(404)
    return product


async def variant_or_404(conn, variant_id: int) -> dict:
    variant = await queries.select_variant(conn, variant_id)
    if variant is None:
        abort(404)
    return variant


# ---- dashboard -----------------------------------------------------------------------------

@bp.get("")
@staff_required
async def dashboard():
    conn = await get_conn()
    summary = await queries.sales_summary(conn)
    by_day = {row["day"]: int(row["paise"]) for row in await queries.daily_sales(conn, 14)}
    today = date.today()
    days = [today - timedelta(days=n) for n in range(13, -1, -1)]
    sales_chart = bar_chart([(d.strftime("%d/%m"), by_day.get(d, 0)) for d in days], "Sales over the last 14 days",
                            value_format=lambda paise: inr(paise // 100 * 100).replace(",00,000", "L") if paise else "")
    statuses = {row["status"]: row["orders"] for row in await queries.orders_by_status(conn)}
    status_chart = bar_chart([(LABELS[s], statuses.get(s, 0)) for s in TRANSITIONS], "Orders by status")
    rotation = []
    for row in await queries.inventory_rotation(conn, 30):
        rotation.append(dict(row, sell_through=sell_through(int(row["units"]), int(row["stock"])),
                             days_of_cover=days_of_cover(int(row["units"]), int(row["stock"]), 30)))
    return await render_page("admin/dashboard.html", summary=summary, sales_chart=sales_chart,
                             status_chart=status_chart, top=await queries.top_sellers(conn),
                             rotation=rotation, low_stock=await queries.select_low_stock(conn, 10))


# ---- catalogue -----------------------------------------------------------------------------

@bp.get("/products")
@staff_required
async def products():
    query = (request.args.get("q") or "").strip()[:100]
    return await render_page("admin/products.html", products=await queries.search_products(await get_conn(), query),
                             query=query)


@bp.route("/products/new", methods=["GET", "POST"])
@staff_required
async def new_product():
    conn = await get_conn()
    categories = await queries.select_categories_flat(conn)
    values, errors = {}, {}
    if request.method == "POST":
        form = await request.form
        values, errors = forms.product(form, {c["id"] for c in categories})
        price = forms.rupees_to_paise(form.get("price"))
        if price is None:
            errors["price"] = "Enter the price in rupees, like 1499."
        if not errors:
            values["price_paise"] = price
            slug = f"{slugify(values['name'])[:160]}-{secrets.token_hex(3)}"
            product_id = await queries.insert_product(conn, values, slug)
            await flash("Product created. Now add its sizes and colours, and a photo.")
            return see_other(url_for("admin.product", product_id=product_id))
    return await render_page("admin/new_product.html", status=422 if errors else 200, categories=categories,
                             values=values, errors=errors)


async def product_context(conn, product_id: int) -> dict:
    product = await product_or_404(conn, product_id)
    return dict(product=product, variants=await queries.select_variants(conn, product_id),
                images=await catalog_queries.select_images(conn, product_id),
                categories=await queries.select_categories_flat(conn), sizes=await catalog_queries.select_sizes(conn),
                colours=await catalog_queries.select_colours(conn), reasons=forms.STOCK_REASONS,
                values={}, errors={}, variant_errors={}, row_messages={})


@bp.get("/products/" + ID.format("product_id"))
@staff_required
async def product(product_id: int):
    return await render_page("admin/product.html", **await product_context(await get_conn(), product_id))


@bp.post("/products/" + ID.format("product_id"))
@staff_required
async def update_product(product_id: int):
    conn = await get_conn()
    context = await product_context(conn, product_id)
    values, errors = forms.product(await request.form, {c["id"] for c in context["categories"]})
    if not errors:
        await queries.update_product(conn, product_id, values)
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
    conn = await get_conn()
    product = await product_or_404(conn, product_id)
    await queries.delete_product(conn, product_id)  # bags lose it (FK cascade); orders keep their snapshot
    await flash(f"{product['name']} is deleted. Past orders still show it.")
    return see_other(url_for("admin.products"))


@bp.post("/products/" + ID.format("product_id") + "/variants")
@staff_required
async def add_variant(product_id: int):
    conn = await get_conn()
    context = await product_context(conn, product_id)
    values, errors = forms.variant(await request.form, {s["id"] for s in context["sizes"]},
                                   {c["id"] for c in context["colours"]}, new=True)
    if not errors:
        staff = await current_shopper()
        try:
            async with transaction(conn):
                variant_id = await queries.insert_variant(conn, product_id, values)
                if values["stock"]:
                    locked = await lock_variants(conn, [variant_id])
                    await move_stock(conn, {variant_id: values["stock"]}, locked, "received",
                                     staff_id=staff["id"], note="opening stock")
                await queries.refresh_from_price(conn, product_id)
        except IntegrityError:
            errors["sku"] = "That SKU, or this size in this colour, already exists."
        else:
            await flash("Variant added.")
            return see_other(url_for("admin.product", product_id=product_id))
    context.update(variant_values=values, variant_errors=errors)
    return await render_page("admin/product.html", status=422, **context)


async def variant_row_response(conn, variant_id: int, message: str | None = None, error: str | None = None,
                               errors: dict | None = None):
    variant = await queries.select_variant(conn, variant_id)
    status = 422 if (error or errors) else 200
    if is_htmx():
        return await fragment("admin/_variant_row.html", status=status, variant=variant, reasons=forms.STOCK_REASONS,
                              row_message=message, row_error=error, row_errors=errors or {})
    if status == 422:
        context = await product_context(conn, variant["product_id"])
        context["row_messages"] = {variant_id: (None, error, errors or {})}
        return await render_page("admin/product.html", status=422, **context)
    await flash(message)
    return see_other(url_for("admin.product", product_id=variant["product_id"]))


@bp.post("/variants/" + ID.format("variant_id"))
@staff_required
async def update_variant(variant_id: int):
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
        return await variant_row_response(conn, variant_id, errors={"sku": "Another variant has that SKU."},
                                          error="That SKU is taken.")
    return await variant_row_response(conn, variant_id, message="Saved.")


@bp.post("/variants/" + ID.format("variant_id") + "/stock")
@staff_required
async def adjust_stock(variant_id: int):
    conn = await get_conn()
    await variant_or_404(conn, variant_id)
    values, problem = forms.stock_adjustment(await request.form)
    if problem:
        return await variant_row_response(conn, variant_id, error=problem)
    staff = await current_shopper()
    try:
        levels = await adjust_variant_stock(conn, variant_id, values["change"], values["reason"], staff_id=staff["id"],
                                    note=values["note"])
    except InsufficientStock as short:
        return await variant_row_response(conn, variant_id, error=f"There are only {short.left[variant_id]} in stock, "
                                                                  "so that many cannot be taken away.")
    await publish(levels)
    change = values["change"]
    return await variant_row_response(conn, variant_id, message=f"Stock {'+' if change > 0 else ''}{change}: now {levels[variant_id]}.")


@bp.get("/variants/" + ID.format("variant_id") + "/history")
@staff_required
async def stock_history(variant_id: int):
    conn = await get_conn()
    variant = await variant_or_404(conn, variant_id)
    return await render_page("admin/history.html", variant=variant, ledger=await queries.select_ledger(conn, variant_id))


@bp.post("/products/" + ID.format("product_id") + "/images")
@accepts_uploads(MAX_BYTES + 64 * 1024)
@staff_required
async def upload_image(product_id: int):
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
    product_id = await queries.delete_image(await get_conn(), image_id)
    if product_id is None:
        abort(404)
    await flash("Photo removed.")
    return see_other(url_for("admin.product", product_id=product_id))


@bp.get("/stock/low")
@staff_required
async def low_stock():
    return await render_page("admin/low_stock.html", variants=await queries.select_low_stock(await get_conn()))


@bp.route("/categories", methods=["GET", "POST"])
@staff_required
async def categories():
    conn = await get_conn()
    error = None
    if request.method == "POST":
        form = await request.form
        name = forms.clean_text(form.get("name"), 80)
        parent_id = forms.whole_number(form.get("parent_id") or "0", 0, 2**32) or None
        tops = {c["id"]: c for c in await queries.select_categories_flat(conn) if c["parent_id"] is None}
        if len(name) < 2:
            error = "Give the category a name."
        elif parent_id is not None and parent_id not in tops:
            error = "Choose a top-level category to put it in, or none."
        else:
            try:
                await queries.insert_category(conn, name, slugify(name), parent_id, form.get("size_group") if
                                              form.get("size_group") in ("apparel", "free", "shoe", "waist") else "apparel")
            except IntegrityError:
                error = "There is already a category with that name."
            else:
                forget_reference_data()
                await flash(f"Category {name} added.")
                return see_other(url_for("admin.categories"))
    return await render_page("admin/categories.html", status=422 if error else 200, error=error,
                             categories=await queries.select_categories_flat(conn))


@bp.post("/categories/" + ID.format("category_id"))
@staff_required
async def rename_category(category_id: int):
    name = forms.clean_text((await request.form).get("name"), 80)
    if len(name) < 2:
        await flash("A category needs a name of at least 2 characters.")
    elif not await queries.rename_category(await get_conn(), category_id, name):
        abort(404)
    else:
        forget_reference_data()
        await flash("Category renamed.")
    return see_other(url_for("admin.categories"))


# ---- orders --------------------------------------------------------------------------------

@bp.get("/orders")
@staff_required
async def orders():
    status = request.args.get("status") or None
    if status not in TRANSITIONS:
        status = None
    query = (request.args.get("q") or "").strip()[:254]
    return await render_page("admin/orders.html", orders=await queries.search_orders(await get_conn(), status, query),
                             chosen_status=status, query=query, labels=LABELS)


async def order_context(conn, number: str) -> dict:
    order = await queries.select_order(conn, number[:20])
    if order is None:
        abort(404)
    return dict(order=order, items=await order_queries.select_order_items(conn, order["id"]),
                next_statuses=TRANSITIONS[order["status"]], labels=LABELS)


@bp.get("/orders/<number>")
@staff_required
async def order(number: str):
    return await render_page("admin/order.html", **await order_context(await get_conn(), number))


@bp.post("/customers/" + ID.format("user_id") + "/sign-out")
@staff_required
async def sign_out_customer(user_id: int):
    """Staff end every session of a customer (a lost phone, a suspected takeover)."""
    from ..accounts.queries import revoke_user_sessions

    ended = await revoke_user_sessions(await get_conn(), user_id)
    log.warning("sessions revoked by staff", extra={"user": user_id, "reason": f"{ended} sessions ended"})
    await flash(f"Signed that customer out of {ended} session{'s' if ended != 1 else ''}.")
    return see_other(request.referrer if (request.referrer or "").startswith(request.host_url) else url_for("admin.orders"))


@bp.post("/orders/<number>/status")
@staff_required
async def order_status(number: str):
    conn = await get_conn()
    context = await order_context(conn, number)
    new_status = (await request.form).get("status", "")
    staff = await current_shopper()
    try:
        levels = await change_status(conn, context["order"]["id"], new_status, staff["id"])
    except IllegalTransition as illegal:
        context["status_error"] = str(illegal)
        if is_htmx():
            return await fragment("admin/_order_status.html", status=422, **context)
        return await render_page("admin/order.html", status=422, **context)
    await publish(levels)
    message = f"Order {number} is now {LABELS[new_status].lower()}."
    if is_htmx():
        context = await order_context(conn, number)
        return await fragment("admin/_order_status.html", status_message=message, **context)
    await flash(message)
    return see_other(url_for("admin.order", number=number))
