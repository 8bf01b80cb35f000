"""Shop search: relevance on a fixed catalogue (spelling variants, synonyms, a typo, colour and
category), the empty and no-result pages, hostile words, the type-ahead's listbox and its
statement count, the staff's synonym page, and searches recorded for the analytics.

InnoDB's FULLTEXT index sees only committed rows, so these products are written on the
`committed` connection (and deleted afterwards); the app reads them through the test's own."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mooncart.analytics import queries as analytics_queries
from mooncart.catalog.queries import ListingFilters, select_listing
from mooncart.db import fetch_all, fetch_val
from mooncart.search import lexicon, queries
from mooncart.search.rules import (
    Synonyms,
    Vocabulary,
    expression,
    normalise,
    title_patterns,
    titles_may_match,
    understand,
)
from tests.conftest import HTMX, log_in, post, soup, statements_run
from tests.factories import make_category, make_searchable_products, make_user
from tests.search.brute_force import brute_force_ranking

CATALOGUE = [
    dict(
        key="red_kurti",
        category="Kurtis",
        name="Red Cotton Kurti",
        description="An everyday straight kurti with pockets.",
        variants=[("M", "Red", 5), ("L", "Red", 0)],
    ),
    dict(
        key="pink_kurta",
        category="Kurtis",
        name="Rani Pink Chikankari Kurta",
        description="Hand embroidered, pairs with a red dupatta.",
        variants=[("M", "Rani Pink", 3)],
        price_paise=249900,
    ),
    dict(
        key="saree",
        category="Sarees",
        name="Banarasi Silk Saree",
        description="Six yards of zari weave for weddings.",
        fabric="Silk",
        variants=[("Free size", "Maroon", 2)],
        price_paise=899900,
    ),
    dict(
        key="lehenga",
        category="Lehengas",
        name="Bridal Lehenga Choli",
        description="Heavy mirror-work with a net dupatta.",
        fabric="Georgette",
        variants=[("M", "Maroon", 1)],
        price_paise=2499900,
    ),
    dict(
        key="lehenga_set",
        category="Lehengas",
        name="Coral Lehenga Set",
        description="Light and twirly.",
        variants=[("S", "Coral", 2)],
        price_paise=1299900,
    ),
    dict(
        key="dupatta",
        category="Dupattas",
        name="Phulkari Dupatta",
        description="Bright and hand embroidered.",
        variants=[("Free size", "Mustard", 4)],
        price_paise=89900,
    ),
    dict(
        key="juttis",
        category="Footwear",
        name="Embroidered Juttis",
        description="Handmade leather, cushioned.",
        fabric="Leather",
        variants=[("UK 5", "Gold", 3)],
        price_paise=129900,
    ),
    dict(
        key="red_dress",
        category="Dresses",
        name="Red Wrap Dress",
        description="A midi dress for brunch.",
        fabric="Crepe",
        variants=[("M", "Red", 2)],
        price_paise=179900,
    ),
]


@pytest.fixture
async def catalogue(committed):
    """The fixed catalogue, committed (before the test's own connection reads anything)."""
    connection, made = committed
    return await make_searchable_products(connection, made, CATALOGUE)


def result_ids(page) -> list[str]:
    """The product slugs of a results page, in order."""
    return [a["href"].rsplit("/", 1)[1] for a in page.select("#search-grid .product-card a")]


async def search(client, query: str, **args):
    response = await client.get("/search", query_string={"q": query, **args})
    assert response.status_code == 200, query
    return soup(await response.get_data())


@pytest.mark.parametrize(
    ("query", "expected_first", "also"),
    [
        ("lehnga", None, {"lehenga", "lehenga_set"}),  # a Lehenga Set too, not only the choli (a phrase bug)
        ("lehnga choli", "lehenga", {"lehenga_set"}),
        ("LEHENGA", None, {"lehenga", "lehenga_set"}),
        ("sari", "saree", set()),
        ("sarees", "saree", set()),
        ("chunni", "dupatta", {"lehenga", "pink_kurta"}),  # 'dupatta' in their words, ranked below
        ("odhni", "dupatta", {"lehenga", "pink_kurta"}),
        ("mojari", "juttis", set()),
        ("kurta", None, {"red_kurti", "pink_kurta"}),
        ("red kurti", "red_kurti", {"pink_kurta"}),  # red in its words, kurta its category
        ("silk saree", "saree", set()),
        ("maroon", None, {"saree", "lehenga"}),  # a colour, from the variants
    ],
)
async def test_searches_find_the_expected_products_best_first(catalogue, app, query, expected_first, also):
    client = app.test_client()
    found = result_ids(await search(client, query))
    mine = {p["slug"]: key for key, p in catalogue.items()}
    keys = [mine[slug] for slug in found if slug in mine]
    if expected_first:
        assert keys[0] == expected_first, (query, keys)
    assert set(keys) == {expected_first, *also} - {None}, (query, keys)


async def test_red_kurti_finds_neither_the_red_dress_nor_the_other_clothes(catalogue, app):
    found = result_ids(await search(app.test_client(), "red kurti"))
    assert catalogue["red_dress"]["slug"] not in found
    assert catalogue["saree"]["slug"] not in found


async def test_a_typo_shows_the_results_for_the_catalogues_own_word_and_says_so(catalogue, app):
    page = await search(app.test_client(), "kurtii")
    notice = page.select_one("#search-results .notice").get_text()
    # "kurti" and "kurtis" are both one letter away and both the catalogue's words (the shared test
    # database may hold a "Kurtis" category of another test's): either finds the same kurtis
    assert "kurtii" in notice and ("“kurti”" in notice or "“kurtis”" in notice)
    found = result_ids(page)
    assert set(found) == {catalogue["red_kurti"]["slug"], catalogue["pink_kurta"]["slug"]}
    assert page.find("h1").get_text() in ("Results for “kurti”", "Results for “kurtis”")


async def test_a_typo_with_a_filter_that_excludes_everything_offers_did_you_mean_and_clearing(catalogue, app):
    page = await search(app.test_client(), "lehngaa", colour="Mustard")
    text = page.select_one(".search-next-steps").get_text(" ", strip=True)
    assert "We found nothing" in text and "with these filters" in text
    links = {a.get_text(strip=True): a["href"] for a in page.select(".search-next-steps a")}
    assert "lehnga" in links or "lehenga" in links  # did you mean (the nearest word of the catalogue or synonyms)
    assert links["Clear filters"] == "/search?q=lehngaa"


async def test_the_listing_filters_and_sorts_apply_to_search(catalogue, app):
    client = app.test_client()
    keys = {p["slug"]: k for k, p in catalogue.items()}
    in_pink = result_ids(await search(client, "kurti", colour="Rani Pink"))
    assert [keys[s] for s in in_pink] == ["pink_kurta"]
    cheap_first = result_ids(await search(client, "maroon", sort="price_asc"))
    assert [keys[s] for s in cheap_first if s in keys] == ["saree", "lehenga"]
    dear_first = result_ids(await search(client, "maroon", sort="price_desc"))
    assert [keys[s] for s in dear_first if s in keys] == ["lehenga", "saree"]
    size_l_in_stock = result_ids(await search(client, "kurti", size="L", in_stock="1"))
    assert size_l_in_stock == []  # the red kurti's L is sold out
    page = await search(client, "kurti", max="2000")
    assert [keys[s] for s in result_ids(page)] == ["red_kurti"]
    assert page.select_one(".applied-filters a.chip-off")["href"] == "/search?q=kurti"


async def test_more_pages_follow_the_relevance_order_without_repeats(committed, app):
    connection, made = committed
    specs = [
        dict(
            key=f"k{i}",
            category="Kurtis",
            name=f"Kurti {'kurti ' * (i % 3)}number {i}",
            description="kurti " * (i % 4),
            variants=[("M", "Teal", 2)],
        )
        for i in range(30)
    ]
    products = await make_searchable_products(connection, made, specs)
    mine = {p["slug"] for p in products.values()}
    client = app.test_client()
    page = await search(client, "kurti")
    seen = result_ids(page)
    assert len(seen) == 24 and page.select_one(".result-count").get_text() == "30 products"
    more = page.select_one("#load-more a")["href"]
    response = await client.get(more, headers=HTMX)
    reply = soup(await response.get_data())
    assert reply.find("html") is None
    seen += [a["href"].rsplit("/", 1)[1] for a in reply.select("hx-partial .product-card a")]
    assert len(seen) == len(set(seen)) == 30 and set(seen) == mine
    assert "That's everything" in reply.select_one("#load-more").get_text()
    # the same order as one long page, by score then newest, as a brute-force ranking of the same weights
    ranked = await brute_force_ranking(connection, "kurti")
    slugs = {p["id"]: p["slug"] for p in products.values()}
    assert [slugs[product_id] for product_id, _ in ranked if product_id in slugs] == seen
    # sorted by price, the "More" link keeps the sort and the words
    page = await search(client, "kurti", sort="new")
    more = page.select_one("#load-more a")["href"]
    assert "sort=new" in more and "q=kurti" in more


async def test_the_relevance_query_gives_the_same_card_columns_as_the_listing(catalogue, conn):
    match = expression(understand("kurti", Synonyms()))
    ranked = await queries.select_cards(
        conn, [(row["id"], 1) for row in await fetch_all(conn, "SELECT id FROM products")]
    )
    listed = await select_listing(conn, None, ListingFilters(matching=match), "new", None, 5)
    assert ranked and listed
    assert set(ranked[0]) - {"score"} == set(listed[0])


async def test_an_empty_search_offers_next_steps_never_an_empty_page(app, conn):
    await make_category(conn, "Kurtis")
    page = await search(app.test_client(), "")
    steps = page.select_one(".search-next-steps")
    assert "What are you looking for?" in steps.get_text()
    assert page.select(".search-next-steps .chips a")  # popular categories
    assert page.find("h1").get_text() == "Search"


async def test_no_results_offers_categories_and_never_an_empty_page(catalogue, app):
    page = await search(app.test_client(), "spacesuit")
    steps = page.select_one(".search-next-steps")
    assert "We found nothing for “spacesuit”" in steps.get_text()
    assert steps.select(".chips a")
    assert page.select("#search-grid") == []


async def test_words_search_cannot_use_find_nothing_rather_than_everything(catalogue, app):
    for query in ("the", "a an of", "xl", "+", "**"):
        page = await search(app.test_client(), query)
        assert result_ids(page) == [], query


HOSTILE = [
    "x" * 5000,
    "kurti " * 200,
    "' OR '1'='1",
    "'; DROP TABLE products; --",
    '" OR ""="',
    "+kurti -kurti",
    '+-*"()~<>@',
    '"unclosed phrase',
    "kurti*** (((",
    ")))) kurti",
    "~kurti <saree >lehenga",
    "@5 kurti",
    "kurti\x00saree",
    "%00",
    "\u202ekurti",
    "ｋｕｒｔｉ",  # full-width
    "कुर्ती",
    "\U0001f600 saree",
    "MATCH AGAINST IN BOOLEAN MODE",
    "1e309",
    "a" * 84 + " saree",
    "\\",
    "%",
    "_",
    "kurti_saree",
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_words_never_break_the_search(catalogue, app, query):
    client = app.test_client()
    for path in ("/search", "/search/suggest"):
        for headers in (None, HTMX):
            response = await client.get(path, query_string={"q": query}, headers=headers)
            assert response.status_code == 200, (path, query)
    # the expression holds no operator of the shopper's, only ours
    match = expression(understand(normalise(query), Synonyms()))
    assert set(match) <= set('abcdefghijklmnopqrstuvwxyz0123456789 +*()"') | {c for c in match if c.isalpha()}


async def test_full_width_letters_find_what_plain_ones_find(catalogue, app):
    assert result_ids(await search(app.test_client(), "ｓａｒｉ")) == [catalogue["saree"]["slug"]]


async def test_the_suggestions_are_an_aria_listbox_of_options(catalogue, app):
    response = await app.test_client().get("/search/suggest", query_string={"q": "lehnga"}, headers=HTMX)
    fragment = soup(await response.get_data())
    assert fragment.find("html") is None
    listbox = fragment.select_one("#search-suggestions")
    assert listbox["role"] == "listbox" and not listbox.has_attr("hidden")
    options = listbox.select('[role="option"]')
    texts = [o.get_text(" ", strip=True) for o in options]
    assert texts[0] == "Category Lehengas" and options[0]["data-href"].startswith("/c/")
    assert {o["data-href"] for o in options[1:3]} == {catalogue["lehenga"]["url"], catalogue["lehenga_set"]["url"]}
    assert all(o["id"].startswith("suggestion-") and o["aria-selected"] == "false" for o in options)
    assert options[-1]["data-href"] == "/search?q=lehnga"


async def test_a_typo_in_the_box_suggests_the_word_meant(catalogue, app):
    response = await app.test_client().get("/search/suggest", query_string={"q": "phulkary"}, headers=HTMX)
    options = soup(await response.get_data()).select('[role="option"]')
    assert "Did you mean phulkari?" in options[0].get_text()
    assert options[0]["data-href"] == "/search?q=phulkari"


async def test_an_empty_box_has_a_hidden_empty_listbox(app, conn):
    response = await app.test_client().get("/search/suggest", query_string={"q": ""}, headers=HTMX)
    listbox = soup(await response.get_data()).select_one("#search-suggestions")
    assert listbox.has_attr("hidden") and listbox.select("[role=option]") == []


async def test_the_suggestions_cost_one_statement_once_the_worker_has_the_synonyms(catalogue, app, conn):
    app.app.config["REFERENCE_CACHE_SECONDS"] = 60  # as served: the category tree is cached too
    client = app.test_client()
    await client.get("/search/suggest", query_string={"q": "sari"}, headers=HTMX)  # caches warm
    before = await statements_run(conn)
    response = await client.get("/search/suggest", query_string={"q": "lehnga"}, headers=HTMX)
    assert response.status_code == 200
    assert await statements_run(conn) - before - 1 == 1  # the SHOW itself is one


async def test_every_page_has_the_search_box_as_a_combobox_in_the_header(app, conn):
    page = soup(await (await app.test_client().get("/")).get_data())
    form = page.select_one("header .header-bar form.header-search")
    assert form["action"] == "/search" and form["method"] == "get" and form["role"] == "search"
    box = form.select_one("input[name=q]")
    assert box["role"] == "combobox" and box["aria-expanded"] == "false"
    assert box["aria-controls"] == "search-suggestions" and form.select_one("#search-suggestions")["role"] == "listbox"
    assert "delay:" in box["hx-trigger"] and box["hx-sync"] == "this:replace"
    assert page.find("label", attrs={"for": "site-search"})
    script = page.find("script", src=lambda s: s and "search-combobox.js" in s)
    assert script and script["nonce"]


async def test_a_first_page_of_a_search_is_recorded_with_its_normalised_words_and_count(catalogue, app, conn):
    client = app.test_client()
    recorder = app.app.extensions["events"]
    recorder.pending.clear()
    await search(client, "  Red   KURTI ")
    await search(client, "spacesuit")
    await search(client, "Spacesuit!")
    await search(client, "")  # not a search
    page = await search(client, "kurti", sort="new")
    assert [(e.kind, e.query, e.results) for e in recorder.pending] == [
        ("search", "red kurti", 2),
        ("search", "spacesuit", 0),
        ("search", "spacesuit", 0),
        ("search", "kurti", 2),
    ]
    assert page is not None


async def test_top_searches_with_no_results_equal_a_brute_force_count(catalogue, app, conn):
    client = app.test_client()
    recorder = app.app.extensions["events"]
    recorder.pending.clear()
    typed = ["spacesuit", "SPACESUIT", "palazzo", "kurti", "palazzo pants", "palazzo", "sari", "jetpack", "spacesuit"]
    for i, words in enumerate(typed):
        visitor = app.test_client() if i % 2 else client  # two visitors
        await search(visitor, words)
    await recorder.flush()
    today = date.today()
    rows = await analytics_queries.select_searches_without_results(conn, today - timedelta(days=1), today)
    events = await fetch_all(conn, "SELECT query, results, visitor_id FROM events WHERE kind = 'search'")
    brute: dict[str, tuple[int, set]] = {}
    for e in events:
        if e["results"] == 0:
            count, visitors = brute.get(e["query"].lower(), (0, set()))
            brute[e["query"].lower()] = (count + 1, visitors | {e["visitor_id"]})
    assert {r["query"]: (r["searches"], r["visitors"]) for r in rows} == {q: (n, len(v)) for q, (n, v) in brute.items()}
    assert rows[0]["query"] == "spacesuit" and rows[0]["searches"] == 3
    staff = app.test_client()
    await log_in(staff, await make_user(conn, is_staff=True))
    page = soup(await (await staff.get("/admin/analytics")).get_data())
    section = page.find("h2", string="Top searches with no results").find_parent("section")
    cells = [[td.get_text() for td in tr.select("td")] for tr in section.select("tbody tr")]
    assert cells[0] == ["spacesuit", "3", str(len(brute["spacesuit"][1]))]


async def test_staff_add_a_spelling_and_search_finds_it_at_once(catalogue, app, conn):
    client = app.test_client()
    assert result_ids(await search(client, "chaniya")) == []
    staff = app.test_client()
    await log_in(staff, await make_user(conn, is_staff=True))
    response = await post(staff, "/admin/search-terms", form={"term": " Chaniya ", "group": "lehenga"})
    assert response.status_code == 303
    assert set(result_ids(await search(client, "chaniya"))) == {
        catalogue["lehenga"]["slug"],
        catalogue["lehenga_set"]["slug"],
    }
    # the same word again is refused with a message, and nothing is written
    response = await post(staff, "/admin/search-terms", form={"term": "chaniya", "group": "saree"})
    assert response.status_code == 422
    assert "already in a group" in soup(await response.get_data()).select_one("#term-error").get_text()
    assert await fetch_val(conn, "SELECT canonical FROM search_synonyms WHERE term = 'chaniya'") == "lehenga"
    for bad in ({"term": "", "group": "saree"}, {"term": "ab", "group": "saree"}, {"term": "x" * 500, "group": "y"}):
        assert (await post(staff, "/admin/search-terms", form=bad)).status_code == 422
    synonym_id = await fetch_val(conn, "SELECT id FROM search_synonyms WHERE term = 'chaniya'")
    response = await post(staff, f"/admin/search-terms/{synonym_id}/delete")
    assert response.status_code == 303
    assert result_ids(await search(client, "chaniya")) == []
    assert (await post(staff, f"/admin/search-terms/{synonym_id}/delete")).status_code == 404
    # shoppers may not
    shopper = app.test_client()
    await log_in(shopper, await make_user(conn))
    assert (await post(shopper, "/admin/search-terms", form={"term": "abc", "group": "saree"})).status_code == 403


async def test_the_seeded_spelling_variants_are_there(conn):
    rows = {r["term"]: r["canonical"] for r in await queries.select_synonyms(conn)}
    for term, group in [
        ("sari", "saree"),
        ("lehnga", "lehenga"),
        ("lehnga choli", "lehenga"),
        ("kurta", "kurti"),
        ("chunni", "dupatta"),
        ("odhni", "dupatta"),
        ("mojari", "jutti"),
        ("shalwar", "salwar"),
    ]:
        assert rows[term] == group


async def test_staff_edits_keep_the_search_words_in_step(committed, app, conn):
    connection, made = committed
    products = await make_searchable_products(
        connection, made, [dict(key="p", category="Tops", name="Plain Peplum Top", variants=[("M", "Teal", 1)])]
    )
    product = products["p"]
    title = await fetch_val(conn, "SELECT title FROM product_search WHERE product_id = %s", (product["id"],))
    assert "Peplum" in title and "Tops" in title and "Teal" in title and "Cotton" in title
    staff = app.test_client()
    await log_in(staff, await make_user(conn, is_staff=True))
    category_id = product["category"]["id"]
    response = await post(
        staff,
        f"/admin/products/{product['id']}",
        form={
            "name": "Ikat Peplum Top",
            "description": "Handloom ikat.",
            "fabric": "Khadi",
            "category_id": str(category_id),
        },
    )
    assert response.status_code == 303
    row = await fetch_all(conn, "SELECT title, body FROM product_search WHERE product_id = %s", (product["id"],))
    assert "Ikat Peplum Top" in row[0]["title"] and "Khadi" in row[0]["title"] and row[0]["body"] == "Handloom ikat."
    response = await post(staff, f"/admin/categories/{category_id}", form={"name": "Blouses"})
    assert response.status_code == 303
    title = await fetch_val(conn, "SELECT title FROM product_search WHERE product_id = %s", (product["id"],))
    assert "Blouses" in title


async def test_a_results_page_costs_its_cards_and_a_look_at_the_change_feed_once_the_worker_has_its_caches(
    catalogue, app, conn
):
    app.app.config["REFERENCE_CACHE_SECONDS"] = 60  # as served
    client = app.test_client()
    await search(client, "sari")  # caches warm

    async def cost(query: str) -> int:
        before = await statements_run(conn)
        await search(client, query)
        return await statements_run(conn) - before - 1  # the SHOW itself is one

    # first time: the change feed, the words' postings (one statement, after the session's
    # group_concat_max_len), the cards; nothing found: the vocabulary and the popular categories;
    # and the facet index's own look at the feed before it counts the facets (in memory)
    assert {query: await cost(query) for query in ("lehnga", "spacesuit")} == {"lehnga": 5, "spacesuit": 6}
    # from then on, the feed (twice: search's index, then the facet index) and the one page of
    # cards (fewer than a page: no count); nothing found: the feed alone, twice
    assert {query: await cost(query) for query in ("lehnga", "spacesuit")} == {"lehnga": 3, "spacesuit": 2}


async def test_the_title_scan_finds_words_as_word_beginnings_in_titles_only(catalogue, conn):
    # what the type-ahead asks of a big catalogue's newest titles (issue 13 on a million products)
    groups = Synonyms.from_rows(await queries.select_synonyms(conn))
    floor = min(p["id"] for p in catalogue.values()) - 1
    slug_key = {p["slug"]: key for key, p in catalogue.items()}

    async def scan(query: str) -> list[str]:
        patterns = title_patterns(understand(normalise(query), groups))
        rows = await queries.select_newest_title_matches(conn, patterns, floor, 6)
        return [slug_key[r["slug"]] for r in rows if r["slug"] in slug_key]

    assert set(await scan("lehnga")) == {"lehenga", "lehenga_set"}
    assert set(await scan("lehnga choli")) == {"lehenga", "lehenga_set"}  # a synonym of lehenga, as the search
    # "red" begins no word of "Embroidered Juttis"; the pink kurta has red in its words only
    assert await scan("red") == ["red_dress", "red_kurti"]  # newest first
    assert await scan("red kurti") == ["red_kurti"]
    assert await scan("maroon") == ["lehenga", "saree"]  # a colour, from the variants
    assert await scan("spacesuit") == [] and await scan("the") == []
    newest = await queries.select_newest_title_matches(
        conn, title_patterns(understand("red", groups)), catalogue["red_kurti"]["id"], 6
    )
    assert [r["slug"] for r in newest] == [catalogue["red_dress"]["slug"]]  # only after the floor


async def test_on_a_catalogue_bigger_than_the_window_the_box_suggests_the_newest_titles_in_one_statement(
    committed, app, conn, monkeypatch
):
    connection, made = committed
    specs = [
        dict(
            key=f"k{i}",
            category="Kurtis",
            name=f"Ikat Kurti {i}",
            description="Pairs with palazzo pants." if i == 0 else "Straight cut.",
            variants=[("M", "Teal", 1)],
        )
        for i in range(9)
    ]
    products = await make_searchable_products(connection, made, specs)
    monkeypatch.setattr(lexicon, "SUGGESTION_WINDOW", 7)
    app.app.config["REFERENCE_CACHE_SECONDS"] = 60
    client = app.test_client()
    await client.get("/search/suggest", query_string={"q": "sari"}, headers=HTMX)  # caches warm
    before = await statements_run(conn)
    response = await client.get("/search/suggest", query_string={"q": "kurta"}, headers=HTMX)
    assert await statements_run(conn) - before - 1 == 1
    hrefs = [o["data-href"] for o in soup(await response.get_data()).select('[role="option"]')]
    newest_six = [products[f"k{i}"]["url"] for i in range(8, 2, -1)]
    assert [h for h in hrefs if h.startswith("/products/")] == newest_six
    # a word of no product's title (the vocabulary knows): FULLTEXT over everything answers at once
    before = await statements_run(conn)
    response = await client.get("/search/suggest", query_string={"q": "palazzo"}, headers=HTMX)
    assert await statements_run(conn) - before - 1 == 1
    hrefs = [o["data-href"] for o in soup(await response.get_data()).select('[role="option"]')]
    assert products["k0"]["url"] in hrefs


def test_only_words_the_vocabulary_knows_send_the_type_ahead_to_the_newest_titles():
    vocabulary = Vocabulary.from_texts(["Mint Ikat Kaftan", "Kurtis", "Maroon"])
    groups = Synonyms.from_rows([{"term": "kurta", "canonical": "kurti"}])

    def may(query: str) -> bool:
        return titles_may_match(title_patterns(understand(query, groups)), vocabulary)

    assert may("kaftan") and may("mint kaf") and may("kurta") and may("maroon kurti")
    assert not may("kaftaan") and not may("mint spacesuit") and not may("the")
