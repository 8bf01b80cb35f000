"""Recommendations: never the product itself, never sold out, never twice; co-purchase needs its
minimum support; a product page reads them in one statement and drops what sold out since; and
on shoppers with tastes, personal picks beat popularity."""

from __future__ import annotations

from mooncart.db import execute, fetch_all, fetch_val
from mooncart.demo import seed_demo, seed_orders
from mooncart.recommendations import queries
from mooncart.recommendations.build import Catalogue, co_occurrence, content_neighbours
from mooncart.recommendations.jobs import build_recommendations
from tests.conftest import log_in, soup
from tests.factories import make_category, make_delivered_order, make_product, make_user


def catalogue_of(rows):
    return Catalogue.from_rows(
        [
            dict(
                dict(
                    id=i,
                    name=f"Teal Cotton Kurti {i}",
                    description="A kurti.",
                    fabric="Cotton",
                    category_id=1,
                    category_name="Kurtis",
                    from_price_paise=99900,
                    colours="Teal",
                    in_stock=True,
                ),
                **row,
            )
            for i, row in rows
        ]
    )


def test_content_neighbours_are_never_the_product_itself_nor_sold_out():
    catalogue = catalogue_of(
        [
            (1, {}),
            (2, {}),
            (3, {"in_stock": False}),
            (4, {"name": "Black Leather Juttis", "category_id": 2, "colours": "Black"}),
        ]
    )
    found = content_neighbours(catalogue)
    assert [p for p, _ in found[1]][:1] == [2]
    for product_id, neighbours in found.items():
        ids = [p for p, _ in neighbours]
        assert product_id not in ids and 3 not in ids and len(ids) == len(set(ids))


def test_co_purchase_needs_its_minimum_support():
    catalogue = catalogue_of([(1, {}), (2, {}), (3, {}), (4, {"in_stock": False})])
    together = co_occurrence([{1, 2}, {1, 2, 4}, {1, 4}, {1, 3}], catalogue, min_support=2)
    assert [p for p, _ in together[1]] == [2]  # 3 only once; 4 twice but sold out
    assert 4 not in together.get(2, []) and all(p != 1 for p, _ in together.get(1, []))


async def test_built_rows_skip_self_sold_out_and_duplicates_and_pages_drop_what_sold_out_since(conn):
    category = await make_category(conn)
    products = [await make_product(conn, category=category, name=f"Teal Chikankari Kurti {n}") for n in range(5)]
    sold_out = await make_product(conn, category=category, name="Teal Chikankari Kurti sold out", stock=0)
    for _ in range(3):  # bought together three times: products 0 and 1, and 0 with the sold-out one
        user = await make_user(conn)
        order = await make_delivered_order(conn, user, products[0])
        for other in (products[1], sold_out):
            await execute(
                conn,
                "INSERT INTO order_items (order_id, variant_id, product_name, size_label, colour_name, "
                "sku, unit_price_paise, quantity) VALUES (%s, %s, 'x', 'M', 'Rani Pink', 'x', 1, 1)",
                (order, other["variants"][0]["id"]),
            )
    summary = await build_recommendations(conn)
    assert summary["bought_together"] >= 2
    rows = await fetch_all(conn, "SELECT product_id, kind, recommended_id FROM product_recommendations")
    assert rows
    assert all(r["product_id"] != r["recommended_id"] for r in rows)
    assert all(r["recommended_id"] != sold_out["id"] for r in rows)
    assert len({(r["product_id"], r["kind"], r["recommended_id"]) for r in rows}) == len(rows)
    together = await queries.select_for_product(conn, {"id": products[0]["id"], "category_id": category["id"]})
    assert [p["id"] for p in together["bought_together"]] == [products[1]["id"]]
    # sold out after the build: no longer shown
    await execute(conn, "UPDATE variants SET stock = 0 WHERE product_id = %s", (products[1]["id"],))
    rows_now = await queries.select_for_product(conn, {"id": products[0]["id"], "category_id": category["id"]})
    assert all(p["id"] != products[1]["id"] for kind in rows_now.values() for p in kind)


async def test_personal_picks_beat_popularity_on_shoppers_with_tastes_and_show_after_log_in(app, conn):
    await seed_demo(conn, products=150, seed=3, quiet=True)
    made = await seed_orders(conn, 600, seed=5, quiet=True)
    assert made["orders"] == 600 and made["reviews"] > 100 and made["events"] > 1000
    summary = await build_recommendations(conn, with_evaluation=True)
    result = summary["evaluation"]
    print(
        f"\nhit-rate@10: personal {result['personal']['hit_rate']:.3f}, popularity "
        f"{result['popularity']['hit_rate']:.3f}; "
        f"NDCG@10: {result['personal']['ndcg']:.3f} vs {result['popularity']['ndcg']:.3f} ({result['users']} "
        f"shoppers)"
    )
    assert result["users"] >= 50
    assert result["personal"]["hit_rate"] > result["popularity"]["hit_rate"]
    assert result["personal"]["ndcg"] > result["popularity"]["ndcg"]
    # the shopper with the most picks sees them on the home page after log-in, and not before
    user_id = await fetch_val(
        conn, "SELECT user_id FROM user_recommendations GROUP BY user_id ORDER BY COUNT(*) DESC LIMIT 1"
    )
    email = await fetch_val(conn, "SELECT email FROM users WHERE id = %s", (user_id,))
    client = app.test_client()
    assert soup(await (await client.get("/")).get_data()).select_one("#personal-picks") is None
    from mooncart.demo import DEMO_SHOPPER_PASSWORD

    await log_in(client, {"email": email, "password": DEMO_SHOPPER_PASSWORD})
    picks = soup(await (await client.get("/")).get_data()).select("#personal-picks .product-card")
    assert 1 <= len(picks) <= 8
    bought = {
        r["product_id"]
        for r in await fetch_all(
            conn,
            "SELECT v.product_id FROM orders o JOIN order_items i ON i.order_id = o.id JOIN variants v ON v.id = "
            "i.variant_id "
            "WHERE o.user_id = %s",
            (user_id,),
        )
    }
    picked = {
        r["product_id"]
        for r in await fetch_all(conn, "SELECT product_id FROM user_recommendations WHERE user_id = %s", (user_id,))
    }
    assert not bought & picked
