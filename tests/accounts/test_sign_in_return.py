"""A session that ends while a form is open: the shopper logs in again and is back on the page
she was on, never at a POST-only URL (405) and never with the log-in page inside her page."""

from __future__ import annotations

from tests.conftest import HTMX, csrf, post
from tests.factories import make_address, make_product, make_user


async def test_a_review_sent_after_the_session_ended_returns_to_the_product_page_after_log_in(app, conn):
    product = await make_product(conn, stock=5)
    user = await make_user(conn)
    client = app.test_client()
    page = f"/products/{product['slug']}"
    response = await post(
        client,
        f"{page}/reviews",
        form={"rating": "5", "body": "Lovely cotton, true to size."},
        headers={"Referer": f"http://localhost{page}?colour=red"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/account/login?next={page}?colour%3Dred"
    back = await post(client, response.headers["Location"], form={"email": user["email"], "password": user["password"]})
    assert back.status_code == 303 and back.headers["Location"] == f"{page}?colour=red"
    assert (await client.get(back.headers["Location"])).status_code == 200


async def test_a_post_from_another_site_or_without_a_referer_goes_to_the_plain_log_in_page(app, conn):
    product = await make_product(conn, stock=5)
    client = app.test_client()
    await csrf(client)
    for referer in (
        None,
        "https://evil.example/products/x",
        "http://localhost//evil.example/x",
        "http://localhost:8001/account",
        "not a url",
    ):
        headers = {"Referer": referer} if referer else None
        response = await post(client, f"/products/{product['slug']}/reviews", form={"rating": "5"}, headers=headers)
        assert response.status_code == 303, referer
        assert response.headers["Location"] == "/account/login", referer


async def test_removing_an_address_after_the_session_ended_returns_to_the_address_book(app, conn):
    user = await make_user(conn)
    address_id = await make_address(conn, user["id"])
    client = app.test_client()
    response = await post(
        client, f"/account/addresses/{address_id}/delete", headers={"Referer": "http://localhost/account/addresses"}
    )
    assert response.headers["Location"] == "/account/login?next=/account/addresses"
    back = await post(client, response.headers["Location"], form={"email": user["email"], "password": user["password"]})
    assert back.headers["Location"] == "/account/addresses"


async def test_a_get_still_returns_to_itself(client):
    response = await client.get("/orders?page=2")
    assert response.headers["Location"] == "/account/login?next=/orders?page%3D2"


async def test_an_htmx_request_after_the_session_ended_navigates_to_the_log_in_page(app, conn):
    """A 303 would be followed by fetch and the log-in page swapped into the form's target;
    HX-Redirect makes htmx load the log-in page as a page, to return to the shopper's page."""
    client = app.test_client()
    response = await post(
        client,
        "/checkout",
        form={"payment": "cod"},
        headers=dict(HTMX, **{"HX-Current-URL": "http://localhost/checkout"}),
    )
    assert response.status_code == 200 and not (await response.get_data())
    assert response.headers["HX-Redirect"] == "/account/login?next=/checkout"
    assert "Location" not in response.headers
    # a current URL of another site is not followed
    response = await post(
        client,
        "/checkout",
        form={"payment": "cod"},
        headers=dict(HTMX, **{"HX-Current-URL": "https://evil.example/checkout"}),
    )
    assert response.headers["HX-Redirect"] == "/account/login"


async def test_the_headers_log_in_link_returns_a_guest_to_the_page_she_was_on(app, conn):
    """A guest on a product page presses the header's "Log in" and comes back to that product
    (with its colour), not to the home page; on the log-in and sign-up pages the link adds nothing."""
    from tests.conftest import soup

    product = await make_product(conn, stock=5)
    user = await make_user(conn)
    client = app.test_client()
    page = f"/products/{product['slug']}?colour=red"
    link = soup(await (await client.get(page)).get_data()).select_one("a.account-link")["href"]
    assert link == f"/account/login?next=/products/{product['slug']}?colour%3Dred"
    back = await post(client, link, form={"email": user["email"], "password": user["password"]})
    assert back.status_code == 303 and back.headers["Location"] == page
    guest = app.test_client()
    for own in ("/account/login", "/account/register"):
        assert soup(await (await guest.get(own)).get_data()).select_one("a.account-link")["href"] == "/account/login"
