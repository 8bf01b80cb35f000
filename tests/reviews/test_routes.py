"""Reviews on the product page: verified buyers only, the rating summary, fit advice, sorting and
star filters, "Was this helpful?" votes, staff moderation, and what a product page costs."""

from __future__ import annotations

from mooncart.db import execute, fetch_one, fetch_val
from tests.conftest import HTMX, log_in, post, soup, statements_run
from tests.factories import make_category, make_delivered_order, make_product, make_review, make_user

REVIEW = {"rating": "4", "title": "Pretty", "body": "Soft fabric, colour is exactly same as shown.", "fit": "small"}


async def test_a_shopper_who_did_not_receive_the_product_cannot_review_it(app, conn):
    product = await make_product(conn)
    user = await make_user(conn)
    await make_delivered_order(conn, user, product, status="shipped")  # on its way: not received yet
    client = app.test_client()
    await log_in(client, user)
    page = soup(await (await client.get(product["url"])).get_data())
    assert page.select_one("#review-form") is None
    assert "Once your order of it is delivered" in page.select_one("#reviews").get_text()
    response = await post(client, f"/products/{product['slug']}/reviews", form=REVIEW)
    assert response.status_code == 403
    assert "Only shoppers who have received this product" in soup(await response.get_data()).get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM reviews WHERE product_id = %s", (product["id"],)) == 0


async def test_a_verified_buyer_reviews_with_her_fit_and_the_page_says_verified(app, conn):
    product = await make_product(conn)
    user = await make_user(conn, name="Kavya Nair")
    await make_delivered_order(conn, user, product)
    client = app.test_client()
    await log_in(client, user)
    assert soup(await (await client.get(product["url"])).get_data()).select_one("#review-form") is not None
    response = await post(client, f"/products/{product['slug']}/reviews", form=REVIEW)
    assert response.status_code == 303
    row = await fetch_one(conn, "SELECT rating, fit, verified FROM reviews WHERE product_id = %s", (product["id"],))
    assert row == {"rating": 4, "fit": "small", "verified": 1}
    page = soup(await (await client.get(product["url"])).get_data())
    review = page.select_one("#review-list .review")
    assert "Verified buyer" in review.get_text() and "Fit: Runs small" in review.get_text()
    summary = page.select_one("#rating-summary").get_text()
    assert "4.0" in summary and "1 review" in summary
    # a second post replaces the first
    await post(client, f"/products/{product['slug']}/reviews", form=dict(REVIEW, rating="5", fit="none"))
    assert await fetch_one(
        conn,
        "SELECT COUNT(*) AS n, MAX(rating) AS r, MAX(fit) AS f FROM reviews WHERE product_id = %s",
        (product["id"],),
    ) == {"n": 1, "r": 5, "f": None}


async def test_a_bad_fit_answer_is_refused_with_the_form_and_nothing_is_stored(app, conn):
    product = await make_product(conn)
    user = await make_user(conn)
    await make_delivered_order(conn, user, product)
    client = app.test_client()
    await log_in(client, user)
    response = await post(client, f"/products/{product['slug']}/reviews", form=dict(REVIEW, fit="enormous"))
    assert response.status_code == 422
    assert "Choose how it fitted" in soup(await response.get_data()).get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM reviews WHERE product_id = %s", (product["id"],)) == 0


async def test_rating_summary_histogram_and_fit_advice(app, conn):
    product = await make_product(conn)
    for rating, fit in [(5, "small"), (4, "small"), (4, "small"), (2, "true"), (5, None)]:
        await make_review(conn, await make_user(conn), product, rating=rating, fit=fit)
    page = soup(await (await app.test_client().get(product["url"])).get_data())
    summary = page.select_one("#rating-summary")
    assert "4.0" in summary.get_text() and "5 reviews" in summary.get_text()
    counts = {row.th.get_text(strip=True): int(row.select_one("meter")["value"]) for row in summary.select("tr")}
    assert counts == {"5 ★": 2, "4 ★": 2, "3 ★": 0, "2 ★": 1, "1 ★": 0}
    assert page.select_one("#fit-advice").strong.get_text() == "Most buyers say: runs small, consider a size up"


async def test_reviews_sort_by_helpful_and_filter_by_stars_as_a_fragment(app, conn):
    product = await make_product(conn)
    low = await make_review(conn, await make_user(conn), product, rating=2, body="Colour faded after one wash.")
    high = await make_review(conn, await make_user(conn), product, rating=5, body="Soft fabric and lovely work.")
    await execute(conn, "UPDATE reviews SET helpful_count = 7 WHERE id = %s", (low,))
    client = app.test_client()
    response = await client.get(f"/products/{product['slug']}/reviews?sort=helpful", headers=HTMX)
    fragment = soup(await response.get_data())
    assert fragment.find("html") is None and fragment.select_one("#review-list") is not None
    assert [a["id"] for a in fragment.select(".review")] == [f"review-{low}", f"review-{high}"]
    only_five = soup(await (await client.get(f"/products/{product['slug']}/reviews?stars=5")).get_data())
    assert only_five.find("html") is not None
    assert [a["id"] for a in only_five.select(".review")] == [f"review-{high}"]
    odd = await client.get(f"/products/{product['slug']}/reviews?sort=drop+table&stars=9&page=-1")
    assert odd.status_code == 200


async def test_helpful_votes_count_once_per_shopper_and_never_for_one_s_own(app, conn):
    product = await make_product(conn)
    author = await make_user(conn)
    review_id = await make_review(conn, author, product)
    voter = app.test_client()
    await log_in(voter, await make_user(conn))
    for _ in range(2):
        response = await post(voter, f"/reviews/{review_id}/helpful", headers=HTMX)
        assert response.status_code == 200
    region = soup(await response.get_data())
    assert region.select_one(f"#helpful-{review_id}") is not None and "1 found this helpful" in region.get_text()
    own = app.test_client()
    await log_in(own, author)
    assert (await post(own, f"/reviews/{review_id}/helpful")).status_code == 303
    assert await fetch_val(conn, "SELECT helpful_count FROM reviews WHERE id = %s", (review_id,)) == 1
    assert (await post(voter, "/reviews/4294967295/helpful")).status_code == 404


async def test_staff_hide_a_review_with_a_reason_and_it_leaves_the_shop(app, conn):
    product = await make_product(conn)
    review_id = await make_review(
        conn, await make_user(conn), product, rating=1, body="Rude words about the seller here."
    )
    await make_review(conn, await make_user(conn), product, rating=5)
    staff = app.test_client()
    await log_in(staff, await make_user(conn, is_staff=True))
    refused = await post(staff, f"/admin/reviews/{review_id}/hide", form={"reason": ""})
    assert refused.status_code == 303
    assert await fetch_val(conn, "SELECT hidden_at FROM reviews WHERE id = %s", (review_id,)) is None
    hidden = await post(staff, f"/admin/reviews/{review_id}/hide", form={"reason": "Abusive language"})
    assert hidden.status_code == 303
    page = soup(await (await app.test_client().get(product["url"])).get_data())
    assert page.select_one(f"#review-{review_id}") is None
    summary = page.select_one("#rating-summary").get_text()
    assert "5.0" in summary and "1 review" in summary
    assert (
        await fetch_val(conn, "SELECT review_count FROM product_review_scores WHERE product_id = %s", (product["id"],))
        == 1
    )
    office = soup(await (await staff.get("/admin/reviews?show=hidden")).get_data())
    row = office.select_one(f"#review-{review_id}")
    assert "Abusive language" in row.get_text()
    await post(staff, f"/admin/reviews/{review_id}/show")
    page = soup(await (await app.test_client().get(product["url"])).get_data())
    assert page.select_one(f"#review-{review_id}") is not None


async def test_a_product_page_costs_the_same_statements_with_many_reviews_and_recommendations(app, conn):
    """Reviews, phrases and recommendation rows are read by a fixed number of statements."""
    bare = await make_product(conn)
    busy = await make_product(conn)
    others = [await make_product(conn) for _ in range(6)]
    for n in range(12):
        await make_review(conn, await make_user(conn), busy, rating=1 + n % 5, fit="small")
    for position, other in enumerate(others):
        for kind in ("similar", "bought_together", "viewed_together"):
            await execute(
                conn,
                "INSERT INTO product_recommendations (product_id, kind, position, recommended_id, "
                "score) "
                "VALUES (%s, %s, %s, %s, 0.5)",
                (busy["id"], kind, position, other["id"]),
            )
        await execute(
            conn,
            "INSERT INTO product_phrases (product_id, polarity, position, phrase, mentions) "
            "VALUES (%s, 'positive', %s, %s, 3)",
            (busy["id"], position, f"soft fabric {position}"),
        )
    costs = {}
    for name, product in (("bare", bare), ("busy", busy)):
        client = app.test_client()  # a visitor each: a second product would show the first as recently viewed
        await client.get(product["url"])  # the first request of a client sets cookies up
        before = await statements_run(conn)
        response = await client.get(product["url"])
        costs[name] = await statements_run(conn) - before - 1
        assert response.status_code == 200
    page = soup(await (await client.get(busy["url"])).get_data())
    assert len(page.select("#recommend-similar .product-card")) == 6
    assert page.select_one("#recommend-bought-together") and page.select_one("#recommend-viewed-together")
    assert costs["bare"] == costs["busy"], costs
    print(f"\nproduct page: {costs['busy']} statements")


async def test_product_cards_show_the_average_rating_and_count_and_nothing_when_unreviewed(app, conn):
    category = await make_category(conn)
    reviewed = await make_product(conn, category=category, name="Reviewed kurti")
    quiet = await make_product(conn, category=category, name="Quiet kurti")
    for rating in (5, 4, 4):
        await make_review(conn, await make_user(conn), reviewed, rating=rating)
    page = soup(await (await app.test_client().get(f"/c/{category['slug']}")).get_data())
    cards = {card.get_text(" ", strip=True): card for card in page.select(".product-card")}
    card = next(c for text, c in cards.items() if "Reviewed kurti" in text)
    rating = card.select_one(".card-rating")
    assert rating.get_text(" ", strip=True) == "★ 4.3 (3)"
    assert rating["aria-label"] == "Rated 4.3 out of 5 by 3 buyers"
    other = next(c for text, c in cards.items() if "Quiet kurti" in text)
    assert other.select_one(".card-rating") is None
    assert quiet["id"] != reviewed["id"]
