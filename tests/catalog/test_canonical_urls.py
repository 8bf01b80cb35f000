"""Hand-typed listing and product links (capitals, a trailing slash) reach the page by a 301
to its one address, keeping the query string."""

from __future__ import annotations

from tests.factories import make_category, make_product


async def test_a_category_typed_in_capitals_or_with_a_slash_moves_to_its_address(client, conn):
    category = await make_category(conn)
    slug = category["slug"]
    for typed, expected in [
        (f"/c/{slug.upper()}", f"/c/{slug}"),
        (f"/c/{slug}/", f"/c/{slug}"),
        (f"/c/{slug.upper()}/", f"/c/{slug}"),
        (f"/c/{slug.upper()}?sort=price_asc&size=M&size=L", f"/c/{slug}?sort=price_asc&size=M&size=L"),
        (f"/c/{slug}/?q=a%26b", f"/c/{slug}?q=a%26b"),
    ]:
        response = await client.get(typed)
        assert response.status_code == 301, typed
        assert response.headers["Location"] == expected, typed
    assert (await client.get(f"/c/{slug}")).status_code == 200


async def test_an_unknown_category_is_still_404(client, conn):
    assert (await client.get("/c/NO-SUCH-THING")).status_code == 404
    assert (await client.get("/c/no-such-thing")).status_code == 404
    slashed = await client.get("/c/no-such-thing/")
    assert slashed.status_code == 301 and (await client.get(slashed.headers["Location"])).status_code == 404


async def test_a_product_typed_in_capitals_or_with_a_slash_moves_to_its_address(client, conn):
    product = await make_product(conn, stock=3)
    slug = product["slug"]
    for typed, expected in [
        (f"/products/{slug}/", f"/products/{slug}"),
        (f"/products/{slug.upper()}", f"/products/{slug}"),
        (f"/products/{slug.upper()}/?colour=red", f"/products/{slug}?colour=red"),
    ]:
        response = await client.get(typed)
        assert response.status_code == 301, typed
        assert response.headers["Location"] == expected, typed
    assert (await client.get(f"/products/{slug}")).status_code == 200
