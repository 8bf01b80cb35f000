"""Search's SQL: the product_search rows (kept in step with the catalogue), the FULLTEXT
look-ups, the synonyms staff keep, and the words "Did you mean" draws on.

InnoDB FULLTEXT sees only committed rows: a product written inside an open transaction is
found once that transaction commits (tests that search commit their products)."""

from __future__ import annotations

from .. import changes
from ..catalog.queries import CARD_COLUMNS, SORT_KEYS, SORTS, ListingFilters, _listing_conditions, _order_by
from ..db import execute, execute_many, fetch_all, in_list, transaction
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
# a word's postings come back in chunks of this many product ids, so that no one row of hex passes
# max_allowed_packet (16 MB on MariaDB; a word every product has is 12 bytes of hex a product)
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


async def rebuild_search_terms(conn, batch: int = 2000) -> int:
    """Fill search_terms from product_search for every product (`mooncart build-search-terms`,
    once after migration 0512 on a shop that has products; safe to run again): a transaction per
    batch of ids, each recorded in the change feed, so running instances re-read those products.
    Returns how many product ids the batches covered."""
    low, high = await select_search_id_range(conn)
    for first in range(low, high + 1, batch):
        async with transaction(conn):
            await refresh_search_terms_range(conn, first, first + batch - 1)
            await changes.record_range(conn, first, first + batch - 1)
    return 0 if high == 0 else high - low + 1


async def select_term_postings(conn, prefixes: list[str]) -> list[tuple[str, str]]:
    """(term, postings) for every term that begins with one of these prefixes, each prefix one
    range of the primary key, in one statement: each row a chunk of a term's products as hex (8
    digits of id, 4 of weight, ids ascending), so a word on 100,000 products is a few rows, not
    100,000 (search.index.parse_postings reads them). Prefixes hold letters and digits only
    (search.rules), escaped all the same."""
    if not prefixes:
        return []
    params: dict = {"chunk": POSTING_CHUNK_IDS}
    ranges = []
    for i, prefix in enumerate(prefixes):
        params[f"p{i}"] = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        ranges.append(f"term LIKE %(p{i})s")
    # GROUP_CONCAT stops at group_concat_max_len (1 MB on MariaDB, 1 KB on MySQL 8 by default)
    await execute(conn, "SET SESSION group_concat_max_len = %s", (GROUP_CONCAT_MAX,))
    rows = await fetch_all(
        conn,
        "SELECT term, GROUP_CONCAT(LPAD(HEX(product_id), 8, '0'), LPAD(HEX(weight), 4, '0') "  # nosec B608 # fixed text; values are %s parameters
        "ORDER BY product_id SEPARATOR '') AS postings FROM search_terms WHERE " + " OR ".join(ranges) + " "
        "GROUP BY term, product_id DIV %(chunk)s ORDER BY term, product_id DIV %(chunk)s",
        params,
    )
    return [(row["term"], row["postings"]) for row in rows]


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
    discount), checked on their own rows: the index knows the words, the database the rest."""
    if not product_ids:
        return set()
    params: dict = {}
    conditions = _listing_conditions(filters, None, params)
    placeholders, named = in_list(product_ids, "pid")
    params.update(named)
    rows = await fetch_all(
        conn,
        "SELECT p.id FROM products p WHERE p.id IN ("
        + placeholders
        + ")"  # nosec B608 # values are %s parameters
        + "".join(" AND " + condition for condition in conditions),
        params,
    )
    return {int(row["id"]) for row in rows}


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


# The best-match page ranks a bounded set of candidates: the CANDIDATES best matches by score
# alone, read from product_search without touching any other table, and only then are the
# listing's filters checked on those and the cards built for the one page. Measured on 1,000,000
# demo products (bench/search_scale.py): ranking every match of "kurti" (100,000 of them) with
# the filters, the picture and the in-stock flag per match took seconds; InnoDB's FULLTEXT search
# itself is the part that remains. The answer is exact whenever enough candidates pass the
# filters to fill the page (anything outside the candidates scores lower than all of them); when
# they do not, the page is ranked over every match (select_relevance_page's fallback).
CANDIDATES = 1000


def _keyset(after: tuple[int, int] | None, params: dict) -> str:
    """After the (score, id) of the last card shown, in product_search's own terms (the score is
    computed, so it is written out: a WHERE cannot name the select's alias)."""
    if after is None:
        return ""
    params["after_score"], params["after_id"] = after
    return (
        " AND (" + _SCORE_SQL + " < %(after_score)s OR (" + _SCORE_SQL + " = %(after_score)s "
        "AND ps.product_id < %(after_id)s))"
    )


async def select_relevance_page(
    conn, match: str, filters: ListingFilters, after: tuple[int, int] | None, limit: int
) -> list[dict]:
    """One page of product cards, best match first (then newest), with the listing's filters.
    `after` is the (score, id) of the last card shown: keyset pagination, as the listings. The
    columns are select_listing's, plus the score for the next page's cursor (a test checks that
    the two stay alike). Returns up to limit + 1 rows, so the caller knows of a next page.

    With filters, the page is first looked for among the CANDIDATES best matches; only when
    fewer than a page of those pass is it ranked over every match, so the answer is the same."""
    params: dict = {"match": match, "limit": limit + 1}
    keyset = _keyset(after, params)
    conditions = _listing_conditions(filters, None, params)
    if not conditions:
        return await fetch_all(conn, _relevance_sql(keyset, conditions, bounded=False), params)
    params["candidates"] = CANDIDATES
    rows = await fetch_all(conn, _relevance_sql(keyset, conditions, bounded=True), params)
    if len(rows) > limit:
        return rows
    return await fetch_all(conn, _relevance_sql(keyset, conditions, bounded=False), params)


def _relevance_sql(keyset: str, conditions: list[str], bounded: bool) -> str:
    """The page's ids by score from product_search alone (all of them or the best CANDIDATES),
    filtered on products when there are filters, then the cards of that page only: the picture,
    the in-stock flag and the reviews are looked up for 25 products, not for every match."""
    matches = (
        "SELECT ps.product_id, " + _SCORE_SQL + " AS score FROM product_search ps "  # nosec B608 # fixed text
        "WHERE " + _MATCHES_SQL + keyset
    )
    if not conditions:
        page = matches + " ORDER BY score DESC, ps.product_id DESC LIMIT %(limit)s"
    else:
        source = (
            "(" + matches + " ORDER BY score DESC, ps.product_id DESC LIMIT %(candidates)s)"
            if bounded
            else "(" + matches + ")"
        )
        page = (
            "SELECT c.product_id, c.score FROM " + source + " c "  # nosec B608 # values are %s parameters
            "JOIN products p ON p.id = c.product_id WHERE " + " AND ".join(conditions) + " "
            "ORDER BY c.score DESC, c.product_id DESC LIMIT %(limit)s"
        )
    return (
        "SELECT " + CARD_COLUMNS + ", page.score "  # nosec B608 # values are %s parameters
        "FROM (" + page + ") page JOIN products p ON p.id = page.product_id "
        "LEFT JOIN product_review_scores rs ON rs.product_id = p.id "
        "ORDER BY page.score DESC, p.id DESC"
    )


async def count_matches(conn, match: str, filters: ListingFilters, cap: int) -> int:
    """How many products match, counted up to `cap` (the page says "1,000+" beyond): a search for
    one common word on a million products must not count them all. Without filters the count
    needs product_search alone."""
    params: dict = {"match": match, "cap": cap}
    conditions = _listing_conditions(filters, None, params)
    join = " JOIN products p ON p.id = ps.product_id" if conditions else ""
    sql = (
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM product_search ps"  # nosec B608 # values are %s parameters
        + join
        + " WHERE "
        + " AND ".join([_MATCHES_SQL, *conditions])
        + " LIMIT %(cap)s) capped"
    )
    rows = await fetch_all(conn, sql, params)
    return int(rows[0]["n"])


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
