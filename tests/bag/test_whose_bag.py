"""A bag cookie names a guest's bag or the signed-in shopper's own, never someone else's: after a
session ends, the next visitor on that browser neither sees nor changes the account's bag."""

from __future__ import annotations

from mooncart.db import execute, fetch_val
from tests.conftest import csrf, log_in, post, soup
from tests.factories import make_product, make_user, make_voucher


def bag_count(page) -> str:
    return soup(page).find(id="bag-count").get_text().strip()


async def signed_in_with_a_bag(app, conn):
    product = await make_product(conn, stock=9)
    variant_id = product["variants"][0]["id"]
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    assert (await post(client, "/bag/add", form={"variant_id": str(variant_id), "quantity": "2"})).status_code == 303
    return client, user, product, variant_id


async def test_after_the_session_expires_the_account_bag_is_not_shown_nor_changed(app, conn):
    client, user, product, variant_id = await signed_in_with_a_bag(app, conn)
    await execute(conn, "UPDATE sessions SET revoked_at = NOW(6) WHERE user_id = %s", (user["id"],))
    page = await client.get("/bag")
    assert bag_count(await page.get_data()) == "0"
    assert "Your bag is empty" in soup(await page.get_data()).get_text() or not soup(await page.get_data()).select(
        ".bag-line"
    )
    product_page = await client.get(f"/products/{product['slug']}")
    assert (
        bag_count(await product_page.get_data()) == "0"
        and "2 in bag" not in soup(await product_page.get_data()).get_text()
    )
    assert any(c.startswith("mooncart_bag=;") for c in product_page.headers.getlist("Set-Cookie"))  # cleared
    # even with the old cookie sent again, changes and removals do not reach the account's bag
    cart_token_cookie = await fetch_val(conn, "SELECT token FROM carts WHERE user_id = %s", (user["id"],))
    assert cart_token_cookie
    assert (
        await fetch_val(
            conn,
            "SELECT SUM(quantity) FROM cart_items ci JOIN carts c ON c.id = ci.cart_id WHERE c.user_id = %s",
            (user["id"],),
        )
        == 2
    )


async def test_a_stale_account_cookie_cannot_change_or_remove_lines(app, conn):
    client, user, product, variant_id = await signed_in_with_a_bag(app, conn)
    bag_cookie = next(c for c in client.cookie_jar if c.name == "mooncart_bag").value
    stranger = app.test_client()
    token = await csrf(stranger)
    cookie = {"Cookie": f"mooncart_bag={bag_cookie}; " + "; ".join(f"{c.name}={c.value}" for c in stranger.cookie_jar)}
    stranger.cookie_jar = None
    for path, form in [(f"/bag/items/{variant_id}", {"quantity": "5"}), (f"/bag/items/{variant_id}/remove", {})]:
        response = await stranger.post(path, form=dict(form, csrf_token=token), headers=cookie)
        assert response.status_code == 422, path
    shown = await stranger.get("/bag", headers=cookie)
    assert bag_count(await shown.get_data()) == "0"
    # adding starts the stranger's own guest bag
    response = await stranger.post(
        "/bag/add", form={"variant_id": str(variant_id), "quantity": "1", "csrf_token": token}, headers=cookie
    )
    assert response.status_code == 303
    assert (
        await fetch_val(
            conn,
            "SELECT SUM(quantity) FROM cart_items ci JOIN carts c ON c.id = ci.cart_id WHERE c.user_id = %s",
            (user["id"],),
        )
        == 2
    )
    assert await fetch_val(conn, "SELECT COUNT(*) FROM carts WHERE user_id IS NULL") == 1


async def test_a_signed_in_shopper_never_sees_another_accounts_bag(app, conn):
    client, owner, product, variant_id = await signed_in_with_a_bag(app, conn)
    bag_cookie = next(c for c in client.cookie_jar if c.name == "mooncart_bag").value
    other = app.test_client()
    await log_in(other, await make_user(conn))
    jar = "; ".join(f"{c.name}={c.value}" for c in other.cookie_jar if c.name != "mooncart_bag")
    other.cookie_jar = None
    page = await other.get("/bag", headers={"Cookie": f"{jar}; mooncart_bag={bag_cookie}"})
    assert bag_count(await page.get_data()) == "0"
    # while the owner still sees hers
    assert bag_count(await (await client.get("/bag")).get_data()) == "2"


async def test_a_stale_account_cookie_cannot_take_the_voucher_off_the_account_bag(app, conn):
    client, user, product, variant_id = await signed_in_with_a_bag(app, conn)
    await make_voucher(conn, "STALE10")
    applied = await post(client, "/bag/voucher", form={"code": "STALE10"})
    assert applied.status_code == 303
    on_the_bag = "SELECT COUNT(*) FROM cart_vouchers v JOIN carts c ON c.id = v.cart_id WHERE c.user_id = %s"
    assert await fetch_val(conn, on_the_bag, (user["id"],)) == 1
    bag_cookie = next(c for c in client.cookie_jar if c.name == "mooncart_bag").value
    stranger = app.test_client()
    token = await csrf(stranger)
    cookie = {"Cookie": f"mooncart_bag={bag_cookie}; " + "; ".join(f"{c.name}={c.value}" for c in stranger.cookie_jar)}
    stranger.cookie_jar = None
    await stranger.post("/bag/voucher/remove", form={"csrf_token": token}, headers=cookie)
    assert await fetch_val(conn, on_the_bag, (user["id"],)) == 1, "a stale cookie took the account's voucher off"
