"""A guest who filled her bag while the shop was on plain http keeps it when the shop moves to
https: the old cookie is read once, re-issued as __Host-mooncart_bag, and deleted."""

from __future__ import annotations

from mooncart.db import fetch_val
from tests.conftest import soup
from tests.factories import make_product


async def test_a_guest_bag_from_plain_http_survives_the_move_to_https(app, conn):
    product = await make_product(conn, stock=5)
    client = app.test_client()
    page = soup(await (await client.get("/bag")).get_data())
    token = page.find("meta", attrs={"name": "csrf-token"})["content"]
    response = await client.post(
        "/bag/add", form={"variant_id": str(product["variants"][0]["id"]), "quantity": "2", "csrf_token": token}
    )
    assert response.status_code == 303
    old = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("mooncart_bag="))
    value = old.partition(";")[0].partition("=")[2]

    moved = await client.get("/bag", scheme="https", headers={"Cookie": f"mooncart_bag={value}"})
    assert soup(await moved.get_data()).find(id="bag-count").get_text().strip() == "2"
    cookies = moved.headers.getlist("Set-Cookie")
    secure = next(c for c in cookies if c.startswith("__Host-mooncart_bag="))
    assert secure.partition(";")[0] == f"__Host-mooncart_bag={value}" and "Secure" in secure and "Path=/" in secure
    deleted = next(c for c in cookies if c.startswith("mooncart_bag="))
    assert deleted.startswith("mooncart_bag=;") and ("Max-Age=0" in deleted or "1970" in deleted)

    # from then on the __Host- cookie alone finds the bag, and nothing more is re-issued
    again = await client.get("/bag", scheme="https", headers={"Cookie": f"__Host-mooncart_bag={value}"})
    assert soup(await again.get_data()).find(id="bag-count").get_text().strip() == "2"
    assert not any("mooncart_bag=" in c for c in again.headers.getlist("Set-Cookie"))
    assert await fetch_val(conn, "SELECT COUNT(*) FROM carts") == 1


async def test_a_tampered_plain_cookie_over_https_is_set_aside(app, conn):
    client = app.test_client()
    response = await client.get("/bag", scheme="https", headers={"Cookie": "mooncart_bag=forged.value"})
    assert response.status_code == 200
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("__Host-mooncart_bag=") and not c.startswith("__Host-mooncart_bag=;") for c in cookies)
    assert any(c.startswith("mooncart_bag=;") for c in cookies)
