"""The search page at the listing's level (issue 13): facets with counts over what the words match
(from the facet index, or in SQL while it builds), the discount filter, her sizes, and all of it
without JavaScript as with htmx.

Every count is held to a brute force: the products the words match ranked the slow way
(brute_force.py), each checked against the filters by the listing's own statement over the
whole shop."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

import pytest

from mooncart.catalog.facets import PRICE_BANDS
from mooncart.catalog.my_sizes import COOKIE_NAME, MySizes, cookie_value
from mooncart.catalog.queries import ListingFilters, select_listing
from mooncart.db import fetch_all
from tests.conftest import HTMX, log_in, soup
from tests.conftest import choose_sizes as choose
from tests.factories import make_searchable_products, make_user
from tests.search.brute_force import brute_force_ranking

WORD = "zardozi"  # a word of these products only
CATALOGUE = [
    dict(
        key="kurti",
        category="Kurtis",
        name="Zardozi Cotton Kurti",
        variants=[("M", "Red", 5), ("L", "Red", 0)],
        price_paise=89900,
        mrp_paise=179900,  # 50% off
    ),
    dict(
        key="kurta", category="Kurtis", name="Zardozi Silk Kurta", variants=[("M", "Rani Pink", 3)], price_paise=249900
    ),
    dict(
        key="dupatta",
        category="Dupattas",
        name="Zardozi Dupatta",
        variants=[("Free size", "Mustard", 4)],
        price_paise=39900,
        mrp_paise=59900,  # 33% off
    ),
    dict(
        key="lehenga",
        category="Lehengas",
        name="Zardozi Bridal Lehenga",
        variants=[("S", "Coral", 2), ("M", "Coral", 0)],
        price_paise=1299900,
        mrp_paise=1999900,  # 35% off
    ),
    dict(key="juttis", category="Footwear", name="Zardozi Juttis", variants=[("UK 5", "Gold", 3)], price_paise=129900),
    # words of its own: never among the matches, though it would pass every filter
    dict(key="plain", category="Kurtis", name="Plain Everyday Kurti", variants=[("M", "Red", 9)], price_paise=59900),
]


@pytest.fixture
async def catalogue(committed):
    connection, made = committed
    return await make_searchable_products(connection, made, CATALOGUE)


async def get_page(client, args: list[tuple[str, str]], headers=None):
    response = await client.get("/search", query_string=[("q", WORD), *args], headers=headers or {})
    assert response.status_code == 200, args
    return soup(await response.get_data())


def facet_counts(page) -> dict[str, dict[str, int]]:
    """{"size": {label: count}, "colour": {...}, "price": {band label: count}} from #facets."""
    found: dict[str, dict[str, int]] = {"size": {}, "colour": {}, "price": {}}
    facets = page.select_one("#facets")
    for box in facets.select("input[type=checkbox]"):
        count = re.search(r"\((\d+)", box.find_parent("label").get_text())
        found[box["name"]][box["value"]] = int(count.group(1))
    for band in facets.select(".price-bands li"):
        text = " ".join(band.get_text().split())
        label, count = re.fullmatch(r"(?:Remove )?(.*) \((\d+) products?\)", text).groups()
        found["price"][label] = int(count)
    return found


def shown_slugs(page) -> set[str]:
    return {a["href"].rsplit("/", 1)[1] for a in page.select("#search-grid .product-card > a")}


async def reference_ids(conn) -> tuple[dict[str, int], dict[str, int]]:
    sizes = {row["label"]: row["id"] for row in await fetch_all(conn, "SELECT id, label FROM sizes")}
    colours = {row["name"]: row["id"] for row in await fetch_all(conn, "SELECT id, name FROM colours")}
    return sizes, colours


class BruteForce:
    """What the search page should count: the words' matches (ranked the slow way) that the
    listing's own statement shows with the filters, over the whole shop."""

    def __init__(self, matched: set[int]):
        self.matched = matched

    @classmethod
    async def of(cls, conn, query: str) -> BruteForce:
        return cls({product_id for product_id, _ in await brute_force_ranking(conn, query)})

    async def shown(self, conn, filters: ListingFilters) -> int:
        rows = await select_listing(conn, None, filters, "new", None, 100_000)
        return len(self.matched & {int(row["id"]) for row in rows})

    async def facets(self, conn, filters: ListingFilters, sizes: dict, colours: dict) -> dict:
        """Disjunctive: each facet ignores its own choice and keeps every other."""
        return {
            "size": {label: await self.shown(conn, replace(filters, size_ids=(i,))) for label, i in sizes.items()},
            "colour": {name: await self.shown(conn, replace(filters, colour_ids=(i,))) for name, i in colours.items()},
            "price": {
                band.label: await self.shown(
                    conn, replace(filters, min_paise=band.paise()[0], max_paise=band.paise()[1])
                )
                for band in PRICE_BANDS
            },
        }


CHOICES = [
    [],
    [("size", "M")],
    [("size", "M"), ("size", "S")],
    [("colour", "Red")],
    [("size", "M"), ("in_stock", "1")],
    [("discount", "30")],
    [("max", "1000")],
    [("min", "1000"), ("colour", "Coral"), ("colour", "Gold")],
]


def filters_of(args, sizes, colours) -> ListingFilters:
    get = lambda name: [v for k, v in args if k == name]  # noqa: E731
    return ListingFilters(
        size_ids=tuple(sizes[v] for v in get("size")),
        colour_ids=tuple(colours[v] for v in get("colour")),
        min_paise=int(get("min")[0]) * 100 if get("min") else None,
        max_paise=int(get("max")[0]) * 100 if get("max") else None,
        in_stock_only=bool(get("in_stock")),
        min_discount=int(get("discount")[0]) if get("discount") else None,
    )


@pytest.mark.parametrize("facet_index", [True, False], ids=["facet index", "sql while it builds"])
async def test_the_search_pages_facet_counts_equal_a_brute_force_count_over_what_the_words_match(
    catalogue, app, conn, facet_index
):
    app.app.config["FACET_INDEX"] = facet_index
    client = app.test_client()
    sizes, colours = await reference_ids(conn)
    brute = await BruteForce.of(conn, WORD)
    assert {p["id"] for k, p in catalogue.items() if k != "plain"} <= brute.matched
    assert catalogue["plain"]["id"] not in brute.matched
    for args in CHOICES:
        page = await get_page(client, args)
        filters = filters_of(args, sizes, colours)
        shown = facet_counts(page)
        expected = await brute.facets(conn, filters, {s: sizes[s] for s in shown["size"]}, colours)
        assert shown["size"] == expected["size"], args
        assert shown["colour"] == {name: expected["colour"][name] for name in shown["colour"]}, args
        assert set(shown["colour"]) == set(colours)  # every colour, with nothing or not
        assert shown["price"] == expected["price"], args
        assert len(shown_slugs(page)) == await brute.shown(conn, filters), args


async def test_options_that_would_show_nothing_are_disabled_but_a_chosen_one_stays_enabled(catalogue, app):
    page = await get_page(app.test_client(), [("size", "M"), ("colour", "Gold")])
    facets = page.select_one("#facets")
    gold = facets.select_one("input[name=colour][value=Gold]")
    assert "checked" in gold.attrs and "disabled" not in gold.attrs  # 0 juttis in M, yet she can untick it
    assert "(0" in gold.find_parent("label").get_text()
    counts = facet_counts(page)
    for box in facets.select("input[type=checkbox]"):  # M too is chosen, and 0 in gold
        nothing = counts[box["name"]][box["value"]] == 0
        assert ("disabled" in box.attrs) == (nothing and "checked" not in box.attrs), box["value"]
    # a price band with nothing is not a link
    for band in facets.select(".price-bands li"):
        zero = "(0" in band.get_text()
        assert (band.select_one("a") is None) == zero
        assert (band.select_one("[aria-disabled=true]") is not None) == zero


async def test_the_htmx_filter_reply_carries_the_results_and_the_facets_to_morph(catalogue, app):
    client = app.test_client()
    response = await client.get("/search", query_string=[("q", WORD), ("size", "S")], headers=HTMX)
    assert response.status_code == 200 and "HX-Request" in response.headers.get("Vary", "")
    reply = soup(await response.get_data())
    assert reply.find("html") is None and reply.select_one("#search-results") is not None
    partial = reply.find("hx-partial")
    assert partial["hx-target"] == "#facets" and partial["hx-swap"] == "outerMorph"
    assert partial.select_one("#facets input[name=size][value=S]").has_attr("checked")
    assert shown_slugs(reply) == {catalogue["lehenga"]["slug"]}
    # the price bands swap search's own results region, and keep the words
    for link in partial.select(".price-bands a"):
        assert link["hx-target"] == "#search-results" and link["hx-indicator"] == "#search-results"
        assert f"q={WORD}" in link["href"] and "size=S" in link["href"]
    # "More" over htmx appends cards only: no facets
    more = await client.get("/search", query_string=[("q", WORD), ("sort", "new"), ("after", "1")], headers=HTMX)
    assert more.status_code == 200 and b'id="facets"' not in await more.get_data()


async def test_the_discount_filter_narrows_the_results_and_the_counts(catalogue, app, conn):
    client = app.test_client()
    page = await get_page(client, [("discount", "34")])  # not one of the choices: ignored, said so
    assert "We didn't recognise that discount" in page.get_text()
    page = await get_page(client, [("discount", "30")])
    keys = {p["slug"]: k for k, p in catalogue.items()}
    assert {keys[s] for s in shown_slugs(page) if s in keys} == {"kurti", "dupatta", "lehenga"}
    assert page.select_one("input[name=discount][value='30']").has_attr("checked")
    assert facet_counts(page)["colour"]["Gold"] == 0  # the juttis are at full price
    chip = page.select_one(".applied-filters a.chip-off")
    assert "30% and above" in chip.get_text() and chip["href"] == f"/search?q={WORD}"
    page = await get_page(client, [("discount", "40")])
    assert {keys[s] for s in shown_slugs(page) if s in keys} == {"kurti"}
    # through every order of search's own pages
    for sort in ("new", "price_asc", "price_desc", "discount", "popular", "loved"):
        page = await get_page(client, [("discount", "40"), ("sort", sort)])
        assert {keys[s] for s in shown_slugs(page) if s in keys} == {"kurti"}, sort


def note(card) -> str:
    """A card's word on her size ('' when it has none)."""
    line = card.select_one(".my-size")
    return line.get_text() if line else ""


async def test_her_sizes_narrow_search_unless_she_turns_them_off_and_cards_say_if_her_size_is_there(
    catalogue, app, conn
):
    sizes, _ = await reference_ids(conn)
    keys = {p["slug"]: k for k, p in catalogue.items()}
    client = app.test_client()
    client.set_cookie("localhost", COOKIE_NAME, cookie_value(MySizes((sizes["M"],), True, datetime(2026, 11, 1))))
    page = await get_page(client, [])
    # the lehenga's M is sold out; the dupatta (Free size) and the juttis (shoe sizes) are of kinds
    # she set no size of, so they show while in stock
    assert {keys[s] for s in shown_slugs(page) if s in keys} == {"kurti", "kurta", "dupatta", "juttis"}
    bar = " ".join(page.select_one(".my-sizes-bar").get_text().split())
    assert bar == "Showing your sizes in stock: M · show all · change"
    assert page.select_one(".my-sizes-bar input[name=next]")["value"] == f"/search?q={WORD}"
    notes = {card.select_one(".product-name").get_text(): note(card) for card in page.select(".product-card")}
    assert notes["Zardozi Cotton Kurti"] == "Your size M: in stock"
    assert "" in notes.values(), "a Free-size or shoe card says nothing of her apparel size"
    # the size facet counts without her sizes (ticking S shows S), the others with them
    counts = facet_counts(page)
    assert counts["size"]["S"] >= 1 and counts["colour"]["Coral"] == 0
    assert page.select_one("#facets .my-sizes-link a").get_text() == "Your sizes: M"
    # a size she ticks wins over hers
    ticked = await get_page(client, [("size", "S")])
    assert {keys[s] for s in shown_slugs(ticked) if s in keys} == {"lehenga"}
    assert ticked.select_one(".my-sizes-bar") is None
    # turned off: everything, each card saying whether her size is there
    client.set_cookie("localhost", COOKIE_NAME, cookie_value(MySizes((sizes["M"],), False, datetime(2026, 11, 1))))
    page = await get_page(client, [])
    assert {keys[s] for s in shown_slugs(page) if s in keys} == {"kurti", "kurta", "dupatta", "lehenga", "juttis"}
    assert "Showing all sizes" in page.select_one(".my-sizes-bar").get_text()
    notes = {card.select_one(".product-name").get_text(): note(card) for card in page.select(".product-card")}
    assert (
        notes["Zardozi Bridal Lehenga"] == "Not in your size" and notes["Zardozi Silk Kurta"] == "Your size M: in stock"
    )


async def test_the_switch_on_search_comes_back_to_the_search(catalogue, app, conn):
    sizes, _ = await reference_ids(conn)
    client = app.test_client()
    client.set_cookie("localhost", COOKIE_NAME, cookie_value(MySizes((sizes["M"],), True, datetime(2026, 11, 1))))
    page = await get_page(client, [])
    form = page.select_one(".my-sizes-bar")
    fields = {i["name"]: i.get("value", "") for i in form.select("input")}
    response = await client.post(form["action"], form=fields)
    assert response.status_code == 303 and response.headers["Location"] == f"/search?q={WORD}"
    page = await get_page(client, [])
    assert len({s for s in shown_slugs(page)} & {p["slug"] for p in catalogue.values()}) == 5


async def test_without_javascript_the_filters_are_a_plain_get_form_and_the_bands_plain_links(catalogue, app):
    page = await get_page(app.test_client(), [("colour", "Red")])
    form = page.select_one("form#filters")
    assert form["method"] == "get" and form["action"] == "/search"
    assert form.select_one("input[type=hidden][name=q]")["value"] == WORD
    assert form.select_one("#facets input[name=size][value=M]") is not None  # the facets are in the form
    assert {i["value"] for i in form.select("input[name=discount]")} == {"", "10", "20", "30", "40", "50", "60", "70"}
    bands = {a.get_text(" ", strip=True).split(" (")[0]: a["href"] for a in form.select(".price-bands a")}
    assert bands["₹500 to ₹999"] == f"/search?q={WORD}&colour=Red&min=500&max=999"
    # following a band's link as a browser without script does: the band is chosen, its link takes it off
    client = app.test_client()
    page = soup(await (await client.get(bands["₹500 to ₹999"])).get_data())
    chosen = page.select_one(".price-bands a[aria-current=true]")
    assert chosen["href"] == f"/search?q={WORD}&colour=Red"
    assert {a["href"].rsplit("/", 1)[1] for a in page.select("#search-grid .product-card > a")} == {
        catalogue["kurti"]["slug"]
    }


JUNK = [
    [("q", '+-*"()~<>@ AND OR')],  # FULLTEXT's operators in the words, for the SQL fallback's MATCH
    [("size", "XXXL-nope"), ("colour", "<script>"), ("discount", "abc"), ("min", "-1"), ("max", "1e9")],
    [("after", "zz.zz"), ("sort", "nonsense"), ("discount", "99999999999999999999")],
    [("size", "M")] * 50 + [("colour", "Red")] * 50,
    [("in_stock", "maybe"), ("discount", "٣٠"), ("min", "１０００"), ("after", "1.2.3")],
    [("q", "")],
]


@pytest.mark.parametrize("facet_index", [True, False], ids=["facet index", "sql while it builds"])
@pytest.mark.parametrize("args", JUNK)
async def test_junk_query_strings_never_break_the_page_or_the_reply(catalogue, app, args, facet_index):
    app.app.config["FACET_INDEX"] = facet_index
    client = app.test_client()
    for headers in ({}, HTMX):
        response = await client.get("/search", query_string=[("q", WORD), *args], headers=headers)
        assert response.status_code == 200, (args, headers)


async def test_while_the_facet_index_builds_many_matches_get_the_filters_without_counts(catalogue, app, monkeypatch):
    """Counting a common word's facets in SQL over a million products takes seconds: until the
    index answers, the page offers the same choices without counts (and filters all the same)."""
    from mooncart.search import page as search_page

    app.app.config["FACET_INDEX"] = False  # as a serving worker before its index is built
    monkeypatch.setattr(search_page, "SQL_FACETS_MAX_MATCHES", 2)
    client = app.test_client()
    page = await get_page(client, [("size", "S")])
    assert page.select_one("#facets") is None
    form = page.select_one("form#filters")
    assert form.select_one("input[name=size][value=S]").has_attr("checked")
    assert form.select_one("input[name=colour][value=Coral]") is not None and form.select_one("input[name=min]")
    assert shown_slugs(page) == {catalogue["lehenga"]["slug"]}
    response = await client.get("/search", query_string=[("q", WORD), ("size", "S")], headers=HTMX)
    reply = soup(await response.get_data())
    assert response.status_code == 200 and reply.find("hx-partial") is None
    assert shown_slugs(reply) == {catalogue["lehenga"]["slug"]}


async def test_a_signed_in_shopper_s_sizes_from_her_account_narrow_search_and_the_htmx_reply(catalogue, app, conn):
    keys = {p["slug"]: k for k, p in catalogue.items()}
    user = await make_user(conn)
    client = app.test_client()
    await log_in(client, user)
    await choose(client, "S")
    other = app.test_client()  # another browser: no cookie, the account has them
    await log_in(other, user)
    page = await get_page(other, [])
    assert {keys[s] for s in shown_slugs(page) if s in keys} == {"lehenga", "dupatta", "juttis"}
    reply = await get_page(other, [("colour", "Coral")], headers=HTMX)
    assert {keys[s] for s in shown_slugs(reply) if s in keys} == {"lehenga"}
    assert " ".join(reply.select_one(".my-sizes-bar").get_text().split()).startswith("Showing your sizes in stock: S")
    assert reply.select_one(".product-card .my-size").get_text() == "Your size S: in stock"
