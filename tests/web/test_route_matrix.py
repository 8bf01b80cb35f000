"""Every route of the app, by who may use it: anonymous, shopper A, shopper B and staff.
A route that is missing from MATRIX fails the test, so a new route must say who it is for."""

from __future__ import annotations

from mooncart.db import execute, fetch_val
from tests.conftest import log_in, post
from tests.factories import make_address, make_look, make_product, make_review, make_user, shopper_with_bag
from tests.routes import kind_of


async def test_every_route_answers_each_kind_of_visitor_as_it_should(app, conn):
    client_a, user_a, variants, form = await shopper_with_bag(app, conn, 1)
    number = (await post(client_a, "/checkout", form=form)).headers["Location"].rsplit("/", 1)[1]
    address_a = await make_address(conn, user_a["id"])
    product = await make_product(conn)
    user_b, staff_user = await make_user(conn), await make_user(conn, is_staff=True)
    staff_without_two_step = await make_user(conn, is_staff=True, two_step=False)
    anonymous, client_b, staff, staff_password_only = (app.test_client() for _ in range(4))
    await log_in(client_b, user_b)
    await log_in(staff, staff_user)
    await log_in(staff_password_only, staff_without_two_step)
    image_id = await fetch_val(conn, "SELECT id FROM product_images WHERE product_id = %s", (product["id"],))
    review_id = await make_review(conn, user_a, product)
    _, voucher_id = await execute(conn, "INSERT INTO vouchers (code, kind, amount) VALUES ('MATRIX10', 'percent', 10)")
    look = await make_look(conn, [product, await make_product(conn)])
    values = {
        "slug": product["slug"],
        "number": number,
        "address_id": address_a,
        "variant_id": variants[0]["id"],
        "product_id": product["id"],
        "image_id": image_id,
        "category_id": product["category"]["id"],
        "user_id": user_b["id"],
        "voucher_id": voucher_id,
        "return_id": 1,
        "filename": "css/mooncart.css",
        "kind": "kurti",
        "colour": "e91e63",
        "review_id": review_id,
        "report": "funnel",
        "message_id": await fetch_val(conn, "SELECT MAX(id) FROM outbox_messages"),  # the order's e-mail
        "look_id": look["id"],
        "look_slug": look["slug"],
        "synonym_id": await fetch_val(conn, "SELECT MIN(id) FROM search_synonyms"),
    }

    checked = 0
    for rule in app.app.url_map.iter_rules():
        kind = kind_of(rule.endpoint)
        args = {arg: values[arg] for arg in rule.arguments}
        if rule.endpoint in ("catalog.category", "catalog.category_with_slash"):
            args["slug"] = product["category"]["slug"]
        url = rule.build(args, append_unknown=False)[1]
        if rule.endpoint == "media.upload":
            url = "/media/uploads/none.jpg"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if kind == "stream":
                continue

            async def send(client, url=url, method=method):
                if method == "GET":
                    return await client.get(url)
                client._csrf = None  # log-out (a public POST) rotates the token
                return await post(client, url, form={})

            if kind == "public":
                response = await send(anonymous)
                if method == "POST":  # an empty form is refused with a message, never a 5xx
                    assert response.status_code in (303, 422), (method, url)
                else:
                    assert response.status_code == (404 if rule.endpoint == "media.upload" else 200), (method, url)
            elif kind == "moved":
                for client in (anonymous, client_a):
                    response = await send(client)
                    assert response.status_code == 301 and not response.headers["Location"].endswith("/"), (method, url)
            elif kind == "operator":
                assert (await send(anonymous)).status_code == 404, (method, url)
            elif kind == "second-step":
                response = await send(anonymous)
                assert response.status_code == 303 and response.headers["Location"] == "/account/login", (method, url)
            elif kind == "gateway-return":
                response = await send(anonymous)
                assert response.status_code == 303 and "/account/login" in response.headers["Location"], (method, url)
                assert (await send(client_a)).status_code == 404, (method, url)  # paid cash on delivery
                assert (await send(client_b)).status_code == 404, (method, url)
            elif kind == "signed":
                assert (await anonymous.post(url, data=b"{}")).status_code == 400, (method, url)
            elif kind == "public-post":
                assert (await send(anonymous)).status_code in (303, 422), (method, url)
            elif kind == "shopper":
                response = await send(anonymous)
                assert response.status_code == 303 and "/account/login" in response.headers["Location"], (method, url)
                if method == "GET":
                    assert (await send(client_b)).status_code in (200, 303), (method, url)
            elif kind == "owned":
                response = await send(anonymous)
                assert response.status_code == 303 and "/account/login" in response.headers["Location"], (method, url)
                if method == "GET":
                    assert (await send(client_a)).status_code == 200, (method, url)
                    assert (await send(client_b)).status_code == 404, (method, url)
                else:
                    response = await send(client_b)
                    assert response.status_code in (303, 404), (method, url)
            elif kind == "staff":
                response = await send(anonymous)
                assert response.status_code == 303 and "/account/login" in response.headers["Location"], (method, url)
                assert (await send(client_a)).status_code == 403, (method, url)
                response = await send(staff_password_only)
                assert response.status_code == 303 and response.headers["Location"] == "/account/two-step", (
                    method,
                    url,
                )
                if method == "GET":
                    assert (await send(staff)).status_code == 200, (method, url)
            checked += 1
    assert checked >= 45
    # B's attempts changed nothing of A's
    assert await fetch_val(conn, "SELECT status FROM orders WHERE number = %s", (number,)) == "placed"
    assert await fetch_val(conn, "SELECT COUNT(*) FROM addresses WHERE id = %s", (address_a,)) == 1
