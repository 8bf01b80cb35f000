"""Rate limits: reviews per account, registrations per address, each a 429 that says when to come back."""

from __future__ import annotations

from mooncart import create_app
from tests.conftest import database_url, log_in, post, soup
from tests.factories import make_delivered_order, make_product, make_user


async def test_review_posting_is_rate_limited_per_account(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    statuses = []
    for _ in range(6):
        product = await make_product(conn)
        await make_delivered_order(conn, user, product)
        response = await post(
            client,
            f"/products/{product['slug']}/reviews",
            form={"rating": "5", "body": "Beautiful colour, soft fabric."},
        )
        statuses.append(response.status_code)
    assert statuses == [303] * 5 + [429]
    assert "try again later" in soup(await response.get_data()).get_text()
    assert int(response.headers["Retry-After"]) > 0


async def test_registration_is_rate_limited_per_address(database, conn):
    app = create_app(
        {
            "SECRET_KEY": "t",
            "DATABASE_URL": database_url(database),
            "DB_CONNECTION": conn,
            "REGISTRATIONS_PER_HOUR": 2,
            "REFERENCE_CACHE_SECONDS": 0,
        }
    )
    async with app.test_app() as test_app:
        statuses = []
        for i in range(3):
            client = test_app.test_client()
            response = await post(
                client,
                "/account/register",
                form={
                    "name": "Rate Test",
                    "email": f"rate{i}@example.in",
                    "mobile": "9876543210",
                    "password": "pick a long phrase",
                },
            )
            statuses.append(response.status_code)
        assert statuses == [303, 303, 429]
        assert (await test_app.test_client().get("/account/register")).status_code == 200, "viewing is free"
