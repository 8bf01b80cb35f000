"""The size waitlist (issue 14.2): "Notify me when my size is back" on a sold-out size, joining
twice changes nothing, a guest logs in and comes back; a staff restock serves the waiters in join
order in its own transaction (a hold on one unit each, a notification, an e-mail in the outbox);
a waitlist hold nobody claims passes to the next in line; staff see how many wait."""

from __future__ import annotations

from mooncart.db import execute, fetch_all, fetch_val
from mooncart.holds import waitlist
from tests.conftest import HTMX, csrf, log_in, post, soup
from tests.factories import make_product, make_user


async def sold_out_product(conn):
    product = await make_product(conn, name="Waitlist Kurti", variants=[("M", "Teal", 0), ("L", "Teal", 4)])
    return product, product["variants"][0]


async def signed_in(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    return client, user


async def restock(app, conn, *args, **kwargs):
    """A staff restock as the back office makes it (it renders the e-mail: an app context)."""
    async with app.app.app_context():
        return await waitlist.restock(conn, *args, **kwargs)


async def tidy(app, conn):
    async with app.app.app_context():
        return await waitlist.tidy(conn, hours=12)


async def waiting(conn, variant_id: int) -> list[int]:
    rows = await fetch_all(
        conn,
        "SELECT user_id FROM waitlist_entries WHERE variant_id = %s AND served_at IS NULL ORDER BY id",
        (variant_id,),
    )
    return [row["user_id"] for row in rows]


async def test_a_sold_out_size_offers_notify_me_and_an_in_stock_one_does_not(app, client, conn):
    product, medium = await sold_out_product(conn)
    page = soup(await (await client.get(product["url"])).get_data())
    region = page.find(id="waitlist")
    forms = region.find_all("form")
    assert [f["action"] for f in forms] == [f"/waitlist/{medium['id']}"]
    assert forms[0].find("button").get_text(" ", strip=True).startswith("Notify me when my size is back")
    assert forms[0].find("input", attrs={"name": "csrf_token"}) is not None


async def test_notify_me_shows_that_it_is_working_and_is_not_sent_twice(app, client, conn):
    """On a slow phone connection "Notify me" gave no sign that the tap was taken: like "Add to
    bag", it disables itself while it is sent and shows the spinner."""
    product, medium = await sold_out_product(conn)
    form = soup(await (await client.get(product["url"])).get_data()).find(id="waitlist").find("form")
    assert form.get("hx-disable") == "find button"
    assert form.select_one("button[type=submit] .htmx-indicator.spinner") is not None


async def test_joining_puts_her_on_the_list_and_twice_changes_nothing(app, conn):
    product, medium = await sold_out_product(conn)
    client, user = await signed_in(app, conn)
    response = await post(client, f"/waitlist/{medium['id']}", headers=HTMX)
    assert response.status_code == 200
    reply = await response.get_data(as_text=True)
    assert "You're on the list" in soup(reply).get_text() and "<html" not in reply
    joined_at = await fetch_val(conn, "SELECT joined_at FROM waitlist_entries WHERE user_id = %s", (user["id"],))
    response = await post(client, f"/waitlist/{medium['id']}")  # without JavaScript: back to the product
    assert response.status_code == 303 and response.headers["Location"].startswith(product["url"])
    page = soup(await (await client.get(response.headers["Location"])).get_data())
    assert "You're already on the list" in page.get_text()
    assert await waiting(conn, medium["id"]) == [user["id"]]
    assert (
        await fetch_val(conn, "SELECT joined_at FROM waitlist_entries WHERE user_id = %s", (user["id"],)) == joined_at
    )


async def test_a_guest_is_sent_to_log_in_and_comes_back_to_the_product(app, client, conn):
    product, medium = await sold_out_product(conn)
    await client.get(product["url"])
    response = await client.post(
        f"/waitlist/{medium['id']}",
        form={"csrf_token": await csrf(client)},
        headers={"Referer": f"http://localhost{product['url']}"},
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/account/login") and "next=" in location
    user = await make_user(conn)
    login = await post(client, location, form={"email": user["email"], "password": user["password"]})
    assert login.headers["Location"] == product["url"]
    client._csrf = None  # the token rotates at log-in
    assert (await post(client, f"/waitlist/{medium['id']}", headers=HTMX)).status_code == 200
    assert await waiting(conn, medium["id"]) == [user["id"]]


async def test_joining_without_the_csrf_token_is_refused_and_changes_nothing(app, conn):
    _, medium = await sold_out_product(conn)
    client, user = await signed_in(app, conn)
    await csrf(client)
    response = await client.post(f"/waitlist/{medium['id']}", form={})
    assert response.status_code in (400, 403)
    assert await waiting(conn, medium["id"]) == []


async def test_joining_an_in_stock_size_or_a_missing_one_says_so(app, conn):
    product, _ = await sold_out_product(conn)
    client, user = await signed_in(app, conn)
    response = await post(client, f"/waitlist/{product['variants'][1]['id']}", headers=HTMX)
    assert "in stock now" in soup(await response.get_data()).get_text()
    assert (await post(client, "/waitlist/999999999")).status_code == 404
    assert await fetch_val(conn, "SELECT COUNT(*) FROM waitlist_entries WHERE user_id = %s", (user["id"],)) == 0


async def test_a_restock_serves_waiters_in_join_order_with_a_hold_a_notification_and_an_email(app, conn):
    product, medium = await sold_out_product(conn)
    first, second, third = [await make_user(conn) for _ in range(3)]
    for user in (first, second, third):
        assert (await waitlist.join(conn, medium["id"], user["id"]))[0] == "joined"
    restocked = await restock(app, conn, medium["id"], 2, "received", hours=12)
    assert [s.user_id for s in restocked.served] == [first["id"], second["id"]]
    holds = await fetch_all(
        conn,
        "SELECT user_id, quantity, kind, TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(6), expires_at) AS minutes "
        "FROM stock_holds WHERE variant_id = %s ORDER BY user_id",
        (medium["id"],),
    )
    assert [(h["user_id"], h["quantity"], h["kind"]) for h in holds] == [
        (first["id"], 1, "waitlist"),
        (second["id"], 1, "waitlist"),
    ]
    assert all(12 * 60 - 2 <= h["minutes"] <= 12 * 60 for h in holds)  # MOONCART_WAITLIST_HOLD_HOURS
    assert await waiting(conn, medium["id"]) == [third["id"]]
    note = await fetch_val(conn, "SELECT message FROM notifications WHERE user_id = %s", (first["id"],))
    assert note.startswith("Your size M is back and held for you until ") and "Waitlist Kurti (Teal)" in note
    mail = await fetch_all(
        conn,
        "SELECT to_address, subject, body_text, body_html FROM outbox_messages WHERE to_address IN (%s, %s, %s)",
        (first["email"], second["email"], third["email"]),
    )
    assert sorted(m["to_address"] for m in mail) == sorted([first["email"], second["email"]])
    assert all(
        "Your size M is back" in m["subject"] and note.split(":")[0] in m["body_text"]
        for m in mail
        if m["to_address"] == first["email"]
    )
    assert all(m["body_html"].startswith("<!doctype html>") for m in mail)


async def test_the_served_shopper_finds_her_size_held_in_her_bag_and_account_and_can_buy_it(app, conn):
    product, medium = await sold_out_product(conn)
    client, user = await signed_in(app, conn)
    await post(client, f"/waitlist/{medium['id']}", headers=HTMX)
    await restock(app, conn, medium["id"], 1, "received", hours=12)
    bag = soup(await (await client.get("/bag")).get_data())
    text = bag.find(id=f"waitlist-hold-{medium['id']}").get_text(" ", strip=True)
    assert text.startswith("Your size M is back and held for you until ")
    account = soup(await (await client.get("/account/holds")).get_data())
    assert "Your size M is back and held for you until" in account.find(id="notifications").get_text()
    # the held unit is taken for everyone else, and hers to add
    other = app.test_client()
    page = soup(await (await other.get(product["url"])).get_data())
    assert page.find(id=f"stock-{medium['id']}").get_text(strip=True) == "Sold out"
    response = await post(client, "/bag/add", form={"variant_id": str(medium["id"]), "quantity": "1"})
    assert response.status_code == 303


async def test_an_unclaimed_waitlist_hold_passes_to_the_next_in_line(app, conn):
    _, medium = await sold_out_product(conn)
    first, second = await make_user(conn), await make_user(conn)
    for user in (first, second):
        await waitlist.join(conn, medium["id"], user["id"])
    await restock(app, conn, medium["id"], 1, "received", hours=12)
    await execute(
        conn,
        "UPDATE stock_holds SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE user_id = %s",
        (first["id"],),
    )
    changed = await tidy(app, conn)
    assert medium["id"] in changed
    rows = await fetch_all(conn, "SELECT user_id FROM stock_holds WHERE variant_id = %s", (medium["id"],))
    assert [row["user_id"] for row in rows] == [second["id"]]
    assert await waiting(conn, medium["id"]) == []


async def test_staff_cannot_take_away_units_shoppers_hold(app, conn):
    _, medium = await sold_out_product(conn)
    user = await make_user(conn)
    await waitlist.join(conn, medium["id"], user["id"])
    await restock(app, conn, medium["id"], 1, "received", hours=12)
    try:
        await restock(app, conn, medium["id"], -1, "damaged", hours=12)
    except Exception as error:  # InsufficientStock: the one unit is held
        assert getattr(error, "left", None) == {medium["id"]: 0}
    else:
        raise AssertionError("a held unit was taken away")
    assert await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (medium["id"],)) == 1


async def test_staff_see_each_variants_waitlist_length_and_restock_through_the_back_office(app, conn):
    product, medium = await sold_out_product(conn)
    staff_user = await make_user(conn, is_staff=True)
    staff = app.test_client()
    await log_in(staff, staff_user)
    for _ in range(3):
        await waitlist.join(conn, medium["id"], (await make_user(conn))["id"])
    page = soup(await (await staff.get(f"/admin/products/{product['id']}")).get_data())
    assert page.find(id=f"variant-{medium['id']}").find(class_="waitlist-count").get_text() == "3 waiting"
    low = soup(await (await staff.get("/admin/stock/low")).get_data())
    row = next(tr for tr in low.find_all("tr") if "Waitlist Kurti" in tr.get_text())
    assert row.find_all("td")[-1].get_text() == "3"
    response = await post(
        staff,
        f"/admin/variants/{medium['id']}/stock",
        form={"change": "2", "reason": "received", "note": ""},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "2 waiting shopper(s) now have one held for them" in await response.get_data(as_text=True)
    assert len(await waiting(conn, medium["id"])) == 1
