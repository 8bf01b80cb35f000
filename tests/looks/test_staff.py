"""Staff make looks in the back office: create one, add, remove and reorder its pieces, publish it
(only with two pieces for sale), delete it. Shoppers and visitors cannot; every form needs the
CSRF token; bad input gets a clear message and changes nothing."""

from __future__ import annotations

import pytest

from mooncart.db import fetch_all, fetch_one, fetch_val
from tests.conftest import HTMX, log_in, post, soup
from tests.factories import make_look, make_product, make_user


@pytest.fixture
async def staff(app, conn):
    client = app.test_client()
    await log_in(client, await make_user(conn, name="Riya Staff", is_staff=True))
    return client


async def pieces_of(conn, look_id: int) -> list[int]:
    rows = await fetch_all(conn, "SELECT product_id FROM look_pieces WHERE look_id = %s ORDER BY position", (look_id,))
    return [row["product_id"] for row in rows]


async def new_look(staff, conn, **form) -> int:
    response = await post(staff, "/admin/looks/new", form={"name": "Festive kurti set", "description": "", **form})
    assert response.status_code == 303
    return int(response.headers["Location"].rsplit("/", 1)[1])


async def test_staff_create_a_look_add_reorder_and_remove_pieces_and_publish_it(staff, conn):
    kurti, dupatta, juttis = [await make_product(conn, name=name) for name in ("Kurti", "Dupatta", "Juttis")]
    look_id = await new_look(staff, conn, description="For Diwali.")
    look = await fetch_one(conn, "SELECT slug, name, description, published FROM looks WHERE id = %s", (look_id,))
    assert look == {
        "slug": "festive-kurti-set",
        "name": "Festive kurti set",
        "description": "For Diwali.",
        "published": 0,
    }
    page = soup(await (await staff.get(f"/admin/looks/{look_id}")).get_data())
    assert "Look “Festive kurti set” created. Now add its pieces." in page.get_text()

    # by style code, by address, by the whole link; over htmx the pieces region comes back alone
    for typed, product in (
        (f"MC{kurti['id']:07d}", kurti),
        (dupatta["slug"], dupatta),
        (f"https://shop.example{juttis['url']}?x=1", juttis),
    ):
        response = await post(staff, f"/admin/looks/{look_id}/pieces", form={"product": typed}, headers=HTMX)
        assert response.status_code == 200
        region = soup(await response.get_data())
        assert region.find("html") is None and region.select_one("#look-pieces")
        assert f"Added {product['name']} to the look." in region.get_text()
    assert await pieces_of(conn, look_id) == [kurti["id"], dupatta["id"], juttis["id"]]

    response = await post(staff, f"/admin/looks/{look_id}/pieces/{juttis['id']}/move", form={"direction": "up"})
    assert response.status_code == 303  # without JavaScript
    assert await pieces_of(conn, look_id) == [kurti["id"], juttis["id"], dupatta["id"]]
    await post(staff, f"/admin/looks/{look_id}/pieces/{kurti['id']}/move", form={"direction": "up"}, headers=HTMX)
    assert await pieces_of(conn, look_id) == [kurti["id"], juttis["id"], dupatta["id"]]  # already first
    await post(staff, f"/admin/looks/{look_id}/pieces/{kurti['id']}/move", form={"direction": "down"}, headers=HTMX)
    assert await pieces_of(conn, look_id) == [juttis["id"], kurti["id"], dupatta["id"]]

    response = await post(staff, f"/admin/looks/{look_id}/publish", form={"published": "1"}, headers=HTMX)
    assert response.status_code == 200 and "The look is published." in (await response.get_data(as_text=True))
    shopper_view = soup(await (await staff.get(kurti["url"])).get_data()).select_one(f"#look-{look_id}")
    assert [a.get_text() for a in shopper_view.select(".look-piece-name a")] == ["Juttis", "Kurti", "Dupatta"]

    response = await post(staff, f"/admin/looks/{look_id}/pieces/{dupatta['id']}/remove", form={}, headers=HTMX)
    assert response.status_code == 200 and "Piece removed." in (await response.get_data(as_text=True))
    assert await fetch_val(conn, "SELECT published FROM looks WHERE id = %s", (look_id,)) == 1
    # the second-to-last piece out: a published look cannot keep one piece
    response = await post(staff, f"/admin/looks/{look_id}/pieces/{kurti['id']}/remove", form={}, headers=HTMX)
    assert "fewer than 2 pieces for sale now, so shoppers no longer see it" in (await response.get_data(as_text=True))
    assert await fetch_val(conn, "SELECT published FROM looks WHERE id = %s", (look_id,)) == 0
    assert await pieces_of(conn, look_id) == [juttis["id"]]
    assert await fetch_val(conn, "SELECT COUNT(*) FROM products WHERE id = %s", (kurti["id"],)) == 1


async def test_refusals_say_what_is_wrong_and_change_nothing(staff, conn):
    kurti = await make_product(conn, name="Kurti")
    bare = await make_product(conn, name="Kurti without sizes", variants=[])
    look_id = await new_look(staff, conn)
    await post(staff, f"/admin/looks/{look_id}/pieces", form={"product": kurti["slug"]})
    cases = [
        ("pieces", {"product": ""}, "Type the product's address or its style code."),
        ("pieces", {"product": "no-such-kurti"}, "No product matches “no-such-kurti”."),
        ("pieces", {"product": "MC99999999"}, "No product matches"),
        ("pieces", {"product": "<script>'"}, "No product matches"),
        ("pieces", {"product": "x" * 5000}, "No product matches"),
        ("pieces", {"product": kurti["slug"]}, "Kurti is already in this look."),
        (
            "pieces",
            {"product": bare["slug"]},
            "Kurti without sizes has no sizes for sale, so it cannot be part of a look.",
        ),
        (
            "publish",
            {"published": "1"},
            "A look needs at least 2 pieces that are for sale before it can be published (this one has 1).",
        ),
        ("publish", {"published": "yes"}, "Choose to publish the look or to stop showing it."),
        (f"pieces/{kurti['id']}/move", {"direction": "sideways"}, "Choose to move the piece up or down."),
        (f"pieces/{bare['id']}/move", {"direction": "up"}, "That product is not in this look"),
        (f"pieces/{bare['id']}/remove", {}, "That product is not in this look"),
    ]
    for path, form, message in cases:
        for headers in (HTMX, None):
            response = await post(staff, f"/admin/looks/{look_id}/{path}", form=form, headers=headers)
            assert response.status_code == 422, (path, form)
            page = soup(await response.get_data())
            assert message in page.select_one("#look-pieces .notice.error").get_text(), (path, form)
            assert (page.find("html") is None) == (headers is not None)
    assert await pieces_of(conn, look_id) == [kurti["id"]]
    assert await fetch_val(conn, "SELECT published FROM looks WHERE id = %s", (look_id,)) == 0


async def test_the_details_form_checks_the_name_and_the_address(staff, conn):
    look_id = await new_look(staff, conn)
    other_id = await new_look(staff, conn, name="Wedding guest", slug="wedding-guest")
    for form, field, message in [
        ({"name": "", "slug": ""}, "name", "Give the look a name"),
        ({"name": "x" * 121, "slug": "ok"}, "name", "at most 120 characters"),
        ({"name": "Set", "slug": "Not An Address!"}, "slug", "lower-case letters, digits and dashes"),
        ({"name": "Set", "slug": "festive-kurti-set"}, "slug", "There is already a look at this address"),
        ({"name": "Set", "description": "x" * 1001}, "description", "at most 1000 characters"),
    ]:
        response = await post(staff, f"/admin/looks/{other_id}", form=form)
        assert response.status_code == 422, form
        assert message in soup(await response.get_data()).select_one(f"#f-{field}-error").get_text(), form
    response = await post(staff, "/admin/looks/new", form={"name": "Festive kurti set"})
    assert response.status_code == 422 and "There is already a look at this address" in (
        await response.get_data(as_text=True)
    )
    response = await post(
        staff, f"/admin/looks/{other_id}", form={"name": "Sangeet night", "slug": "", "description": "Dance."}
    )
    assert response.status_code == 303
    assert await fetch_one(conn, "SELECT slug, name, description FROM looks WHERE id = %s", (other_id,)) == {
        "slug": "sangeet-night",
        "name": "Sangeet night",
        "description": "Dance.",
    }
    assert await fetch_val(conn, "SELECT COUNT(*) FROM looks WHERE id IN (%s, %s)", (look_id, other_id)) == 2


async def test_staff_delete_a_look_and_its_products_stay(staff, conn):
    kurti, dupatta = await make_product(conn), await make_product(conn)
    look = await make_look(conn, [kurti, dupatta])
    listing = soup(await (await staff.get("/admin/looks")).get_data())
    assert look["name"] in listing.get_text()
    response = await post(staff, f"/admin/looks/{look['id']}/delete", form={})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/looks"
    assert await fetch_val(conn, "SELECT COUNT(*) FROM looks WHERE id = %s", (look["id"],)) == 0
    assert await fetch_val(conn, "SELECT COUNT(*) FROM look_pieces WHERE look_id = %s", (look["id"],)) == 0
    assert (
        await fetch_val(conn, "SELECT COUNT(*) FROM products WHERE id IN (%s, %s)", (kurti["id"], dupatta["id"])) == 2
    )
    assert (await staff.get(look["url"])).status_code == 404
    assert (await post(staff, f"/admin/looks/{look['id']}/delete", form={})).status_code == 404


async def test_every_look_route_for_staff_refuses_visitors_shoppers_and_missing_tokens(app, staff, conn):
    kurti, dupatta = await make_product(conn), await make_product(conn)
    look = await make_look(conn, [kurti, dupatta], published=False)
    base = f"/admin/looks/{look['id']}"
    routes = [
        ("GET", "/admin/looks"),
        ("GET", "/admin/looks/new"),
        ("POST", "/admin/looks/new"),
        ("GET", base),
        ("POST", base),
        ("POST", f"{base}/pieces"),
        ("POST", f"{base}/pieces/{kurti['id']}/remove"),
        ("POST", f"{base}/pieces/{kurti['id']}/move"),
        ("POST", f"{base}/publish"),
        ("POST", f"{base}/delete"),
    ]
    anonymous, shopper = app.test_client(), app.test_client()
    await log_in(shopper, await make_user(conn))
    forms = {
        "/admin/looks/new": {"name": "Hacked"},
        base: {"name": "Hacked"},
        f"{base}/pieces": {"product": kurti["slug"]},
        f"{base}/publish": {"published": "1"},
        f"{base}/pieces/{kurti['id']}/move": {"direction": "down"},
    }
    for method, url in routes:
        form = forms.get(url, {})
        send = (
            (lambda c, url=url: c.get(url))
            if method == "GET"
            else (lambda c, url=url, form=form: post(c, url, form=form))
        )
        response = await send(anonymous)
        assert response.status_code == 303 and "/account/login" in response.headers["Location"], (method, url)
        response = await send(shopper)
        assert response.status_code == 403 and "Staff only" in soup(await response.get_data()).get_text(), (method, url)
        if method == "POST":  # staff too need the form's token
            for headers, token in ((None, None), (None, "forged"), ({"X-CSRF-Token": "forged"}, None)):
                data = dict(form, **({"csrf_token": token} if token else {}))
                response = await staff.post(url, form=data, headers=headers)
                assert response.status_code == 403 and "nothing was changed" in (
                    await response.get_data(as_text=True)
                ), (method, url)
    assert await fetch_one(conn, "SELECT name, published FROM looks WHERE id = %s", (look["id"],)) == {
        "name": look["name"],
        "published": 0,
    }
    assert await pieces_of(conn, look["id"]) == [kurti["id"], dupatta["id"]]
    assert await fetch_val(conn, "SELECT COUNT(*) FROM looks WHERE name = 'Hacked'") == 0
    # the same pages open for staff
    for method, url in routes:
        if method == "GET":
            assert (await staff.get(url)).status_code == 200, url
    assert (await staff.get("/admin/looks/4294967295")).status_code == 404
