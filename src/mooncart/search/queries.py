"""Search's SQL: the product_search rows (kept in step with the catalogue), the FULLTEXT
look-ups, the synonyms staff keep, and the words "Did you mean" draws on.

InnoDB FULLTEXT sees only committed rows: a product written inside an open transaction is
found once that transaction commits (tests that search commit their products)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .. import changes
from ..catalog.queries import (
    CARD_COLUMNS,
    SORT_INDEXES,
    SORT_KEYS,
    SORTS,
    ListingFilters,
    _facet_conditions,
    _listing_conditions,
    _order_by,
)
from ..db import execute, execute_many, fetch_all, fetch_val, in_list, transaction
from .rules import product_terms

# The words a product is found by: its name, its category and that category's parent, its
# fabric and the colours it comes in ("title", ranked higher), and its description ("body").
_REFRESH_SQL = (
    "INSERT INTO product_search (product_id, title, body) "
    "SELECT p.id, LEFT(CONCAT_WS(' ', p.name, c.name, pc.name, p.fabric, "
    "(SELECT GROUP_CONCAT(DISTINCT co.name SEPARATOR ' ') FROM variants v "
    "JOIN colours co ON co.id = v.colour_id WHERE v.product_id = p.id)), 1000), p.description "
    "FROM products p JOIN categories c ON c.id = p.category_id LEFT JOIN categories pc ON pc.id = c.parent_id "
    "WHERE {where} "
    "ON DUPLICATE KEY UPDATE title = VALUES(title), body = VALUES(body)"
)

# how well a product matches: a match in the title counts three times one in the description;
# a whole number, for the keyset cursor of the next page
_SCORE_SQL = (
    "CAST(ROUND((3 * MATCH (ps.title) AGAINST (%(match)s IN BOOLEAN MODE) "
    "+ MATCH (ps.title, ps.body) AGAINST (%(match)s IN BOOLEAN MODE)) * 10000) AS SIGNED)"
)
_MATCHES_SQL = "MATCH (ps.title, ps.body) AGAINST (%(match)s IN BOOLEAN MODE)"


async def refresh_search_text(conn, product_ids: list[int]) -> None:
    """Rewrite these products' search rows from the catalogue (after staff change a name, words,
    fabric, category or add a colour)."""
    if not product_ids:
        return
    placeholders, params = in_list(product_ids)
    # all or nothing: the terms are deleted and written again, and a failure between the two
    # would leave the product out of search (staff save a product in autocommit)
    async with transaction(conn):
        await execute(conn, _REFRESH_SQL.format(where="p.id IN (" + placeholders + ")"), params)
        await refresh_search_terms(conn, product_ids)
        await changes.record(conn, product_ids)  # the search index in memory re-reads them


async def refresh_search_text_range(conn, first_id: int, last_id: int) -> None:
    """The same for a range of ids (the demo catalogue writes products in batches of ids)."""
    await execute(conn, _REFRESH_SQL.format(where="p.id BETWEEN %s AND %s"), (first_id, last_id))
    await refresh_search_terms_range(conn, first_id, last_id)
    await changes.record_range(conn, first_id, last_id)


async def refresh_category_search_text(conn, category_id: int) -> None:
    """After a category is renamed: the rows of its products and of its children's products."""
    await execute(
        conn,
        _REFRESH_SQL.format(where="(c.id = %s OR c.parent_id = %s)"),
        (category_id, category_id),
    )
    rows = await fetch_all(
        conn,
        "SELECT p.id FROM products p JOIN categories c ON c.id = p.category_id "
        "WHERE c.id = %s OR c.parent_id = %s ORDER BY p.id",
        (category_id, category_id),
    )
    ids = [int(row["id"]) for row in rows]
    for start in range(0, len(ids), TERMS_BATCH):
        await refresh_search_terms(conn, ids[start : start + TERMS_BATCH])
    await changes.record_everything(conn)  # rare, and possibly most of the shop: indexes rebuild


# ---- search_terms (migration 0512): search's own index, word by word (search.index reads it) ----

TERMS_BATCH = 1000  # products whose terms one statement rewrites
# A word's postings come back as one row of hex per term (12 digits a product). GROUP_CONCAT stops at
# group_concat_max_len and the row at max_allowed_packet (16 MB on MariaDB: 1.4 million products); a
# term cut short is read again in ranges of this many product ids.
POSTING_CHUNK_IDS = 1 << 18
GROUP_CONCAT_MAX = 1 << 26


async def _write_terms(conn, where: str, params) -> None:
    """Rewrite search_terms of the products product_search's rows `where` selects, from those rows
    (the writers above have just written them), split and weighed by search.rules.product_terms."""
    rows = await fetch_all(conn, "SELECT product_id, title, body FROM product_search ps WHERE " + where, params)  # nosec B608 # fixed text; values are %s parameters
    await execute(conn, "DELETE FROM search_terms WHERE " + where.replace("ps.product_id", "product_id"), params)  # nosec B608 # fixed text; values are %s parameters
    terms = [
        (term, int(row["product_id"]), weight)
        for row in rows
        for term, weight in product_terms(row["title"], row["body"]).items()
    ]
    for start in range(0, len(terms), 5000):
        await execute_many(
            conn, "INSERT INTO search_terms (term, product_id, weight) VALUES (%s, %s, %s)", terms[start : start + 5000]
        )


async def refresh_search_terms(conn, product_ids: list[int]) -> None:
    """These products' rows of search_terms, from their product_search rows (a deleted product's
    go with it, by the foreign key)."""
    for start in range(0, len(product_ids), TERMS_BATCH):
        placeholders, params = in_list(product_ids[start : start + TERMS_BATCH])
        await _write_terms(conn, "ps.product_id IN (" + placeholders + ")", params)


async def refresh_search_terms_range(conn, first_id: int, last_id: int) -> None:
    """The same for a range of ids (the demo catalogue's batches; `mooncart build-search-terms`)."""
    await _write_terms(conn, "ps.product_id BETWEEN %s AND %s", (first_id, last_id))


async def rebuild_search_terms(conn, batch: int = 2000, progress: Callable[[int], object] | None = None) -> int:
    """Fill search_terms from product_search for every product (`mooncart build-search-terms`,
    once after migration 0512 on a shop that has products; safe to run again): a transaction per
    batch of ids, each recorded in the change feed, so running instances re-read those products.
    Returns how many product ids the batches covered; `progress(ids)` is told each batch's."""
    low, high = await select_search_id_range(conn)
    for first in range(low, high + 1, batch):
        async with transaction(conn):
            await refresh_search_terms_range(conn, first, first + batch - 1)
            await changes.record_range(conn, first, first + batch - 1)
        if progress is not None:
            progress(min(batch, high + 1 - first))
    return 0 if high == 0 else high - low + 1


_POSTINGS_SQL = (
    # product id and weight in one number, as 12 hex digits: 8 of id, 4 of weight. Not ordered in
    # the GROUP_CONCAT, nor grouped by an expression: either made MariaDB sort every row (1.0-1.4 s
    # for kurti and kurta on 1,000,000 products against 0.3-0.5 s); search.index sorts the ids.
    "SELECT term, COUNT(*) AS n, GROUP_CONCAT(LPAD(HEX(product_id << 16 | weight), 12, '0') SEPARATOR '') "
    "AS postings FROM search_terms WHERE "
)


async def select_term_postings(conn, prefixes: list[str]) -> list[tuple[str, str]]:
    """(term, postings) for every term that begins with one of these prefixes, each prefix one
    range of the primary key, in one statement: a row of hex a term (search.index.parse_postings
    reads them), so a word on 100,000 products is one row, not 100,000. A term too long for one
    row is read again in ranges of ids (then several rows of that term). Prefixes hold letters
    and digits only (search.rules), escaped all the same."""
    if not prefixes:
        return []
    params: dict = {}
    ranges = []
    for i, prefix in enumerate(prefixes):
        params[f"p{i}"] = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        ranges.append(f"term LIKE %(p{i})s")
    # GROUP_CONCAT stops at group_concat_max_len (1 MB on MariaDB, 1 KB on MySQL 8 by default)
    await execute(conn, "SET SESSION group_concat_max_len = %s", (GROUP_CONCAT_MAX,))
    rows = await fetch_all(conn, _POSTINGS_SQL + " OR ".join(ranges) + " GROUP BY term", params)  # nosec B608 # fixed text; values are %s parameters
    found = []
    for row in rows:
        if len(row["postings"] or "") == 12 * int(row["n"]):
            found.append((row["term"], row["postings"]))
            continue
        low, high = await _term_id_range(conn, row["term"])
        for first in range(low, high + 1, POSTING_CHUNK_IDS):
            part = await fetch_all(
                conn,
                _POSTINGS_SQL + "term = %s AND product_id BETWEEN %s AND %s GROUP BY term",
                (row["term"], first, first + POSTING_CHUNK_IDS - 1),
            )
            found += [(r["term"], r["postings"]) for r in part]
    return found


async def _term_id_range(conn, term: str) -> tuple[int, int]:
    rows = await fetch_all(
        conn, "SELECT MIN(product_id) AS low, MAX(product_id) AS high FROM search_terms WHERE term = %s", (term,)
    )
    return int(rows[0]["low"] or 0), int(rows[0]["high"] or 0)


async def select_terms_of(conn, product_ids: list[int]) -> list[tuple[str, int, int]]:
    """(term, product id, weight) of these products (the index re-reads changed products)."""
    found: list[tuple[str, int, int]] = []
    for start in range(0, len(product_ids), TERMS_BATCH):
        placeholders, params = in_list(product_ids[start : start + TERMS_BATCH])
        rows = await fetch_all(
            conn,
            "SELECT term, product_id, weight FROM search_terms WHERE product_id IN (" + placeholders + ")",  # nosec B608 # values are %s parameters
            params,
        )
        found += [(row["term"], int(row["product_id"]), int(row["weight"])) for row in rows]
    return found


async def select_passing_ids(conn, product_ids: list[int], filters: ListingFilters) -> set[int]:
    """Which of these products pass the listing's filters (sizes, colours, prices, stock,
    discount): the index knows the words, the database the rest. Checked on the facet rows
    (migration 0509: one narrow row a product and colour, kept in step with stock in the same
    transaction) with the facets' own conditions, which mean what the listing's variant condition
    means (a chosen size in stock in a chosen colour); 7x quicker than the listing's subquery on
    variants for 20,000 products of 1,000,000 (0.25-0.3 s against 1.7-2.1 s)."""
    if not product_ids:
        return set()
    params: dict = {}
    conditions = _facet_conditions(replace(filters, matching=None), params, "sf")
    placeholders, named = in_list(product_ids, "pid")
    params.update(named)
    rows = await fetch_all(
        conn,
        "SELECT DISTINCT f.product_id FROM product_facets f WHERE f.product_id IN ("
        + placeholders
        + ")"  # nosec B608 # values are %s parameters
        + "".join(" AND " + condition for condition in conditions),
        params,
    )
    return {int(row["product_id"]) for row in rows}


async def count_passing(conn, product_ids: list[int], filters: ListingFilters, limit: int) -> int:
    """How many of these products pass the listing's filters (as select_passing_ids), counted up to
    `limit` (the database stops reading there)."""
    if not product_ids:
        return 0
    params: dict = {"limit": limit}
    conditions = _facet_conditions(replace(filters, matching=None), params, "sf")
    placeholders, named = in_list(product_ids, "pid")
    params.update(named)
    rows = await fetch_all(
        conn,
        "SELECT COUNT(*) AS n FROM (SELECT DISTINCT f.product_id FROM product_facets f "  # nosec B608 # values are %s parameters
        "WHERE f.product_id IN ("
        + placeholders
        + ")"
        + "".join(" AND " + condition for condition in conditions)
        + " LIMIT %(limit)s) passing",
        params,
    )
    return int(rows[0]["n"])


async def select_cards(conn, ranked: list[tuple[int, int]]) -> list[dict]:
    """The cards of these (id, score) in this order, with the score (the next page's cursor): the
    listing's card columns, one statement for the page."""
    if not ranked:
        return []
    placeholders, params = in_list([product_id for product_id, _ in ranked])
    rows = await fetch_all(
        conn,
        "SELECT " + CARD_COLUMNS + " FROM products p "  # nosec B608 # values are %s parameters
        "LEFT JOIN product_review_scores rs ON rs.product_id = p.id WHERE p.id IN (" + placeholders + ")",
        params,
    )
    by_id = {int(row["id"]): row for row in rows}
    cards = []
    for product_id, score in ranked:
        row = by_id.get(product_id)
        if row is not None:  # deleted since the index read it
            row["score"] = score
            cards.append(row)
    return cards


async def select_sorted_keys(
    conn, category_ids: list[int], filters: ListingFilters, sort: str, after: tuple[int, int] | None, limit: int
) -> list[tuple[int, int]]:
    """(id, sort key) of the next `limit` products of these categories in a listing's order (not
    newest first) after its keyset cursor, with its filters: select_listing's ordered branch per
    category on the sort's (category_id, key, id) index, merged, ids and keys only. Search walks
    this order and keeps the products its index matched, for a common word far quicker than
    sorting 100,000 matches by price."""
    order_columns, keyset = SORTS[sort]
    key = SORT_KEYS[sort]
    params: dict = {"limit": limit}
    if after is not None:
        params["after_price"], params["after_id"] = after
        params["after_key"] = params["after_price"]
    conditions = _listing_conditions(replace(filters, matching=None), keyset if after is not None else None, params)
    branches = []
    for i, category_id in enumerate(category_ids):
        params[f"cat{i}"] = category_id
        where = [f"p.category_id = %(cat{i})s", *conditions]
        branches.append(
            f"(SELECT p.id, p.{key} AS sort_key FROM products p FORCE INDEX ("  # nosec B608 # fixed names; values are %s parameters
            + SORT_INDEXES[sort]
            + ") WHERE "
            + " AND ".join(where)
            + " ORDER BY "
            + _order_by(order_columns, "p")
            + " LIMIT %(limit)s)"
        )
    if not branches:
        return []
    merged_order = ", ".join(
        ("merged.sort_key" if column != "id" else "merged.id") + " " + direction for column, direction in order_columns
    )
    rows = await fetch_all(
        conn,
        "SELECT merged.id, merged.sort_key FROM ("  # nosec B608 # fixed names; values are %s parameters
        + " UNION ALL ".join(branches)
        + ") merged ORDER BY "
        + merged_order
        + " LIMIT %(limit)s",
        params,
    )
    return [(int(row["id"]), int(row["sort_key"])) for row in rows]


async def select_sorted_page(
    conn, product_ids: list[int], filters: ListingFilters, sort: str, after: tuple[int, int] | None, limit: int
) -> list[dict]:
    """One page of cards among these products in a listing's order (SORTS), with its filters and
    keyset cursor: select_listing's statement over a list of ids instead of a category. Up to
    limit + 1 rows."""
    if not product_ids:
        return []
    order_columns, keyset = SORTS[sort]
    params: dict = {"limit": limit + 1}
    if after is not None:
        params["after_price"], params["after_id"] = after
        params["after_key"] = params["after_price"]
    conditions = _listing_conditions(filters, keyset if after is not None else None, params)
    placeholders, named = in_list(product_ids, "pid")
    params.update(named)
    key = SORT_KEYS.get(sort)
    page = (
        "SELECT p.id" + (f", p.{key}" if key else "") + " FROM products p "  # nosec B608 # fixed names; values are %s parameters
        "WHERE p.id IN (" + placeholders + ")" + "".join(" AND " + condition for condition in conditions) + " "
        "ORDER BY " + _order_by(order_columns, "p") + " LIMIT %(limit)s"
    )
    return await fetch_all(
        conn,
        "SELECT " + CARD_COLUMNS + " FROM (" + page + ") page JOIN products p ON p.id = page.id "  # nosec B608 # values are %s parameters
        "LEFT JOIN product_review_scores rs ON rs.product_id = p.id ORDER BY " + _order_by(order_columns, "p"),
        params,
    )


async def select_suggestions(conn, match: str, limit: int) -> list[dict]:
    """The type-ahead's products: the best few matches by name, in one statement (ranked on
    product_search alone, then only those few products read)."""
    return await fetch_all(
        conn,
        "SELECT p.slug, p.name, p.from_price_paise FROM (SELECT ps.product_id, "
        + _SCORE_SQL  # nosec B608 # fixed text; values are %s parameters
        + " AS score FROM product_search ps WHERE "
        + _MATCHES_SQL
        + " ORDER BY score DESC, ps.product_id DESC LIMIT %(limit)s) m "
        "JOIN products p ON p.id = m.product_id ORDER BY m.score DESC, m.product_id DESC",
        {"match": match, "limit": limit},
    )


async def select_newest_title_matches(conn, patterns: list[list[list[str]]], newer_than: int, limit: int) -> list[dict]:
    """The type-ahead's products on a big catalogue: the newest few whose title (name, category,
    fabric, colours) has every unit's words as word beginnings (rules.title_patterns), looked for
    among the products after id `newer_than` only, newest first, reading product_search's primary
    key backwards until `limit` are found. A word that 10% of a million products carry is found
    in the first hundred rows read, where FULLTEXT would rank all 100,000 of them; a word that
    no recent title has costs one pass over the window (the caller then asks FULLTEXT, which is
    quick for a rare word). The patterns are parameters; their words are letters and digits
    only (rules.normalise: no LIKE wildcard either), and "(^|[^[:alnum:]])" is a word's start
    on MariaDB's PCRE and MySQL 8's ICU alike."""
    params: dict = {"newer_than": newer_than, "limit": limit}
    required = []
    for alternatives in patterns:
        options = []
        for words in alternatives:
            needs = []
            for word in words:
                like, regexp = f"l{len(params)}", f"r{len(params)}"
                params[like], params[regexp] = "%" + word + "%", "(^|[^[:alnum:]])" + word
                # LIKE first: a cheap test that most rows fail, so few rows pay for the REGEXP
                needs.append("ps.title LIKE %(" + like + ")s AND ps.title REGEXP %(" + regexp + ")s")
            options.append("(" + " AND ".join(needs) + ")")
        required.append("(" + " OR ".join(options) + ")")
    if not required:
        return []
    return await fetch_all(
        conn,
        "SELECT p.slug, p.name, p.from_price_paise FROM (SELECT ps.product_id FROM product_search ps "  # nosec B608 # values are %s parameters
        "WHERE ps.product_id > %(newer_than)s AND "
        + " AND ".join(required)
        + " ORDER BY ps.product_id DESC LIMIT %(limit)s) m JOIN products p ON p.id = m.product_id ORDER BY p.id DESC",
        params,
    )


async def select_search_id_range(conn) -> tuple[int, int]:
    """The lowest and highest product ids that search holds (0, 0 when none)."""
    rows = await fetch_all(
        conn, "SELECT COALESCE(MIN(product_id), 0) AS low, COALESCE(MAX(product_id), 0) AS high FROM product_search"
    )
    return int(rows[0]["low"]), int(rows[0]["high"])


async def select_synonyms(conn) -> list[dict]:
    """Every spelling variant and synonym, by group."""
    return await fetch_all(conn, "SELECT id, term, canonical FROM search_synonyms ORDER BY canonical, term")


async def insert_synonym(conn, term: str, canonical: str) -> bool:
    """Add a term to a group (a new group when no term has that name yet); False if the term is
    already in a group (INSERT IGNORE: the unique key decides, no read-then-write race)."""
    affected, _ = await execute(
        conn, "INSERT IGNORE INTO search_synonyms (term, canonical) VALUES (%s, %s)", (term, canonical)
    )
    return affected == 1


async def delete_synonym(conn, synonym_id: int) -> bool:
    """Take a term out of its group; False if there was no such term."""
    affected, _ = await execute(conn, "DELETE FROM search_synonyms WHERE id = %s", (synonym_id,))
    return affected == 1


async def select_vocabulary_texts(conn, newest: int) -> list[str]:
    """The texts "Did you mean" learns the catalogue's words from: the names and fabrics of the
    newest products (bounded, so a million-product shop reads the index's tail, not every row),
    and every category and colour name."""
    rows = await fetch_all(
        conn,
        "(SELECT CONCAT_WS(' ', name, fabric) AS text FROM products ORDER BY id DESC LIMIT %s) "
        "UNION ALL (SELECT name FROM categories) UNION ALL (SELECT name FROM colours)",
        (newest,),
    )
    return [row["text"] for row in rows]


async def select_popular_category_ids(conn, days: int, limit: int) -> list[int]:
    """The categories most viewed lately (from the clickstream), most viewed first."""
    rows = await fetch_all(
        conn,
        "SELECT category_id, COUNT(*) AS views FROM events WHERE kind = 'view' "
        "AND occurred_at >= NOW(6) - INTERVAL %s DAY AND category_id IS NOT NULL "
        "GROUP BY category_id ORDER BY views DESC, category_id LIMIT %s",
        (days, limit),
    )
    return [row["category_id"] for row in rows]


async def search_terms_missing(conn) -> bool:
    """The shop has products and search's index has none (a shop migrated to 0512 with products)."""
    return bool(
        await fetch_val(conn, "SELECT EXISTS (SELECT 1 FROM products) AND NOT EXISTS (SELECT 1 FROM search_terms)")
    )
