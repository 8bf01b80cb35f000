"""Timed holds over HTTP (issue 14.1): opening checkout holds the bag, others see the units as
taken, the hold shows its end and counts down, placing the order turns it into the sale, and
leaving (a line removed, the bag emptied, log-out) lets go. A hold past its time counts nowhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mooncart.db import execute, fetch_all, fetch_one, fetch_val
from mooncart.holds import holding
from tests.conftest import HTMX, log_in, post, soup, statements_run
from tests.factories import add, make_product, make_user, shopper_with_bag, stock_of

IST = timedelta(hours=5, minutes=30)


async def live_holds(conn, variant_id: int) -> dict[int, int]:
    rows = await fetch_all(
        conn,
        "SELECT user_id, quantity FROM stock_holds WHERE variant_id = %s AND expires_at > UTC_TIMESTAMP(6)",
        (variant_id,),
    )
    return {row["user_id"]: row["quantity"] for row in rows}


async def lapse(conn, user_id: int) -> None:
    """Her holds end now (as if their minutes had passed)."""
    await execute(
        conn,
        "UPDATE stock_holds SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE user_id = %s",
        (user_id,),
    )


async def test_opening_checkout_holds_the_bag_for_the_configured_minutes(app, conn):
    client, user, variants, _ = await shopper_with_bag(app, conn, 2, 1)
    row = await fetch_one(
        conn,
        "SELECT SUM(quantity) AS units, MIN(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), expires_at)) AS seconds "
        "FROM stock_holds WHERE user_id = %s AND kind = 'checkout'",
        (user["id"],),
    )
    assert int(row["units"]) == 3
    assert 9 * 60 - 5 <= row["seconds"] <= 10 * 60  # MOONCART_HOLD_MINUTES defaults to 10
    assert await live_holds(conn, variants[0]["id"]) == {user["id"]: 2}


async def test_reopening_checkout_renews_the_hold_and_her_own_hold_never_counts_against_her(app, conn):
    client, user, variants, _ = await shopper_with_bag(app, conn, 10, stock=10)  # every unit is hers
    await execute(
        conn,
        "UPDATE stock_holds SET expires_at = UTC_TIMESTAMP(6) + INTERVAL 1 MINUTE WHERE user_id = %s",
        (user["id"],),
    )
    page = soup(await (await client.get("/checkout")).get_data())
    assert page.find(class_="notice error") is None  # all ten are still hers
    seconds = await fetch_val(
        conn,
        "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), expires_at) FROM stock_holds WHERE user_id = %s",
        (user["id"],),
    )
    assert seconds > 9 * 60
    assert await live_holds(conn, variants[0]["id"]) == {user["id"]: 10}


async def test_held_units_count_as_taken_on_the_product_page_and_when_adding_to_the_bag(app, conn):
    _, holder, variants, _ = await shopper_with_bag(app, conn, 9, stock=10)
    product_url = await fetch_val(
        conn,
        "SELECT CONCAT('/products/', p.slug) FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id = %s",
        (variants[0]["id"],),
    )
    other = app.test_client()
    page = soup(await (await other.get(product_url)).get_data())
    assert page.find(id=f"stock-{variants[0]['id']}").get_text(strip=True) == "Only 1 left"
    refused = await add(other, variants[0]["id"], 2)
    assert refused.status_code == 422 and "Only 1 left" in soup(await refused.get_data()).get_text()
    assert (await add(other, variants[0]["id"], 1)).status_code == 200
    # a hold past its time counts nowhere, even before anything tidies it away
    await lapse(conn, holder["id"])
    page = soup(await (await other.get(product_url)).get_data())
    assert page.find(id=f"stock-{variants[0]['id']}").get_text(" ", strip=True).startswith("In stock")


async def test_bag_line_and_checkout_show_held_until_in_india_time_with_a_countdown(app, conn):
    client, user, variants, _ = await shopper_with_bag(app, conn, 1)
    for url, region in (("/bag", f"bag-line-{variants[0]['id']}"), ("/checkout", "checkout-hold")):
        page = soup(await (await client.get(url)).get_data())  # (reopening checkout renews the hold)
        expires = await fetch_val(conn, "SELECT expires_at FROM stock_holds WHERE user_id = %s", (user["id"],))
        wall_clock = (expires + IST).strftime("%H:%M")
        note = page.find(id=region).find(class_="held-note")
        assert note.get_text(" ", strip=True) == f"Held for you until {wall_clock}"
        time = note.find("time")
        assert time["datetime"] == expires.replace(microsecond=0).isoformat() + "Z"
        assert time["data-hold-ends"] == time["datetime"] and note.find(attrs={"data-hold-left": True}) is not None
        scripts = [s.get("src", "") for s in page.find_all("script")]
        assert any("js/countdown.js" in src for src in scripts)
        assert all(s.get("nonce") for s in page.find_all("script"))  # CSP: no inline script, each one nonce'd


async def test_placing_the_order_turns_the_hold_into_the_sale(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 2, stock=2)  # both units held by her
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 303
    assert await stock_of(conn, variants[0]["id"]) == 0
    assert await fetch_val(conn, "SELECT COUNT(*) FROM stock_holds WHERE user_id = %s", (user["id"],)) == 0


async def test_an_order_cannot_take_units_another_shopper_holds(app, conn):
    client, user, variants, form = await shopper_with_bag(app, conn, 1, stock=2)
    other = await make_user(conn)
    await holding.hold_bag(conn, other["id"], {variants[0]["id"]: 2}, 10)  # she is short: her unit is held
    assert await live_holds(conn, variants[0]["id"]) == {user["id"]: 1, other["id"]: 1}
    # the first shopper's hold lapses and the other takes its unit
    await lapse(conn, user["id"])
    await holding.hold_bag(conn, other["id"], {variants[0]["id"]: 2}, 10)
    response = await post(client, "/checkout", form=form)
    assert response.status_code == 422
    page = soup(await response.get_data())
    message = page.find(class_="notice error").get_text(" ", strip=True)
    assert "Test Chikankari Kurti" in message and "(Mustard, S): sold out" in message
    assert await stock_of(conn, variants[0]["id"]) == 2
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 0


async def test_a_lapsed_hold_whose_units_went_to_someone_else_names_each_line_and_what_is_left(app, conn):
    product = await make_product(conn, name="Lapsed Anarkali", variants=[("S", "Indigo", 3), ("M", "Indigo", 5)])
    small, medium = product["variants"]
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    await add(client, small["id"], 2, htmx=False)
    await add(client, medium["id"], 1, htmx=False)
    await client.get("/checkout")
    await lapse(conn, user["id"])
    rival = await make_user(conn)
    await holding.hold_bag(conn, rival["id"], {small["id"]: 2}, 10)  # one S left for her, the M untouched
    page = soup(await (await client.get("/checkout")).get_data())
    message = page.find(class_="notice error").get_text(" ", strip=True)
    assert "Lapsed Anarkali (Indigo, S): only 1 left, you asked for 2" in message
    assert "(Indigo, M)" not in message
    assert "Only 1 left" in page.find(id=f"checkout-line-{small['id']}").get_text()
    assert "left" not in page.find(id=f"checkout-line-{medium['id']}").get_text()
    # what was left is held for her meanwhile, and never more than the stock
    assert await live_holds(conn, small["id"]) == {rival["id"]: 2, user["id"]: 1}


async def test_removing_a_line_releases_its_hold_and_shrinking_it_shrinks_the_hold(app, conn):
    client, user, variants, _ = await shopper_with_bag(app, conn, 3, 1)
    response = await post(client, f"/bag/items/{variants[0]['id']}", form={"quantity": "1"}, headers=HTMX)
    assert response.status_code == 200
    assert await live_holds(conn, variants[0]["id"]) == {user["id"]: 1}
    await post(client, f"/bag/items/{variants[1]['id']}/remove", headers=HTMX)
    assert await live_holds(conn, variants[1]["id"]) == {}
    await post(client, f"/bag/items/{variants[0]['id']}/remove")  # the bag is empty now
    assert await fetch_val(conn, "SELECT COUNT(*) FROM stock_holds WHERE user_id = %s", (user["id"],)) == 0


async def test_logging_out_releases_the_checkout_hold_but_not_a_waitlist_hold(app, conn):
    client, user, variants, _ = await shopper_with_bag(app, conn, 1)
    waited = (await make_product(conn, stock=1))["variants"][0]
    await execute(
        conn,
        "INSERT INTO stock_holds (user_id, variant_id, quantity, kind, expires_at) "
        "VALUES (%s, %s, 1, 'waitlist', UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)",
        (user["id"], waited["id"]),
    )
    assert (await post(client, "/account/logout")).status_code == 303
    rows = await fetch_all(conn, "SELECT variant_id, kind FROM stock_holds WHERE user_id = %s", (user["id"],))
    assert rows == [{"variant_id": waited["id"], "kind": "waitlist"}]


async def test_opening_checkout_costs_its_statements(app, conn, capsys):
    client, user, variants, _ = await shopper_with_bag(app, conn, 1, 1, 1)
    before = await statements_run(conn)
    response = await client.get("/checkout")
    used = await statements_run(conn) - before - 1
    assert response.status_code == 200
    print(f"opening checkout with a 3-line bag took {used} SQL statements")
    # 9 before holds; the hold adds six: its transaction's two ends (SAVEPOINTs here, BEGIN and
    # COMMIT when serving), the lock, others' holds with the database's clock, the upsert and
    # letting go of lines gone from the bag (the page's bag read is reused, not repeated)
    # and since issue 13 the PIN check of the chosen address for the cash-on-delivery note, and
    # the wishlist's ids for the page's hearts (every page of a signed-in shopper)
    assert used <= 17


def test_shop_time_is_india_time():
    utc = datetime(2026, 11, 28, 9, 2, 30)
    assert holding.held_until_text(utc) == "14:32"
    assert holding.held_until_day_text(utc) == "14:32 on 28 Nov"
    assert holding.iso_utc(utc) == "2026-11-28T09:02:30Z"
    assert holding.seconds_left(utc, datetime(2026, 11, 28, 9, 0, 30, tzinfo=UTC)) == 120
