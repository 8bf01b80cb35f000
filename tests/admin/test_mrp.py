"""Staff set each variant's MRP in the back office; a price above its MRP is refused with a clear
message and nothing is written, over htmx and without it."""

from __future__ import annotations

import pytest

from mooncart.db import fetch_one, fetch_val
from tests.conftest import HTMX, log_in, post, soup
from tests.factories import make_category, make_colour, make_product, make_user, size_id


@pytest.fixture
async def staff(app, conn):
    user = await make_user(conn, name="Meera Staff", is_staff=True)
    client = app.test_client()
    await log_in(client, user)
    return client


async def listing_row(conn, product_id: int) -> dict:
    return await fetch_one(
        conn, "SELECT from_price_paise, from_mrp_paise, discount_percent FROM products WHERE id = %s", (product_id,)
    )


def variant_form(price: str, mrp: str, sku: str = "MRP-TEST-1") -> dict:
    return {"sku": sku, "price": price, "mrp": mrp, "low_stock_threshold": "5"}


@pytest.mark.parametrize("htmx", [False, True])
async def test_staff_set_a_variants_mrp_and_the_listing_follows(conn, staff, htmx):
    product = await make_product(conn, price_paise=249_900)
    variant = product["variants"][0]
    response = await post(
        staff,
        f"/admin/variants/{variant['id']}",
        form=variant_form("1999", "3999", variant["sku"]),
        headers=HTMX if htmx else None,
    )
    assert response.status_code == (200 if htmx else 303)
    saved = await fetch_one(conn, "SELECT price_paise, mrp_paise FROM variants WHERE id = %s", (variant["id"],))
    assert saved == {"price_paise": 199_900, "mrp_paise": 399_900}
    assert await listing_row(conn, product["id"]) == {
        "from_price_paise": 199_900,
        "from_mrp_paise": 399_900,
        "discount_percent": 50,
    }
    if htmx:
        row = soup(await response.get_data())
        assert row.find("html") is None and row.select_one("input[name=mrp]")["value"] == "3999.00"


@pytest.mark.parametrize("htmx", [False, True])
async def test_a_price_above_the_mrp_is_refused_and_nothing_is_written(conn, staff, htmx):
    product = await make_product(conn, price_paise=199_900, mrp_paise=399_900)
    variant = product["variants"][0]
    before = await listing_row(conn, product["id"])
    response = await post(
        staff,
        f"/admin/variants/{variant['id']}",
        form=variant_form("4500", "3999", "CHANGED-SKU"),
        headers=HTMX if htmx else None,
    )
    assert response.status_code == 422
    text = soup(await response.get_data()).get_text(" ", strip=True)
    assert "The price (₹4,500) is above the MRP (₹3,999)" in text
    saved = await fetch_one(conn, "SELECT sku, price_paise, mrp_paise FROM variants WHERE id = %s", (variant["id"],))
    assert saved == {"sku": variant["sku"], "price_paise": 199_900, "mrp_paise": 399_900}
    assert await listing_row(conn, product["id"]) == before


async def test_an_empty_mrp_is_the_price_and_a_bad_one_is_refused(conn, staff):
    product = await make_product(conn, price_paise=199_900, mrp_paise=399_900)
    variant = product["variants"][0]
    bad = await post(staff, f"/admin/variants/{variant['id']}", form=variant_form("1999", "lots", variant["sku"]))
    assert bad.status_code == 422 and "MRP in rupees" in soup(await bad.get_data()).get_text()
    blank = await post(staff, f"/admin/variants/{variant['id']}", form=variant_form("1799", "", variant["sku"]))
    assert blank.status_code == 303
    assert await fetch_val(conn, "SELECT mrp_paise FROM variants WHERE id = %s", (variant["id"],)) == 179_900
    assert (await listing_row(conn, product["id"]))["discount_percent"] == 0


async def test_a_new_variant_with_its_mrp_and_one_above_it_refused(conn, staff):
    product = await make_product(conn, price_paise=249_900)
    colour = await make_colour(conn, "Test Mint")
    form = {
        "size_id": str(await size_id(conn, "L")),
        "colour_id": str(colour),
        "sku": "MINT-L",
        "price": "1499",
        "mrp": "2999",
        "stock": "2",
    }
    refused = await post(staff, f"/admin/products/{product['id']}/variants", form=dict(form, price="3499"))
    assert refused.status_code == 422 and "above the MRP" in soup(await refused.get_data()).get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM variants WHERE sku = 'MINT-L'") == 0
    added = await post(staff, f"/admin/products/{product['id']}/variants", form=form)
    assert added.status_code == 303
    assert await fetch_val(conn, "SELECT mrp_paise FROM variants WHERE sku = 'MINT-L'") == 299_900
    # the cheaper variant now sets the card: ₹1,499 of ₹2,999, 50% off
    assert await listing_row(conn, product["id"]) == {
        "from_price_paise": 149_900,
        "from_mrp_paise": 299_900,
        "discount_percent": 50,
    }
    page = soup(await (await staff.get(f"/admin/products/{product['id']}")).get_data())
    assert page.select_one("#variant-" + str(product["variants"][0]["id"]) + " input[name=mrp]") is not None


async def test_a_new_product_takes_an_mrp_and_refuses_a_price_above_it(conn, staff):
    category = await make_category(conn)
    form = {"name": "Indigo Kalamkari Kurti", "category_id": str(category["id"]), "price": "1999", "mrp": "1499"}
    before = await fetch_val(conn, "SELECT COUNT(*) FROM products")
    refused = await post(staff, "/admin/products/new", form=form)
    assert refused.status_code == 422 and "above the MRP" in soup(await refused.get_data()).get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM products") == before
    created = await post(staff, "/admin/products/new", form=dict(form, mrp="2999"))
    assert created.status_code == 303
    product_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert await listing_row(conn, product_id) == {
        "from_price_paise": 199_900,
        "from_mrp_paise": 299_900,
        "discount_percent": 33,
    }
