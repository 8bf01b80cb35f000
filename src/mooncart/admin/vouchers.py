"""The back office's vouchers: the list with their uses, a new voucher, and editing one. Dates
are typed in India time (UTC+05:30, no daylight saving) and kept in UTC, as the shop checks them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pymysql.err import IntegrityError
from quart import abort, flash, request, url_for

from ..checkout import queries as checkout_queries
from ..checkout.vouchers import CODE_PATTERN, Voucher, clean_code
from ..db import get_conn, transaction
from ..htmx import see_other
from ..pages import render_page
from ..parsing import parse_rupees, parse_whole_number
from . import queries
from .access import staff_required
from .blueprint import ID, bp
from .forms import MAX_PRICE_PAISE

INDIA = timedelta(hours=5, minutes=30)
KINDS = {"percent": "Percentage off", "flat": "Flat amount off"}
CODE_TAKEN = "There is already a voucher with this code."


def india_time(utc: datetime | None) -> str:
    """A UTC time as the form's datetime-local value in India time ("2031-06-30T23:59")."""
    return "" if utc is None else (utc + INDIA).strftime("%Y-%m-%dT%H:%M")


def parse_india_time(raw: str | None) -> tuple[datetime | None, bool]:
    """(the UTC time, True) from a datetime-local value in India time; (None, True) when empty;
    (None, False) when it is not a date and time."""
    text = (raw or "").strip()
    if not text:
        return None, True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        return None, False
    try:
        return datetime.strptime(text.replace(" ", "T"), "%Y-%m-%dT%H:%M") - INDIA, True
    except ValueError:
        return None, False


def optional_paise(raw: str | None) -> tuple[int | None, bool]:
    """Rupees typed or left empty: (paise or None, whether it was acceptable)."""
    if not (raw or "").strip():
        return None, True
    paise = parse_rupees(raw, 1, MAX_PRICE_PAISE)
    return paise, paise is not None


def read_form(form, category_ids: set[int]) -> tuple[dict, list[int], dict]:
    """The voucher's cleaned values, its categories and a message per field that is wrong."""
    errors = {}
    code = clean_code(form.get("code"))[:40]
    if not CODE_PATTERN.fullmatch(code):
        errors["code"] = "A code is 3 to 32 letters, digits or dashes, like DIWALI10."
    kind = form.get("kind", "")
    if kind not in KINDS:
        errors["kind"] = "Choose a percentage or a flat amount."
    amount = None
    if kind == "percent":
        amount = parse_whole_number(form.get("amount"), 1, 100)
        if amount is None:
            errors["amount"] = "A percentage is a whole number from 1 to 100."
    elif kind == "flat":
        amount = parse_rupees(form.get("amount"), 1, MAX_PRICE_PAISE)
        if amount is None:
            errors["amount"] = "Enter the amount in rupees, like 200."
    max_discount, ok = optional_paise(form.get("max_discount"))
    if not ok:
        errors["max_discount"] = "Enter the largest discount in rupees, or leave it empty."
    min_order, ok = optional_paise(form.get("min_order"))
    if not ok:
        errors["min_order"] = "Enter the minimum order in rupees, or leave it empty."
    starts_at, ok = parse_india_time(form.get("starts_at"))
    if not ok:
        errors["starts_at"] = "Enter a date and time, or leave it empty."
    expires_at, ok = parse_india_time(form.get("expires_at"))
    if not ok:
        errors["expires_at"] = "Enter a date and time, or leave it empty."
    elif starts_at and expires_at and expires_at <= starts_at:
        errors["expires_at"] = "The voucher must end after it starts."
    limits = {}
    for name, label in (("usage_limit", "The limit"), ("per_shopper_limit", "The limit per shopper")):
        raw = (form.get(name) or "").strip()
        limits[name] = (
            parse_whole_number(raw, 1, 65_535 if name == "per_shopper_limit" else 1_000_000_000) if raw else None
        )
        if raw and limits[name] is None:
            errors[name] = f"{label} is a whole number of uses (or empty for no limit)."
    chosen = [parse_whole_number(raw, 1, 2**32 - 1) for raw in form.getlist("category_ids")]
    if any(c not in category_ids for c in chosen):
        errors["category_ids"] = "Choose categories from the list."
    values = {
        "code": code,
        "description": " ".join((form.get("description") or "").split())[:200],
        "kind": kind,
        "amount": amount,
        "max_discount_paise": max_discount if kind == "percent" else None,
        "min_order_paise": min_order or 0,
        "starts_at": starts_at,
        "expires_at": expires_at,
        "active": bool(form.get("active")),
        **limits,
    }
    return values, sorted({c for c in chosen if c in category_ids}), errors


def form_values(voucher: Voucher | None, form=None) -> dict:
    """What the form's fields show: what was sent back, or the voucher as it is, or a new one's defaults."""
    if form is not None:
        return {
            k: form.get(k, "")
            for k in (
                "code",
                "description",
                "kind",
                "amount",
                "max_discount",
                "min_order",
                "starts_at",
                "expires_at",
                "usage_limit",
                "per_shopper_limit",
                "active",
            )
        } | {"category_ids": [c for c in form.getlist("category_ids")]}
    if voucher is None:
        return {"kind": "percent", "per_shopper_limit": "1", "active": "1", "category_ids": []}

    def rupees(paise):
        """Paise as the rupees a person types (no .00 for whole rupees)."""
        return "" if paise is None else (f"{paise // 100}" if paise % 100 == 0 else f"{paise / 100:.2f}")

    return {
        "code": voucher.code,
        "description": voucher.description,
        "kind": voucher.kind,
        "amount": str(voucher.amount) if voucher.kind == "percent" else rupees(voucher.amount),
        "max_discount": rupees(voucher.max_discount_paise),
        "min_order": rupees(voucher.min_order_paise) if voucher.min_order_paise else "",
        "starts_at": india_time(voucher.starts_at),
        "expires_at": india_time(voucher.expires_at),
        "usage_limit": "" if voucher.usage_limit is None else str(voucher.usage_limit),
        "per_shopper_limit": "" if voucher.per_shopper_limit is None else str(voucher.per_shopper_limit),
        "active": "1" if voucher.active else "",
        "category_ids": [str(c) for c in sorted(voucher.category_ids)],
    }


async def load_voucher(conn, voucher_id: int) -> Voucher:
    """The voucher a staff URL names, or 404."""
    row = await checkout_queries.select_voucher(conn, voucher_id)
    if row is None:
        abort(404)
    return Voucher.from_row(row)


async def form_page(conn, voucher: Voucher | None, values: dict, errors: dict, status: int = 200):
    """The voucher form with its values and errors, for both new and edit."""
    return await render_page(
        "admin/vouchers_form.html",
        status=status,
        voucher=voucher,
        values=values,
        errors=errors,
        kinds=KINDS,
        categories=await queries.select_categories_flat(conn),
    )


@bp.get("/vouchers")
@staff_required
async def vouchers():
    """Every voucher, newest first, with what it gives, its dates and how often it was used."""
    rows = await checkout_queries.select_vouchers(await get_conn())
    return await render_page(
        "admin/vouchers.html", vouchers=[Voucher.from_row(row) for row in rows], india_time=india_time
    )


@bp.route("/vouchers/new", methods=["GET", "POST"])
@staff_required
async def new_voucher():
    """Create a voucher from the staff form; the form comes back with its errors when something is wrong."""
    conn = await get_conn()
    if request.method == "GET":
        return await form_page(conn, None, form_values(None), {})
    form = await request.form
    categories = {c["id"] for c in await queries.select_categories_flat(conn)}
    values, category_ids, errors = read_form(form, categories)
    if not errors and await checkout_queries.select_voucher_by_code(conn, values["code"]):
        errors["code"] = CODE_TAKEN
    if not errors:
        try:
            async with transaction(conn):
                voucher_id = await checkout_queries.insert_voucher(conn, values)
                await checkout_queries.replace_voucher_categories(conn, voucher_id, category_ids)
        except IntegrityError:  # the same code created a moment ago
            errors["code"] = CODE_TAKEN
        else:
            await flash(f"Voucher {values['code']} created.")
            return see_other(url_for("admin.vouchers"))
    return await form_page(conn, None, form_values(None, form), errors, 422)


@bp.route("/vouchers/" + ID.format("voucher_id"), methods=["GET", "POST"])
@staff_required
async def edit_voucher(voucher_id: int):
    """Change a voucher. Its uses stay; a limit below them is refused, so 'at most 100' stays true."""
    conn = await get_conn()
    voucher = await load_voucher(conn, voucher_id)
    if request.method == "GET":
        return await form_page(conn, voucher, form_values(voucher), {})
    form = await request.form
    categories = {c["id"] for c in await queries.select_categories_flat(conn)}
    values, category_ids, errors = read_form(form, categories)
    if (
        not errors
        and values["code"] != voucher.code
        and await checkout_queries.select_voucher_by_code(conn, values["code"])
    ):
        errors["code"] = CODE_TAKEN
    if not errors:
        try:
            async with transaction(conn):
                used = await checkout_queries.select_voucher_used_for_update(conn, voucher_id)
                if values["usage_limit"] is not None and values["usage_limit"] < used:
                    errors["usage_limit"] = (
                        f"This voucher has already been used {used} times: the limit cannot be lower."
                    )
                else:
                    await checkout_queries.update_voucher(conn, voucher_id, values)
                    await checkout_queries.replace_voucher_categories(conn, voucher_id, category_ids)
        except IntegrityError:
            errors["code"] = CODE_TAKEN
        if not errors:
            await flash(f"Voucher {values['code']} saved.")
            return see_other(url_for("admin.vouchers"))
    return await form_page(conn, voucher, form_values(voucher, form), errors, 422)
