"""Vouchers: the rules (percentage or flat, cap, minimum order, dates, total and per-shopper
limits, categories), GST after the discount, the voucher box on the bag and at checkout (htmx
fragments and plain forms), the use counted with the order, and staff's back-office pages."""

from __future__ import annotations

from datetime import datetime

import pytest

from mooncart.checkout import vouchers
from mooncart.checkout.pricing import discounted_line_gst, gst_in_value, order_totals, prorate
from mooncart.db import execute, fetch_one, fetch_val, in_list
from tests.conftest import HTMX, log_in, post, soup
from tests.factories import make_category, make_product, make_user, make_voucher, shopper_with_bag


def text(body) -> str:
    return " ".join(soup(body).get_text(" ").split())


# ---- the rule for GST after a discount -------------------------------------------------------------


def test_a_discount_is_shared_in_proportion_and_adds_up_to_the_paisa():
    assert prorate(100, [1, 1, 1]) == [34, 33, 33]
    assert prorate(15_000, [149_900, 0, 49_900]) == [11_254, 0, 3_746]
    assert sum(prorate(9_999, [12_345, 67_890, 1])) == 9_999
    assert prorate(0, [5, 5]) == [0, 0] and prorate(5, [0, 0]) == [0, 0]


def test_gst_is_worked_out_on_the_discounted_value_and_its_slab_on_the_price_a_piece_is_sold_at():
    # a ₹1,050 kurti is taxed at 12%; sold at ₹945 with 10% off it is taxed at 5%, on ₹945
    assert discounted_line_gst(105_000, 1, 0) == gst_in_value(105_000, 12)
    assert discounted_line_gst(105_000, 1, 10_500) == gst_in_value(94_500, 5) == 4_500
    # two pieces: the slab is judged per piece (₹2,100 for two is ₹1,050 each: 12%)
    assert discounted_line_gst(105_000, 2, 4_000) == gst_in_value(206_000, 12)
    totals = order_totals(
        [{"price_paise": 105_000, "quantity": 1}, {"price_paise": 50_000, "quantity": 1}],
        prorate(15_500, [105_000, 50_000]),
    )
    assert totals.discount_paise == 15_500 and totals.goods_paise == 139_500
    assert totals.gst_paise == discounted_line_gst(105_000, 1, 10_500) + discounted_line_gst(50_000, 1, 5_000)


def test_free_delivery_is_judged_on_the_goods_after_the_discount():
    lines = [{"price_paise": 100_000, "quantity": 1}]
    assert order_totals(lines).shipping_paise == 0
    after = order_totals(lines, [10_000])
    assert after.shipping_paise == 7_900 and after.total_paise == 100_000 - 10_000 + 7_900


# ---- the rules -------------------------------------------------------------------------------------


class Line:
    def __init__(self, variant_id, price_paise, quantity=1):
        self.variant_id, self.price_paise, self.quantity = variant_id, price_paise, quantity


def voucher(**overrides) -> vouchers.Voucher:
    fields = dict(
        id=1,
        code="SAVE",
        description="",
        kind="percent",
        amount=10,
        max_discount_paise=None,
        min_order_paise=0,
        starts_at=None,
        expires_at=datetime(2030, 1, 1),
        usage_limit=None,
        per_shopper_limit=1,
        used=0,
        active=True,
        not_started=False,
        expired=False,
        category_ids=frozenset(),
    )
    fields.update(overrides)
    return vouchers.Voucher(**fields)


def test_a_percentage_is_rounded_down_to_the_paisa_and_capped():
    lines = [Line(1, 99_999)]
    assert vouchers.discount_shares(voucher(), lines, {}) == ([9_999], None)
    assert vouchers.discount_shares(voucher(max_discount_paise=5_000), lines, {}) == ([5_000], None)


def test_a_flat_amount_never_takes_off_more_than_the_covered_goods():
    assert vouchers.discount_shares(voucher(kind="flat", amount=50_000), [Line(1, 30_000)], {}) == ([30_000], None)


def test_categories_limit_the_lines_covered_and_the_minimum_counts_only_those():
    kurti, saree = Line(1, 80_000), Line(2, 200_000)
    categories = {1: {10, 1}, 2: {20, 2}}  # each line's category and its parent
    limited = voucher(category_ids=frozenset({1}), min_order_paise=100_000)  # the parent of the kurti's category
    shares, problem = vouchers.discount_shares(limited, [kurti, saree], categories)
    assert shares == [0, 0] and "add ₹200 more" in problem
    shares, problem = vouchers.discount_shares(voucher(category_ids=frozenset({10})), [kurti, saree], categories)
    assert (shares, problem) == ([8_000, 0], None)
    shares, problem = vouchers.discount_shares(voucher(category_ids=frozenset({99})), [kurti], categories, ["Sarees"])
    assert shares == [0] and "is for Sarees only" in problem


@pytest.mark.parametrize(
    "overrides, shopper_uses, reason",
    [
        ({"active": False}, 0, "no longer available"),
        ({"not_started": True, "starts_at": datetime(2030, 1, 1)}, 0, "can be used from 01 Jan 2030"),
        ({"expired": True, "expires_at": datetime(2020, 1, 1)}, 0, "expired on 01 Jan 2020"),
        ({"usage_limit": 100, "used": 100}, 0, "fully used"),
        ({"per_shopper_limit": 2}, 2, "already used the code SAVE (2 times per shopper)"),
        ({"per_shopper_limit": None}, 50, None),
    ],
)
def test_a_voucher_that_cannot_be_used_says_why(overrides, shopper_uses, reason):
    problem = vouchers.unusable_because(voucher(**overrides), shopper_uses)
    assert problem == reason if reason is None else reason in problem


# ---- the bag's voucher box ------------------------------------------------------------------------


async def bag_of(client, conn, price_paise=149_900, quantity=1, category=None):
    product = await make_product(conn, price_paise=price_paise, category=category, stock=10)
    response = await post(
        client, "/bag/add", form={"variant_id": str(product["variants"][0]["id"]), "quantity": str(quantity)}
    )
    assert response.status_code == 303
    return product


async def test_a_code_applied_over_htmx_answers_with_the_voucher_box_alone(client, conn):
    await make_voucher(conn, "DIWALI10", description="Festive sale")
    await bag_of(client, conn, 149_900)
    response = await post(client, "/bag/voucher", form={"code": " diwali10 "}, headers=HTMX)
    assert response.status_code == 200
    html = soup(await response.get_data())
    assert html.find("html") is None and html.find("section")["id"] == "bag-voucher"
    assert "DIWALI10 applied: 10% off. You save ₹149.90." in text(await response.get_data())
    assert html.find(class_="discount").get_text() == "−₹149.90"
    page = soup(await (await client.get("/bag")).get_data())
    assert page.select_one("#bag-voucher .voucher-code").get_text() == "DIWALI10"


async def test_a_code_that_gives_nothing_is_a_422_with_the_reason_and_changes_nothing(client, conn):
    await make_voucher(conn, "BIG500", kind="flat", amount=50_000, min_order_paise=300_000)
    await bag_of(client, conn, 149_900)
    for code, reason in [
        ("NOPE123", "We don't know the code NOPE123"),
        ("BIG500", "add ₹1,501 more"),
        ("x' OR 1=1 --", "Voucher codes are 3 to 32 letters"),
        ("", "Please type a voucher code"),
    ]:
        response = await post(client, "/bag/voucher", form={"code": code}, headers=HTMX)
        assert response.status_code == 422, code
        body = await response.get_data()
        assert reason in text(body) and soup(body).find("input", attrs={"name": "code"})["aria-invalid"] == "true"
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_vouchers") == 0


async def test_without_javascript_applying_is_a_303_and_a_refusal_is_the_bag_page(client, conn):
    await make_voucher(conn, "FLAT200", kind="flat", amount=20_000)
    await bag_of(client, conn, 149_900)
    refused = await post(client, "/bag/voucher", form={"code": "WRONG1"})
    assert refused.status_code == 422
    page = soup(await refused.get_data())
    assert page.find("h1").get_text() == "Your bag" and "We don't know the code WRONG1" in page.get_text()
    applied = await post(client, "/bag/voucher", form={"code": "flat200"})
    assert applied.status_code == 303 and applied.headers["Location"] == "/bag"
    page = text(await (await client.get("/bag")).get_data())
    assert "FLAT200 applied: ₹200 off. You save ₹200." in page and "−₹200" in page and "₹1,299" in page
    removed = await post(client, "/bag/voucher/remove")
    assert removed.status_code == 303
    assert "Voucher removed." in text(await (await client.get("/bag")).get_data())
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_vouchers") == 0


async def test_changing_a_line_updates_the_voucher_box_too(client, conn):
    await make_voucher(conn, "TEN", kind="percent", amount=10)
    product = await bag_of(client, conn, 100_000)
    await post(client, "/bag/voucher", form={"code": "TEN"})
    response = await post(client, f"/bag/items/{product['variants'][0]['id']}", form={"quantity": "3"}, headers=HTMX)
    partials = {p["hx-target"]: p for p in soup(await response.get_data()).find_all("hx-partial")}
    assert partials["#bag-voucher"].find(class_="discount").get_text() == "−₹300"


async def test_an_empty_bag_cannot_take_a_code(client, conn):
    await make_voucher(conn, "TEN")
    response = await post(client, "/bag/voucher", form={"code": "TEN"}, headers=HTMX)
    assert response.status_code == 422 and "Add something to your bag first" in text(await response.get_data())


# ---- checkout and the order ----------------------------------------------------------------------


async def test_checkout_shows_the_discount_and_the_gst_after_it_and_the_order_keeps_both(app, conn):
    voucher_id = await make_voucher(conn, "KURTI15", amount=15, usage_limit=100)
    client, user, variants, form = await shopper_with_bag(app, conn, 2, price_paise=105_000)
    response = await post(client, "/checkout/voucher", form={"code": "KURTI15"}, headers=HTMX)
    assert response.status_code == 200
    reply = soup(await response.get_data())
    assert reply.find("section")["id"] == "checkout-voucher"
    totals = reply.find("hx-partial", attrs={"hx-target": "#checkout-totals"})
    assert totals.find(class_="discount").get_text() == "−₹315"  # 15% of ₹2,100
    page = soup(await (await client.get("/checkout")).get_data())
    shown = {
        dt.get_text(): dd.get_text()
        for dt, dd in zip(page.select("#checkout-totals dt"), page.select("#checkout-totals dd"))
    }
    # ₹1,785 for two: ₹892.50 a piece, so 5% GST on ₹1,785 (it was 12% on ₹2,100)
    assert shown == {
        "Items": "₹2,100",
        "Voucher KURTI15": "−₹315",
        "Delivery": "Free",
        "To pay": "₹1,785",
        "Includes GST": "₹85",
    }
    form["confirmation"] = page.find("input", attrs={"name": "confirmation"})["value"]
    placed = await post(client, "/checkout", form=form)
    assert placed.status_code == 303
    order = await fetch_one(
        conn,
        "SELECT id, subtotal_paise, discount_paise, shipping_paise, gst_paise FROM orders WHERE user_id = %s",
        (user["id"],),
    )
    assert (order["subtotal_paise"], order["discount_paise"], order["gst_paise"]) == (210_000, 31_500, 8_500)
    assert await fetch_val(conn, "SELECT used FROM vouchers WHERE id = %s", (voucher_id,)) == 1
    redemption = await fetch_one(
        conn, "SELECT user_id, discount_paise FROM voucher_redemptions WHERE order_id = %s", (order["id"],)
    )
    assert redemption == {"user_id": user["id"], "discount_paise": 31_500}
    assert await fetch_val(conn, "SELECT COUNT(*) FROM cart_vouchers") == 0, "the voucher left the bag with the order"
    order_page = text(await (await client.get(placed.headers["Location"])).get_data())
    assert "Voucher discount −₹315" in order_page and "Total ₹1,785" in order_page
    listing = text(await (await client.get("/orders")).get_data())
    assert "₹1,785" in listing


async def test_a_shopper_cannot_use_a_once_per_shopper_code_twice(app, conn):
    await make_voucher(conn, "WELCOME", kind="flat", amount=10_000, per_shopper_limit=1)
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    await post(client, "/checkout/voucher", form={"code": "WELCOME"})
    page = soup(await (await client.get("/checkout")).get_data())
    form["confirmation"] = page.find("input", attrs={"name": "confirmation"})["value"]
    assert (await post(client, "/checkout", form=form)).status_code == 303
    await post(client, "/bag/add", form={"variant_id": str(variants[0]["id"]), "quantity": "1"})
    again = await post(client, "/checkout/voucher", form={"code": "WELCOME"})
    assert again.status_code == 422
    assert "You have already used the code WELCOME (once per shopper)" in text(await again.get_data())


async def test_a_code_used_up_after_the_page_was_shown_places_nothing(app, conn):
    """The limit is checked again, atomically, inside the order's transaction."""
    voucher_id = await make_voucher(conn, "LAST1", kind="flat", amount=10_000, usage_limit=1)
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    await post(client, "/checkout/voucher", form={"code": "LAST1"})
    page = soup(await (await client.get("/checkout")).get_data())
    form["confirmation"] = page.find("input", attrs={"name": "confirmation"})["value"]
    # someone else takes the last use, bypassing the page (as a concurrent checkout would)
    await execute(conn, "UPDATE vouchers SET used = 1 WHERE id = %s", (voucher_id,))
    # the page was right when shown; the total it shows is now wrong, which the confirmation catches
    response = await post(client, "/checkout", form=form, headers=HTMX)
    assert response.status_code == 422
    assert "no longer takes anything off" in text(await response.get_data())
    assert await fetch_val(conn, "SELECT COUNT(*) FROM orders WHERE user_id = %s", (user["id"],)) == 0
    assert await fetch_val(conn, "SELECT used FROM vouchers WHERE id = %s", (voucher_id,)) == 1


async def test_the_claim_itself_refuses_a_use_over_the_limit(app, conn):
    """claim_use is the atomic check: a priced bag that still carries the discount (as a checkout
    that read the voucher just before another took its last use) is refused and counts nothing."""
    voucher_id = await make_voucher(conn, "RACE", kind="flat", amount=10_000, usage_limit=1)
    user = await make_user(conn)
    row = await fetch_one(
        conn,
        "SELECT v.id, v.code, v.description, v.kind, v.amount, v.max_discount_paise, "
        "v.min_order_paise, v.starts_at, v.expires_at, v.usage_limit, v.per_shopper_limit, "
        "v.used, v.active, 0 AS not_started, 0 AS expired, NULL AS category_ids "
        "FROM vouchers v WHERE id = %s",
        (voucher_id,),
    )
    priced = vouchers.Priced(
        order_totals([{"price_paise": 50_000, "quantity": 1}], [10_000]), vouchers.Voucher.from_row(row), (10_000,)
    )
    assert await vouchers.claim_use(conn, priced, user["id"]) is None
    assert "has just been fully used" in await vouchers.claim_use(conn, priced, user["id"])
    assert await fetch_val(conn, "SELECT used FROM vouchers WHERE id = %s", (voucher_id,)) == 1


async def test_the_claim_counts_the_shoppers_own_uses_under_the_lock(app, conn):
    """A second order by the same shopper (say, priced in another tab before her first was placed)
    is refused when the use is claimed, and the claim's count is given back with the rollback."""
    voucher_id = await make_voucher(conn, "ONCE", kind="flat", amount=10_000, per_shopper_limit=1)
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    await post(client, "/checkout/voucher", form={"code": "ONCE"})
    page = soup(await (await client.get("/checkout")).get_data())
    form["confirmation"] = page.find("input", attrs={"name": "confirmation"})["value"]
    assert (await post(client, "/checkout", form=form)).status_code == 303
    row = await fetch_one(
        conn,
        "SELECT v.id, v.code, v.description, v.kind, v.amount, v.max_discount_paise, "
        "v.min_order_paise, v.starts_at, v.expires_at, v.usage_limit, v.per_shopper_limit, "
        "v.used, v.active, 0 AS not_started, 0 AS expired, NULL AS category_ids "
        "FROM vouchers v WHERE id = %s",
        (voucher_id,),
    )
    priced = vouchers.Priced(
        order_totals([{"price_paise": 49_900, "quantity": 1}], [10_000]), vouchers.Voucher.from_row(row), (10_000,)
    )
    problem = await vouchers.claim_use(conn, priced, user["id"])
    assert "You have already used the code ONCE" in problem


async def test_a_released_order_gives_its_use_back(app, conn):
    voucher_id = await make_voucher(conn, "BACK", kind="flat", amount=10_000, usage_limit=5)
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    await post(client, "/checkout/voucher", form={"code": "BACK"})
    page = soup(await (await client.get("/checkout")).get_data())
    form["confirmation"] = page.find("input", attrs={"name": "confirmation"})["value"]
    await post(client, "/checkout", form=form)
    order_id = await fetch_val(conn, "SELECT id FROM orders WHERE user_id = %s", (user["id"],))
    assert await fetch_val(conn, "SELECT used FROM vouchers WHERE id = %s", (voucher_id,)) == 1
    assert await vouchers.release_use(conn, order_id) is True
    assert await fetch_val(conn, "SELECT used FROM vouchers WHERE id = %s", (voucher_id,)) == 0
    assert await vouchers.release_use(conn, order_id) is False


async def test_checkout_without_javascript_applies_and_refuses_codes(app, conn):
    await make_voucher(conn, "PLAIN50", kind="flat", amount=5_000)
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    refused = await post(client, "/checkout/voucher", form={"code": "NOSUCH"})
    assert refused.status_code == 422 and "We don't know the code NOSUCH" in text(await refused.get_data())
    assert soup(await refused.get_data()).find("h1").get_text() == "Checkout"
    applied = await post(client, "/checkout/voucher", form={"code": "PLAIN50"})
    assert applied.status_code == 303 and applied.headers["Location"] == "/checkout"
    assert "−₹50" in text(await (await client.get("/checkout")).get_data())
    removed = await post(client, "/checkout/voucher/remove", headers=HTMX)
    assert removed.status_code == 200 and "Voucher removed." in text(await removed.get_data())


async def test_a_category_voucher_covers_subcategories_of_its_category(app, conn):
    parent = await make_category(conn, "Ethnic wear")
    child = await make_category(conn, "Kurtis", parent_id=parent["id"])
    await make_voucher(conn, "ETHNIC20", amount=20, categories=[parent["id"]])
    client = app.test_client()
    await bag_of(client, conn, 100_000, category=child)
    await bag_of(client, conn, 50_000)  # another category: not covered
    response = await post(client, "/bag/voucher", form={"code": "ETHNIC20"}, headers=HTMX)
    assert response.status_code == 200 and "You save ₹200." in text(await response.get_data())
    other = app.test_client()
    await bag_of(other, conn, 50_000)
    refused = await post(other, "/bag/voucher", form={"code": "ETHNIC20"}, headers=HTMX)
    assert refused.status_code == 422 and "is for Ethnic wear only" in text(await refused.get_data())


# ---- the back office ---------------------------------------------------------------------------------


async def staff_client(app, conn):
    staff = await make_user(conn, is_staff=True)
    client = app.test_client()
    await log_in(client, staff)
    return client


VALID = {
    "code": "monsoon25",
    "description": "Monsoon sale",
    "kind": "percent",
    "amount": "25",
    "max_discount": "500",
    "min_order": "999",
    "starts_at": "",
    "expires_at": "2031-06-30T23:59",
    "usage_limit": "100",
    "per_shopper_limit": "1",
    "active": "1",
}


async def test_staff_create_list_and_edit_vouchers(app, conn):
    category = await make_category(conn, "Sarees")
    client = await staff_client(app, conn)
    assert (await client.get("/admin/vouchers/new")).status_code == 200
    created = await post(client, "/admin/vouchers/new", form={**VALID, "category_ids": str(category["id"])})
    assert created.status_code == 303
    row = await fetch_one(
        conn,
        "SELECT id, code, kind, amount, max_discount_paise, min_order_paise, usage_limit, "
        "per_shopper_limit, active, expires_at FROM vouchers WHERE code = 'MONSOON25'",
    )
    assert (row["kind"], row["amount"], row["max_discount_paise"], row["min_order_paise"]) == (
        "percent",
        25,
        50_000,
        99_900,
    )
    # entered in India time (UTC+5:30), kept in UTC
    assert row["expires_at"] == datetime(2031, 6, 30, 18, 29)
    assert (
        await fetch_val(conn, "SELECT category_id FROM voucher_categories WHERE voucher_id = %s", (row["id"],))
        == category["id"]
    )
    listing = text(await (await client.get("/admin/vouchers")).get_data())
    assert "MONSOON25" in listing and "25% off (up to ₹500)" in listing and "0 of 100" in listing
    form = soup(await (await client.get(f"/admin/vouchers/{row['id']}")).get_data())
    assert form.find("input", attrs={"name": "expires_at"})["value"] == "2031-06-30T23:59"
    edited = await post(
        client, f"/admin/vouchers/{row['id']}", form={**VALID, "kind": "flat", "amount": "150", "active": ""}
    )
    assert edited.status_code == 303
    assert await fetch_one(conn, "SELECT kind, amount, active FROM vouchers WHERE id = %s", (row["id"],)) == {
        "kind": "flat",
        "amount": 15_000,
        "active": 0,
    }
    assert await fetch_val(conn, "SELECT COUNT(*) FROM voucher_categories WHERE voucher_id = %s", (row["id"],)) == 0


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"code": "x"}, "code", "3 to 32 letters"),
        ({"amount": "101"}, "amount", "from 1 to 100"),
        ({"kind": "flat", "amount": "abc"}, "amount", "in rupees"),
        ({"kind": "bogus"}, "kind", "percentage or a flat amount"),
        ({"starts_at": "2031-07-01T00:00"}, "expires_at", "after it starts"),
        ({"expires_at": "not a date"}, "expires_at", "a date and time"),
        ({"usage_limit": "-1"}, "usage_limit", "whole number"),
        ({"category_ids": "999999999"}, "category_ids", "Choose categories"),
    ],
)
async def test_a_wrong_voucher_form_is_a_422_that_says_which_field(app, conn, change, field, message):
    client = await staff_client(app, conn)
    response = await post(client, "/admin/vouchers/new", form={**VALID, **change})
    assert response.status_code == 422
    page = soup(await response.get_data())
    assert message in page.find(id=f"f-{field}-error").get_text()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM vouchers") == 0


async def test_a_code_that_exists_or_a_limit_below_the_uses_is_refused(app, conn):
    voucher_id = await make_voucher(conn, "TAKEN", usage_limit=10, used=5)
    client = await staff_client(app, conn)
    response = await post(client, "/admin/vouchers/new", form={**VALID, "code": "taken"})
    assert response.status_code == 422 and "already a voucher" in text(await response.get_data())
    response = await post(client, f"/admin/vouchers/{voucher_id}", form={**VALID, "code": "TAKEN", "usage_limit": "4"})
    assert response.status_code == 422 and "already been used 5 times" in text(await response.get_data())
    assert (await client.get("/admin/vouchers/4294967295")).status_code == 404


async def test_shoppers_cannot_open_the_voucher_pages(app, conn):
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    assert (await client.get("/admin/vouchers")).status_code == 403
    assert (await post(client, "/admin/vouchers/new", form=VALID)).status_code == 403
    placeholders, params = in_list(["MONSOON25"])
    assert await fetch_val(conn, "SELECT COUNT(*) FROM vouchers WHERE code IN (" + placeholders + ")", params) == 0


async def test_guessing_codes_is_rate_limited(database, conn):
    from mooncart import create_app
    from tests.conftest import database_url

    app = create_app(
        {
            "SECRET_KEY": "t",
            "DATABASE_URL": database_url(database),
            "DB_CONNECTION": conn,
            "VOUCHER_CODES_PER_HOUR": 3,
            "REFERENCE_CACHE_SECONDS": 0,
        }
    )
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await bag_of(client, conn)
        statuses = [
            (await post(client, "/bag/voucher", form={"code": f"GUESS{i}"}, headers=HTMX)).status_code for i in range(4)
        ]
        assert statuses == [422, 422, 422, 429]


async def test_the_voucher_boxes_show_that_they_are_working_and_are_not_sent_twice(app, conn):
    """On a slow phone connection "Apply" and "Remove voucher" gave no sign of working (no
    spinner, the button still live): each voucher form disables its button while it is sent and
    shows the spinner the other htmx buttons show."""
    client, user, variants, form = await shopper_with_bag(app, conn, 1)
    await make_voucher(conn, code="WORKING10")
    for page, box in (("/bag", "#bag-voucher"), ("/checkout", "#checkout-voucher")):
        for step in ("apply", "remove"):
            html = soup(await (await client.get(page)).get_data())
            voucher_form = html.select_one(f"{box} form")
            assert voucher_form.get("hx-disable") == "find button", (page, step)
            assert voucher_form.select_one("button[type=submit] .htmx-indicator.spinner") is not None, (page, step)
            if step == "apply":
                await post(client, f"{page}/voucher", form={"code": "WORKING10"})
        await post(client, f"{page}/voucher/remove")
