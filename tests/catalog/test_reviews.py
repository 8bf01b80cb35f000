"""Reviews: only a signed-in shopper who received the product posts one (more in tests/reviews),
bad ones are refused with messages, and what they write is escaped."""

from __future__ import annotations

from mooncart.db import fetch_val
from tests.conftest import log_in, post, soup
from tests.factories import make_delivered_order, make_product, make_user


async def test_reviews_are_posted_checked_and_escaped(app, conn):
    product = await make_product(conn)
    user = await make_user(conn, name="Nisha Verma")
    client = app.test_client()
    anonymous = await post(app.test_client(), f"/products/{product['slug']}/reviews", form={"rating": "5", "body": "x"})
    assert anonymous.status_code == 303 and "/account/login" in anonymous.headers["Location"]
    await make_delivered_order(conn, user, product)  # only a shopper who received it may review it
    await log_in(client, user)
    bad = await post(client, f"/products/{product['slug']}/reviews", form={"rating": "6", "body": "short"})
    assert bad.status_code == 422
    text = soup(await bad.get_data()).get_text()
    assert "1 to 5 stars" in text and "at least 10 characters" in text
    good = await post(
        client,
        f"/products/{product['slug']}/reviews",
        form={"rating": "4", "title": "<b>Lovely</b>", "body": "Fits true to size <script>alert(1)</script>"},
    )
    assert good.status_code == 303
    page = await (await client.get(product["url"])).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Nisha," in soup(page).select_one(".review .reviewer").get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM reviews WHERE product_id = %s", (product["id"],)) == 1
