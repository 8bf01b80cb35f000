"""analyse-reviews against the database: new and changed reviews are read, the rest are not;
readings, product phrases and scores land in MySQL; hidden reviews count for nothing."""

from __future__ import annotations

import json

import pytest

from mooncart.db import execute, fetch_all, fetch_one, fetch_val
from mooncart.insights.analysis import Analyser
from mooncart.insights.jobs import analyse_reviews
from mooncart.reviews.queries import set_hidden
from tests.conftest import soup
from tests.factories import make_product, make_review, make_user


@pytest.fixture(scope="module")
def analyser():
    from mooncart.insights import minilm

    return Analyser(minilm.load())


async def test_new_and_changed_reviews_are_analysed_and_the_rest_left_alone(conn, analyser):
    product = await make_product(conn)
    texts = [
        "Soft fabric, lovely embroidery. Fitting is too tight, order a size up.",
        "Soft fabric and neat stitching. Runs small, had to return for a size up.",
        "The colour faded after the first wash. Bit tight at the chest, size up.",
        "Soft fabric, worth every penny. Fits perfectly.",
    ]
    ids = [
        await make_review(conn, await make_user(conn), product, rating=r, body=t) for r, t in zip((5, 4, 2, 5), texts)
    ]
    await execute(conn, "DELETE FROM review_analysis")
    first = await analyse_reviews(conn, analyser)
    assert first["reviews"] >= 4
    reading = await fetch_one(
        conn, "SELECT sentiment, vader, fit_signal, phrases FROM review_analysis WHERE review_id = %s", (ids[1],)
    )
    assert reading["fit_signal"] == "small" and -1 <= reading["sentiment"] <= 1
    assert json.loads(reading["phrases"])
    assert (await analyse_reviews(conn, analyser))["reviews"] == 0  # nothing new
    await execute(
        conn,
        "UPDATE reviews SET body = 'Too loose around the waist, size down.', "
        "updated_at = CURRENT_TIMESTAMP(6) + INTERVAL 1 SECOND WHERE id = %s",
        (ids[3],),
    )
    again = await analyse_reviews(conn, analyser)
    assert again["reviews"] == 1
    assert await fetch_val(conn, "SELECT fit_signal FROM review_analysis WHERE review_id = %s", (ids[3],)) == "large"
    phrases = await fetch_all(
        conn, "SELECT polarity, phrase, mentions FROM product_phrases WHERE product_id = %s", (product["id"],)
    )
    assert any(p["polarity"] == "positive" and "soft" in p["phrase"] and p["mentions"] >= 2 for p in phrases), phrases
    score = await fetch_one(
        conn, "SELECT review_count, loved_score FROM product_review_scores WHERE product_id = %s", (product["id"],)
    )
    assert score["review_count"] == 4 and 1 <= score["loved_score"] <= 5


async def test_the_product_page_shows_phrases_and_fit_read_from_the_words(app, conn, analyser):
    product = await make_product(conn)
    for body in (
        "Soft fabric. Fitting is too tight.",
        "Soft fabric, really. Had to return for a size up.",
        "Lovely soft fabric. Runs small, size up.",
    ):
        await make_review(conn, await make_user(conn), product, rating=4, body=body)  # no fit answered
    await analyse_reviews(conn, analyser)
    page = soup(await (await app.test_client().get(product["url"])).get_data())
    assert "runs small" in page.select_one("#fit-advice").get_text()
    assert "soft fabric" in page.select_one("#key-phrases .positive").get_text()


async def test_a_hidden_review_leaves_the_product_summary(conn, analyser):
    product = await make_product(conn)
    kept = await make_review(conn, await make_user(conn), product, rating=5, body="Soft fabric and neat stitching.")
    hidden = await make_review(
        conn, await make_user(conn), product, rating=1, body="Awful, colour faded after one wash."
    )
    staff = await make_user(conn, is_staff=True)
    await set_hidden(conn, hidden, staff["id"], "Not about the product")
    await analyse_reviews(conn, analyser)
    assert (
        await fetch_val(conn, "SELECT review_count FROM product_review_scores WHERE product_id = %s", (product["id"],))
        == 1
    )
    negative = await fetch_all(
        conn, "SELECT phrase FROM product_phrases WHERE product_id = %s AND polarity = 'negative'", (product["id"],)
    )
    assert negative == [] and kept
