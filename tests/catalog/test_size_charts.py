"""Size charts and fit notes from the database (issue 13.7): a category's own chart, else its
parent's; shown in cm and inches without JavaScript; edited by staff per category; the fit
note beside the size picker, edited on the product form."""

from __future__ import annotations

from mooncart.db import execute, fetch_all
from tests.conftest import log_in, post, soup
from tests.factories import make_category, make_product, make_size_chart, make_user, size_id

PARENT_CHART = {"S": {"bust": 86.4, "waist": 71.1}, "M": {"bust": 91.4, "waist": 76.2}}
OWN_CHART = {"S": {"bust": 88.0, "length": 105.0}, "M": {"bust": 93.0, "length": 106.5}}


def chart_of(page) -> list[list[str]]:
    table = page.find(id="size-guide").find("table")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])] for row in table.find_all("tr")]


async def staff_client(app, conn):
    client = app.test_client()
    await log_in(client, await make_user(conn, is_staff=True))
    return client


async def test_a_child_category_without_a_chart_shows_its_parents(client, conn):
    parent = await make_category(conn, "Test Ethnic")
    child = await make_category(conn, "Test Kurtas", parent_id=parent["id"])
    await make_size_chart(conn, parent["id"], PARENT_CHART)
    product = await make_product(conn, category=child, variants=[("S", "Indigo", 3), ("M", "Indigo", 3)])
    page = soup(await (await client.get(product["url"])).get_data())
    assert chart_of(page) == [
        ["Size", "Bust (cm) (in)", "Waist (cm) (in)"],
        ["S", "86.4 34.0", "71.1 28.0"],
        ["M", "91.4 36.0", "76.2 30.0"],
    ]
    # the unit switch is two radio buttons and CSS: no script
    units = page.find(id="size-guide").find_all("input", attrs={"name": "size-unit"})
    assert [(u["value"], u.has_attr("checked")) for u in units] == [("cm", True), ("in", False)]
    first_cell = page.find(id="size-guide").find("tbody").find("td")
    assert first_cell.find("span", class_="unit-cm").get_text() == "86.4"
    assert first_cell.find("span", class_="unit-in").get_text() == "34.0"

    await make_size_chart(conn, child["id"], OWN_CHART)  # its own chart wins, whole
    page = soup(await (await client.get(product["url"])).get_data())
    assert chart_of(page)[0] == ["Size", "Bust (cm) (in)", "Length (cm) (in)"]
    assert chart_of(page)[1] == ["S", "88.0 34.6", "105.0 41.3"]


async def test_only_the_products_sizes_are_charted_and_free_size_has_none(client, conn):
    category = await make_category(conn)
    await make_size_chart(conn, category["id"], PARENT_CHART | {"L": {"bust": 96.5}})
    product = await make_product(conn, category=category, variants=[("M", "Indigo", 3)])
    page = soup(await (await client.get(product["url"])).get_data())
    assert [row[0] for row in chart_of(page)] == ["Size", "M"]
    free = await make_product(conn, category=category, variants=[("Free size", "Indigo", 3)])
    assert soup(await (await client.get(free["url"])).get_data()).find(id="size-guide") is None


async def test_the_fit_note_sits_by_the_size_picker(client, conn):
    product = await make_product(conn)
    await execute(
        conn,
        "UPDATE products SET fit_note = %s WHERE id = %s",
        ("Regular fit; the model is 5'6\" and wears S", product["id"]),
    )
    page = soup(await (await client.get(product["url"])).get_data())
    note = page.find("form", id="add-to-bag").find(id="fit-note")
    assert note.get_text(" ", strip=True) == "Fit: Regular fit; the model is 5'6\" and wears S"
    bare = await make_product(conn)
    assert soup(await (await client.get(bare["url"])).get_data()).find(id="fit-note") is None


async def test_staff_edit_a_categorys_chart_and_clearing_it_inherits_again(app, conn, client):
    parent = await make_category(conn, "Test Western")
    child = await make_category(conn, "Test Tops", parent_id=parent["id"])
    await make_size_chart(conn, parent["id"], PARENT_CHART)
    product = await make_product(conn, category=child, variants=[("S", "Indigo", 3)])
    staff = await staff_client(app, conn)
    form_page = soup(await (await staff.get(f"/admin/categories/{child['id']}/size-chart")).get_data())
    assert "show the chart of Test Western" in form_page.find(id="chart-inherited").get_text()
    small = await size_id(conn, "S")
    chart_form = form_page.find("form", action=lambda a: a and a.endswith("/size-chart"))
    names = {i["name"] for i in chart_form.find_all("input") if i["name"] != "csrf_token"}
    assert f"{small}-bust" in names and f"{small}-length" in names and len(names) == 6 * 4

    response = await post(
        staff, f"/admin/categories/{child['id']}/size-chart", form={f"{small}-bust": "87", f"{small}-length": "104,5"}
    )
    assert response.status_code == 303
    rows = await fetch_all(
        conn, "SELECT measure, cm FROM size_chart_rows WHERE category_id = %s ORDER BY measure", (child["id"],)
    )
    assert [(r["measure"], float(r["cm"])) for r in rows] == [("bust", 87.0), ("length", 104.5)]
    page = soup(await (await client.get(product["url"])).get_data())
    assert chart_of(page)[1] == ["S", "87.0 34.3", "104.5 41.1"]

    response = await post(staff, f"/admin/categories/{child['id']}/size-chart", form={f"{small}-bust": "lots"})
    assert response.status_code == 422
    assert "Bust for S: enter cm from 1 to 299.9" in soup(await response.get_data()).find(id="chart-errors").get_text()
    assert len(await fetch_all(conn, "SELECT 1 FROM size_chart_rows WHERE category_id = %s", (child["id"],))) == 2

    response = await post(staff, f"/admin/categories/{child['id']}/size-chart", form={})
    assert response.status_code == 303
    page = soup(await (await client.get(product["url"])).get_data())
    assert chart_of(page)[1] == ["S", "86.4 34.0", "71.1 28.0"]  # the parent's again


async def test_shoppers_cannot_edit_charts(app, conn):
    category = await make_category(conn)
    shopper = app.test_client()
    await log_in(shopper, await make_user(conn))
    assert (await shopper.get(f"/admin/categories/{category['id']}/size-chart")).status_code == 403
    response = await post(shopper, f"/admin/categories/{category['id']}/size-chart", form={})
    assert response.status_code == 403


async def test_staff_set_the_fit_note_on_the_product_form(app, conn, client):
    product = await make_product(conn)
    staff = await staff_client(app, conn)
    page = soup(await (await staff.get(f"/admin/products/{product['id']}")).get_data())
    assert page.find(id="f-fit_note") is not None
    response = await post(
        staff,
        f"/admin/products/{product['id']}",
        form={
            "name": product["name"],
            "category_id": str(product["category"]["id"]),
            "description": "A test kurti.",
            "fabric": "Cotton",
            "fit_note": "Relaxed fit; the model is 5'5\" and wears M",
        },
    )
    assert response.status_code in (200, 303)
    shown = soup(await (await client.get(product["url"])).get_data()).find(id="fit-note")
    assert "Relaxed fit; the model is 5'5\" and wears M" in shown.get_text()
