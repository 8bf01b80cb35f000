"""The back office: staff only, catalogue editing, stock with its ledger, photos, orders."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from PIL import Image

from mooncart.admin.charts import bar_chart, days_of_cover, sell_through
from mooncart.db import execute, fetch_all, fetch_one, fetch_val
from tests.conftest import HTMX, csrf, log_in, post, soup
from tests.factories import make_product, make_user, shopper_with_bag


@pytest.fixture
async def staff(app, conn):
    user = await make_user(conn, name="Riya Staff", is_staff=True)
    client = app.test_client()
    await log_in(client, user)
    client.user = user
    return client


def admin_rules(app):
    for rule in app.app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            args = {a: ("MC-NONE" if a == "number" else 1) for a in rule.arguments}
            yield rule, rule.build(args, append_unknown=False)[1]


async def test_every_back_office_route_is_staff_only(app, conn, staff):
    rules = list(admin_rules(app))
    assert len(rules) >= 15
    shopper = app.test_client()
    await log_in(shopper, await make_user(conn))
    anonymous = app.test_client()
    for rule, url in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                anon, shop, own = (await anonymous.get(url), await shopper.get(url), await staff.get(url))
            else:
                anon = await post(anonymous, url, form={})
                shop = await post(shopper, url, form={})
                own = None
            assert anon.status_code == 303 and "/account/login" in anon.headers["Location"], (method, url)
            assert shop.status_code == 403, (method, url)
            assert "Staff only" in soup(await shop.get_data()).get_text()
            if own is not None:
                assert own.status_code in (200, 404), (method, url, own.status_code)


async def test_staff_create_a_product_with_sizes_and_opening_stock(conn, staff):
    # the insert id, not INSERT ... RETURNING: MySQL has no RETURNING (MariaDB only)
    _, category = await execute(conn, "INSERT INTO categories (slug, name) VALUES ('test-kurtis-admin', 'Kurtis')")
    response = await post(
        staff,
        "/admin/products/new",
        form={
            "name": "Ivory Chikankari Kurti",
            "category_id": str(category),
            "fabric": "Cotton",
            "description": "Hand embroidered.",
            "price": "1,899",
        },
    )
    assert response.status_code == 303
    product_id = int(response.headers["Location"].rsplit("/", 1)[1])
    sizes = {r["label"]: r["id"] for r in await fetch_all(conn, "SELECT id, label FROM sizes")}
    _, colour = await execute(conn, "INSERT INTO colours (name, hex) VALUES ('Test Ivory', '#f5f0e1')")
    for size in ("S", "M", "L"):
        added = await post(
            staff,
            f"/admin/products/{product_id}/variants",
            form={
                "size_id": str(sizes[size]),
                "colour_id": str(colour),
                "sku": f"IVY-{size}",
                "price": "1899",
                "stock": "4",
                "low_stock_threshold": "5",
            },
        )
        assert added.status_code == 303
    variants = await fetch_all(conn, "SELECT id, stock, price_paise FROM variants WHERE product_id = %s", (product_id,))
    assert [v["stock"] for v in variants] == [4, 4, 4]
    ledger = await fetch_all(
        conn, "SELECT reason, delta, staff_id FROM stock_movements WHERE variant_id = %s", (variants[0]["id"],)
    )
    assert ledger == [{"reason": "received", "delta": 4, "staff_id": staff.user["id"]}]
    duplicate = await post(
        staff,
        f"/admin/products/{product_id}/variants",
        form={"size_id": str(sizes["S"]), "colour_id": str(colour), "sku": "IVY-S2", "price": "1899", "stock": "1"},
    )
    assert duplicate.status_code == 422 and "already exists" in soup(await duplicate.get_data()).get_text()
    slug = await fetch_val(conn, "SELECT slug FROM products WHERE id = %s", (product_id,))
    shop_page = soup(await (await staff.get(f"/products/{slug}")).get_data())
    assert "Ivory Chikankari Kurti" in shop_page.find("h1").get_text()
    assert "Only 4 left" in shop_page.get_text()
    low = soup(await (await staff.get("/admin/stock/low")).get_data())
    assert "IVY-M" in low.get_text()


@pytest.mark.parametrize(
    "form, message",
    [
        ({"name": "", "category_id": "1", "price": "10"}, "name of at least 3"),
        ({"name": "Kurti", "category_id": "999999", "price": "10"}, "Choose a category"),
        ({"name": "Kurti", "category_id": "1", "price": "abc"}, "price in rupees"),
        ({"name": "Kurti", "category_id": "1", "price": "99999999"}, "price in rupees"),
    ],
)
async def test_bad_new_products_are_refused(conn, staff, form, message):
    before = await fetch_val(conn, "SELECT COUNT(*) FROM products")
    response = await post(staff, "/admin/products/new", form=form)
    assert response.status_code == 422 and message in soup(await response.get_data()).get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM products") == before


async def test_inline_editing_returns_the_region_it_edits(conn, staff):
    product = await make_product(conn, variants=[("M", "Teal", 3)])
    variant_id = product["variants"][0]["id"]
    response = await post(
        staff,
        f"/admin/products/{product['id']}",
        headers=HTMX,
        form={
            "name": "Teal Wrap Dress",
            "category_id": str(product["category"]["id"]),
            "fabric": "Crepe",
            "description": "x",
        },
    )
    html = soup(await response.get_data())
    assert response.status_code == 200 and html.find("html") is None
    assert html.find(id="product-fields") is not None and "Saved" in html.get_text()
    bad = await post(staff, f"/admin/products/{product['id']}", headers=HTMX, form={"name": "", "category_id": "0"})
    assert bad.status_code == 422 and soup(await bad.get_data()).find(id="f-name-error") is not None
    assert await fetch_val(conn, "SELECT name FROM products WHERE id = %s", (product["id"],)) == "Teal Wrap Dress"
    row = await post(
        staff,
        f"/admin/variants/{variant_id}",
        headers=HTMX,
        form={"sku": "TEAL-M", "price": "999.50", "low_stock_threshold": "2"},
    )
    html = soup(await row.get_data())
    assert html.find(id=f"variant-{variant_id}") is not None and "Saved" in html.get_text()
    assert await fetch_val(conn, "SELECT from_price_paise FROM products WHERE id = %s", (product["id"],)) == 99950


@pytest.mark.parametrize("htmx", [True, False])
async def test_stock_adjustments_write_the_ledger_and_refuse_nonsense(conn, staff, htmx):
    product = await make_product(conn, stock=3)
    variant_id = product["variants"][0]["id"]
    headers = HTMX if htmx else None
    for change, reason in [("12", "received"), ("-2", "damaged"), ("-1", "correction")]:
        response = await post(
            staff,
            f"/admin/variants/{variant_id}/stock",
            headers=headers,
            form={"change": change, "reason": reason, "note": "weekly count"},
        )
        assert response.status_code == (200 if htmx else 303)
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 12
    for form, message in [
        ({"change": "5", "reason": "damaged"}, "negative number"),
        ({"change": "-5", "reason": "received"}, "positive number"),
        ({"change": "0", "reason": "correction"}, "how many units"),
        ({"change": "-13", "reason": "correction"}, "only 12 in stock"),
        ({"change": "4", "reason": "theft'); DROP TABLE variants;--"}, "why the stock"),
    ]:
        response = await post(staff, f"/admin/variants/{variant_id}/stock", headers=headers, form=form)
        assert response.status_code == 422 and message in soup(await response.get_data()).get_text()
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 12
    ledger = await fetch_all(
        conn, "SELECT delta, stock_after, reason FROM stock_movements WHERE variant_id = %s ORDER BY id", (variant_id,)
    )
    assert [(r["delta"], r["stock_after"], r["reason"]) for r in ledger] == [
        (12, 15, "received"),
        (-2, 13, "damaged"),
        (-1, 12, "correction"),
    ]
    history = soup(await (await staff.get(f"/admin/variants/{variant_id}/history")).get_data())
    assert "weekly count" in history.get_text() and "Riya Staff" in history.get_text()


@pytest.mark.parametrize("htmx", [True, False])
async def test_a_stock_change_typed_with_a_plus_sign_as_the_box_suggests_is_taken(conn, staff, htmx):
    """The box's placeholder reads "+12 or -2": staff who type "+12" add twelve, and a number beyond
    the limit is told the limit instead of being asked for a number."""
    product = await make_product(conn, stock=3)
    variant_id = product["variants"][0]["id"]
    response = await post(
        staff,
        f"/admin/variants/{variant_id}/stock",
        headers=HTMX if htmx else None,
        form={"change": "+12", "reason": "received", "note": ""},
    )
    assert response.status_code == (200 if htmx else 303)
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 15
    for change, message in [("+9999999", "up to 100,000"), ("+-2", "how many units"), ("++2", "how many units")]:
        response = await post(
            staff,
            f"/admin/variants/{variant_id}/stock",
            headers=HTMX if htmx else None,
            form={"change": change, "reason": "received", "note": ""},
        )
        assert response.status_code == 422 and message in soup(await response.get_data()).get_text()
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,)) == 15


def image_bytes(fmt="PNG", size=(600, 800), colour=(233, 30, 99)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


async def upload(staff, product_id, data: bytes, filename="photo.jpg", headers=None):
    from quart.datastructures import FileStorage

    return await staff.post(
        f"/admin/products/{product_id}/images",
        form={"csrf_token": await csrf(staff)},
        files={"photo": FileStorage(io.BytesIO(data), filename=filename)},
        headers=headers,
    )


async def test_a_real_photo_is_re_encoded_with_a_thumbnail(app, conn, staff, tmp_path):
    app.app.config["MEDIA_ROOT"] = str(tmp_path)
    product = await make_product(conn)
    response = await upload(staff, product["id"], image_bytes("PNG"), filename="kurti.png")
    assert response.status_code == 303
    path = await fetch_val(
        conn, "SELECT path FROM product_images WHERE product_id = %s AND path LIKE 'uploads/%%'", (product["id"],)
    )
    stored = tmp_path / path
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (600, 800)
    with Image.open(str(stored).replace(".jpg", "-thumb.jpg")) as thumb:
        assert thumb.size == (300, 400)
    served = await staff.get(f"/media/{path}")
    assert served.status_code == 200


def truncated_png() -> bytes:
    return image_bytes("PNG")[:200]


def bomb_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")  # tiny file, 400 megapixels when decoded
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"", "empty.jpg", "choose a photo"),
        (b"<?php system($_GET['c']); ?>", "shell.jpg", "not a photo we can read"),
        (b"GIF89a" + b"\x00" * 100, "anim.jpg", "not a photo we can read"),
        (None, "cut.png", "not a photo we can read"),
        ("gif", "real.gif", "JPEG, PNG or WebP"),
        ("tiny", "tiny.png", "at least 200 pixels"),
        ("bomb", "bomb.png", "largest we take"),
    ],
)
async def test_bad_files_are_refused_with_a_clear_message(app, conn, staff, tmp_path, data, filename, message):
    app.app.config["MEDIA_ROOT"] = str(tmp_path)
    product = await make_product(conn)
    data = (
        {
            None: truncated_png(),
            "gif": image_bytes("GIF"),
            "tiny": image_bytes("PNG", (20, 20)),
            "bomb": bomb_png(),
        }.get(data, data)
        if not isinstance(data, bytes)
        else data
    )
    response = await upload(staff, product["id"], data, filename)
    assert response.status_code == 422
    assert message in soup(await response.get_data()).find(class_="error").get_text()
    assert (
        await fetch_val(
            conn,
            "SELECT COUNT(*) FROM product_images WHERE product_id = %s AND path LIKE 'uploads/%%'",
            (product["id"],),
        )
        == 0
    )
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())


async def test_oversized_bodies_are_refused(conn, staff):
    product = await make_product(conn)
    # a browser announces the size: too big is refused before the body is read
    response = await upload(staff, product["id"], b"\xff" * 1024, headers={"Content-Length": str(10 * 1024 * 1024)})
    assert response.status_code == 413
    big_form = await staff.post(
        f"/admin/products/{product['id']}", form={"description": "x"}, headers={"Content-Length": str(100_000)}
    )
    assert big_form.status_code == 413
    # a photo that is too heavy but under the body limit gets a clear message
    heavy = await upload(staff, product["id"], b"\xff" * (8 * 1024 * 1024 + 10))
    assert heavy.status_code == 422 and "at most 8 MB" in soup(await heavy.get_data()).get_text()


async def test_deleting_a_product_empties_bags_but_not_orders(app, conn, staff):
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    await post(client, "/checkout", form=form)
    product_id = await fetch_val(conn, "SELECT product_id FROM variants WHERE id = %s", (variants[0]["id"],))
    guest = app.test_client()
    await post(guest, "/bag/add", form={"variant_id": str(variants[0]["id"]), "quantity": "1"})
    response = await post(staff, f"/admin/products/{product_id}/delete")
    assert response.status_code == 303
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_items WHERE variant_id = %s", (variants[0]["id"],)) == 0
    item = await fetch_one(
        conn,
        "SELECT i.product_name, i.variant_id "
        "FROM order_items i JOIN orders o ON o.id = i.order_id "
        "WHERE o.user_id = %s",
        (user["id"],),
    )
    assert item["variant_id"] is None and item["product_name"].startswith("Test Chikankari Kurti")
    order_page = soup(await (await client.get("/orders")).get_data())
    assert order_page.find("table") is not None


async def test_a_second_staff_tab_marking_the_same_status_is_told_it_is_already_done(app, conn, staff):
    """Two tabs of one order: the first marks it packed; the second, still showing "Mark packed",
    was told "An order that is packed cannot become packed", as if she had done something wrong."""
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    number = (await post(client, "/checkout", form=form)).headers["Location"].rsplit("/", 1)[1]
    assert (await post(staff, f"/admin/orders/{number}/status", form={"status": "packed"})).status_code == 303
    again = await post(staff, f"/admin/orders/{number}/status", form={"status": "packed"}, headers=HTMX)
    assert again.status_code == 422
    text = soup(await again.get_data()).get_text(" ")
    assert "already packed" in text and "another tab" in text and "cannot become packed" not in text
    assert await fetch_val(conn, "SELECT status FROM orders WHERE number = %s", (number,)) == "packed"


async def test_orders_move_through_the_state_machine(app, conn, staff):
    client, user, variants, form = await shopper_with_bag(app, conn, 2)
    number = (await post(client, "/checkout", form=form)).headers["Location"].rsplit("/", 1)[1]
    response = await staff.get("/admin/orders?status=placed")
    assert response.status_code == 200
    listing = soup(await response.get_data())
    assert listing.find("a", string=number) is not None
    assert listing.find("option", selected=True)["value"] == "placed"
    illegal = await post(staff, f"/admin/orders/{number}/status", form={"status": "delivered"}, headers=HTMX)
    assert illegal.status_code == 422
    assert "cannot become delivered" in soup(await illegal.get_data()).get_text()
    for status in ("packed", "shipped", "delivered"):
        response = await post(staff, f"/admin/orders/{number}/status", form={"status": status}, headers=HTMX)
        assert response.status_code == 200 and f"now {status}" in soup(await response.get_data()).get_text()
    order = await fetch_one(conn, "SELECT id, status, payment_status FROM orders WHERE number = %s", (number,))
    assert (order["status"], order["payment_status"]) == ("delivered", "paid")
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variants[0]["id"],)) == 8
    await post(staff, f"/admin/orders/{number}/status", form={"status": "returned"})
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variants[0]["id"],)) == 10
    returned = await fetch_one(
        conn,
        "SELECT reason, delta, staff_id FROM stock_movements WHERE order_id = %s AND reason = 'return'",
        (order["id"],),
    )
    assert returned == {"reason": "return", "delta": 2, "staff_id": staff.user["id"]}
    final = await post(staff, f"/admin/orders/{number}/status", form={"status": "cancelled"})
    assert final.status_code == 422 and "nothing: it is final" in soup(await final.get_data()).get_text()


async def test_staff_cancel_restocks(app, conn, staff):
    client, user, variants, form = await shopper_with_bag(app, conn, 3)
    number = (await post(client, "/checkout", form=form)).headers["Location"].rsplit("/", 1)[1]
    await post(staff, f"/admin/orders/{number}/status", form={"status": "cancelled"})
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variants[0]["id"],)) == 10


async def test_dashboard_shows_sales_and_charts(app, conn, staff):
    client, user, variants, form = await shopper_with_bag(app, conn, 2, price_paise=150000)
    await post(client, "/checkout", form=form)
    html = soup(await (await staff.get("/admin")).get_data())
    kpis = html.select_one(".kpis").get_text()
    assert "₹3,000" in kpis
    assert len(html.select("figure.chart svg rect")) >= 14 + 6
    assert "Test Chikankari Kurti" in html.get_text()
    rotation = html.find(id="rotation-heading").find_next("table").get_text()
    assert "20%" in rotation  # 2 sold, 8 left


def test_bar_chart_scales_to_the_largest_value():
    chart = bar_chart([("a", 10), ("b", 5), ("c", 0)], "t", width=300, height=140, label_space=20, top_space=20)
    heights = [bar.height for bar in chart.bars]
    assert heights == [100, 50, 0]
    assert chart.bars[1].y == 20 + 50 and chart.baseline == 120
    assert bar_chart([], "empty").is_empty


def test_sell_through_and_days_of_cover():
    assert sell_through(2, 8) == 0.2 and sell_through(0, 0) is None
    assert days_of_cover(30, 60, 30) == 60 and days_of_cover(0, 5, 30) is None


def test_create_admin_reads_the_password_from_stdin(database):
    from tests.conftest import create_test_database, drop_test_database

    settings = create_test_database("mooncart_admin")
    env = dict(os.environ, MOONCART_DATABASE_URL=settings.url, MOONCART_SECRET_KEY="x")
    try:
        subprocess.run([sys.executable, "-m", "mooncart", "init-db"], env=env, check=True, capture_output=True)
        ok = subprocess.run(
            [sys.executable, "-m", "mooncart", "create-admin", "owner@mooncart.in"],
            env=env,
            input="saree season 2026\n",
            capture_output=True,
            text=True,
        )
        assert ok.returncode == 0 and "created" in ok.stdout
        weak = subprocess.run(
            [sys.executable, "-m", "mooncart", "create-admin", "x@mooncart.in"],
            env=env,
            input="short\n",
            capture_output=True,
            text=True,
        )
        assert weak.returncode == 1 and "Use at least 8" in weak.stderr
    finally:
        drop_test_database(settings)
