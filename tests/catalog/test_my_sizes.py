"""My size everywhere (issue 13): a shopper sets her sizes once, in a cookie as a guest or on her
account; listings then show only products with one of her sizes in stock (unless she turns it
off) and every card says whether her size is there. A bad cookie is ignored, never a 500."""

from __future__ import annotations

from datetime import datetime

import pytest

from mooncart.catalog import queries
from mooncart.catalog.my_sizes import COOKIE_NAME, MySizes, cookie_value, parse_cookie
from mooncart.db import execute
from tests.conftest import HTMX, log_in, post, soup, statements_run
from tests.conftest import choose_sizes as choose
from tests.factories import make_category, make_product, make_user, size_id


async def shop(conn):
    """A category with one product in stock in M, one with M sold out but L in stock, one in XL."""
    category = await make_category(conn)
    in_m = await make_product(conn, category=category, name="Mirror Kurta", variants=[("M", "Rani Pink", 4)])
    only_l = await make_product(
        conn, category=category, name="Lotus Kurta", variants=[("M", "Rani Pink", 0), ("L", "Rani Pink", 2)]
    )
    in_xl = await make_product(conn, category=category, name="Xenia Kurta", variants=[("XL", "Rani Pink", 7)])
    return category, in_m, only_l, in_xl


def cards(page) -> dict[str, str]:
    """Product name -> the card's "your size" line ('' when the card has none)."""
    found = {}
    for card in page.select(".product-card"):
        line = card.select_one(".my-size")
        found[card.select_one(".product-name").get_text()] = " ".join(line.get_text().split()) if line else ""
    return found


def bar(page) -> str:
    found = page.select_one(".my-sizes-bar")
    return " ".join(found.get_text().split()) if found else ""


async def listing(client, category, query: str = "", **kwargs):
    return soup(await (await client.get(f"/c/{category['slug']}{query}", **kwargs)).get_data())


async def test_a_guest_sets_her_sizes_and_listings_show_only_them_in_stock(client, conn):
    category, *_ = await shop(conn)
    assert set(cards(await listing(client, category))) == {"Mirror Kurta", "Lotus Kurta", "Xenia Kurta"}
    form = soup(await (await client.get(f"/my-sizes?next=/c/{category['slug']}")).get_data())
    assert form.select_one("input[name=next]")["value"] == f"/c/{category['slug']}"
    assert "Free size" not in form.get_text()

    response = await choose(client, "M", next_url=f"/c/{category['slug']}")
    assert response.status_code == 303 and response.headers["Location"] == f"/c/{category['slug']}"
    assert any(c.startswith(COOKIE_NAME + "=1.") for c in response.headers.getlist("Set-Cookie"))

    page = await listing(client, category)
    assert cards(page) == {"Mirror Kurta": "Your size M: in stock"}  # Lotus's M is sold out
    assert bar(page) == "Showing your sizes in stock: M · show all · change"
    assert page.select_one("#facets input[name=size][value=M]").has_attr("checked") is False


async def test_show_all_turns_it_off_and_cards_still_say_whether_her_size_is_there(client, conn):
    category, *_ = await shop(conn)
    await choose(client, "M", "L")
    page = await listing(client, category)
    assert cards(page) == {"Mirror Kurta": "Your size M: in stock", "Lotus Kurta": "Your size L: in stock"}

    response = await post(client, "/my-sizes/showing", form={"only_mine": "0", "next": f"/c/{category['slug']}"})
    assert response.status_code == 303
    page = await listing(client, category)
    assert cards(page) == {
        "Mirror Kurta": "Your size M: in stock",
        "Lotus Kurta": "Your size L: in stock",
        "Xenia Kurta": "Not in your size",
    }
    assert bar(page) == "Showing all sizes · show only your sizes (M, L)"
    await post(client, "/my-sizes/showing", form={"only_mine": "1"})
    assert set(cards(await listing(client, category))) == {"Mirror Kurta", "Lotus Kurta"}


async def test_sizes_she_ticks_in_the_filters_win_over_her_sizes(client, conn):
    category, *_ = await shop(conn)
    await choose(client, "M")
    page = await listing(client, category, "?size=XL")
    assert cards(page) == {"Xenia Kurta": "Not in your size"}
    assert bar(page) == ""
    # the size facet counts what ticking each size would show (M whatever its stock: two products)
    page = await listing(client, category)
    label = page.select_one("#facets input[name=size][value=M]").find_parent("label")
    assert "(2 products)" in " ".join(label.get_text().split())


async def test_the_filter_reply_over_htmx_keeps_her_sizes(client, conn):
    category, *_ = await shop(conn)
    await choose(client, "L")
    reply = await listing(client, category, "?colour=Rani+Pink", headers=HTMX)
    assert cards(reply) == {"Lotus Kurta": "Your size L: in stock"}
    assert bar(reply).startswith("Showing your sizes in stock: L")


async def test_a_signed_in_shopper_keeps_her_sizes_on_her_account(app, conn):
    category, *_ = await shop(conn)
    user = await make_user(conn)
    phone = app.test_client()
    await log_in(phone, user)
    await choose(phone, "XL")
    saved = await queries.select_my_sizes(conn, user["id"])
    assert saved["size_ids"] == (await size_id(conn, "XL"),) and saved["only_mine"] is True
    laptop = app.test_client()  # another browser: no cookie, the account has them
    await log_in(laptop, user)
    assert cards(await listing(laptop, category)) == {"Xenia Kurta": "Your size XL: in stock"}
    account = soup(await (await laptop.get("/account")).get_data())
    assert account.find("a", string="My sizes")["href"] == "/my-sizes"


async def test_a_guest_who_signs_in_keeps_her_cookie_choice(app, conn):
    category, *_ = await shop(conn)
    user = await make_user(conn)
    client = app.test_client()
    await choose(client, "L")
    await log_in(client, user)
    saved = await queries.select_my_sizes(conn, user["id"])
    assert saved["size_ids"] == (await size_id(conn, "L"),)
    assert cards(await listing(client, category)) == {"Lotus Kurta": "Your size L: in stock"}


async def test_at_sign_in_an_account_choice_newer_than_the_cookie_is_kept(app, conn):
    user = await make_user(conn)
    await queries.replace_my_sizes(conn, user["id"], (await size_id(conn, "XL"),), True, datetime(2030, 1, 1))
    client = app.test_client()
    await choose(client, "S")  # chosen now: older than 2030
    await log_in(client, user)
    assert (await queries.select_my_sizes(conn, user["id"]))["size_ids"] == (await size_id(conn, "XL"),)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "M",
        "1.1764300000",
        "2.1764300000.3",
        "1.abc.3",
        "1.99999999999.3",
        "1.1764300000.3-",
        "1.1764300000.x-4",
        "1.1764300000.٣",
        "1.1764300000." + "-".join(["3"] * 100),
        "1.1764300000.65535",
        '"1.1764300000.3"',
        "1.-1.3",
    ],
)
async def test_a_bad_cookie_is_ignored_never_a_500(client, conn, raw):
    category, *_ = await shop(conn)
    client.set_cookie("localhost", COOKIE_NAME, raw)
    response = await client.get(f"/c/{category['slug']}")
    assert response.status_code == 200
    page = soup(await response.get_data())
    assert len(cards(page)) == 3 and bar(page) == ""
    assert (await client.get("/my-sizes")).status_code == 200


def test_the_cookie_reads_back_what_was_written_and_drops_sizes_we_do_not_sell():
    mine = MySizes((3, 4), False, datetime(2026, 11, 28, 12, 0, 0))
    assert parse_cookie(cookie_value(mine), {3, 4, 5}) == mine
    assert parse_cookie(cookie_value(mine), {4}) == MySizes((4,), False, datetime(2026, 11, 28, 12, 0, 0))


async def test_an_unknown_size_is_refused_and_nothing_is_saved(client, conn):
    response = await choose(client, "M", "Huge")
    assert response.status_code == 422
    page = soup(await response.get_data())
    assert "nothing was saved" in page.select_one("[role=alert]").get_text()
    assert page.select_one("input[name=size][value=M]").has_attr("checked")
    assert not any(COOKIE_NAME in c for c in response.headers.getlist("Set-Cookie"))
    bad = await post(client, "/my-sizes/showing", form={"only_mine": "maybe", "next": "https://evil.example/"})
    assert bad.status_code == 303 and bad.headers["Location"] == "/my-sizes"


async def test_a_listing_with_her_sizes_costs_one_statement_more_than_without(app, client, conn):
    category, *_ = await shop(conn)
    app.app.config["REFERENCE_CACHE_SECONDS"] = 60  # as served: sizes and categories kept a while
    await listing(client, category)  # warm the reference data
    before = await statements_run(conn)
    await listing(client, category)
    without = await statements_run(conn) - before
    await choose(client, "M")
    before = await statements_run(conn)
    await listing(client, category)
    with_sizes = await statements_run(conn) - before
    assert with_sizes == without + 1  # the cards' "your size" look-up; the cookie costs nothing


async def test_her_sizes_leave_products_of_a_kind_she_set_none_of_showing_when_in_stock(client, conn):
    """She set M: a parent listing (kurtis beside sarees) still shows the Free-size sarees in stock,
    without a word about her size on their cards, and hides only what her M rules out."""
    parent = await make_category(conn, name="Test Ethnic")
    kurtis = await make_category(conn, parent_id=parent["id"])
    sarees = await make_category(conn, parent_id=parent["id"], name="Test Sarees")
    await execute(conn, "UPDATE categories SET size_group = 'free' WHERE id = %s", (sarees["id"],))
    await make_product(conn, category=kurtis, name="Mirror Kurta", variants=[("M", "Rani Pink", 4)])
    await make_product(conn, category=kurtis, name="Xenia Kurta", variants=[("XL", "Rani Pink", 7)])
    await make_product(conn, category=sarees, name="Banarasi Saree", variants=[("Free size", "Rani Pink", 3)])
    await make_product(conn, category=sarees, name="Gone Saree", variants=[("Free size", "Rani Pink", 0)])
    await choose(client, "M")

    page = await listing(client, parent)
    assert cards(page) == {"Mirror Kurta": "Your size M: in stock", "Banarasi Saree": ""}
    assert bar(page) == "Showing your sizes in stock: M · show all · change"
