"""Links typed by hand: a trailing slash on any page's address finds the page (as it already did
for categories and products), while an address that is no page stays a 404."""

from __future__ import annotations

from tests.conftest import log_in, soup
from tests.factories import make_user


async def test_a_trailing_slash_on_any_page_moves_to_the_page_keeping_the_query(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    for typed, page in (
        ("/bag/", "/bag"),
        ("/orders/", "/orders"),
        ("/account/", "/account"),
        ("/account/addresses/", "/account/addresses"),
        ("/wishlist/", "/wishlist"),
        ("/loved/", "/loved"),
        ("/search/?q=kurti", "/search?q=kurti"),
    ):
        response = await client.get(typed)
        assert response.status_code == 301 and response.headers["Location"] == page, typed
        assert (await client.get(page)).status_code == 200, page


async def test_a_trailing_slash_on_no_page_or_a_form_address_is_still_not_found(client):
    for typed in ("/no-such-page/", "/bag/add/", "/checkout/voucher/", "/bag//"):
        response = await client.get(typed)
        assert response.status_code == 404, typed


async def test_a_get_of_a_form_address_is_a_405_that_says_which_methods_it_takes(client):
    """RFC 9110: a 405 names the methods the address does take (the shop's page dropped Allow)."""
    response = await client.get("/bag/add")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"POST"}
    assert "That page can't be used this way" in soup(await response.get_data()).get_text()
