"""Search's SQL: the product_search rows (kept in step with the catalogue), the FULLTEXT
look-ups, the synonyms staff keep, and the words "Did you mean" draws on.

InnoDB FULLTEXT sees only committed rows: a product written inside an open transaction is
found once that transaction commits (tests that search commit their products)."""

from __future__ import annotations

from ..catalog.queries import CARD_COLUMNS, ListingFilters, _listing_conditions
from ..db import execute, fetch_all, in_list

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


async def refresh_search_text_range(conn, first_id: int, last_id: int) -> None:
    """The same for a range of ids (the demo catalogue writes products in batches of ids)."""
    await execute(conn, _REFRESH_SQL.format(where="p.id BETWEEN %s AND %s"), (first_id, last_id))


async def refresh_category_search_text(conn, category_id: int) -> None:
    """After a category is renamed: the rows of its products and of its children's products."""
    await execute(
        conn,
        _REFRESH_SQL.format(where="(c.id = %s OR c.parent_id = %s)"),
        (category_id, category_id),
    )


async def select_relevance_page(
    conn, match: str, filters: ListingFilters, after: tuple[int, int] | None, limit: int
) -> list[dict]:
    """One page of product cards, best match first (then newest), with the listing's filters.
    `after` is the (score, id) of the last card shown: keyset pagination, as the listings. The
    columns are select_listing's, plus the score for the next page's cursor (a test checks that
    the two stay alike). Returns up to limit + 1 rows, so the caller knows of a next page."""
    params: dict = {"match": match, "limit": limit + 1}
    keyset = None
    if after is not None:
        params["after_score"], params["after_id"] = after
        keyset = "(m.score < %(after_score)s OR (m.score = %(after_score)s AND p.id < %(after_id)s))"
    conditions = _listing_conditions(filters, keyset, params)
    sql = (
        "SELECT " + CARD_COLUMNS + ", m.score "  # nosec B608 # values are %s parameters
        "FROM (SELECT ps.product_id, " + _SCORE_SQL + " AS score FROM product_search ps "
        "WHERE " + _MATCHES_SQL + ") m "
        "JOIN products p ON p.id = m.product_id "
        "LEFT JOIN product_review_scores rs ON rs.product_id = p.id "
        + ("WHERE " + " AND ".join(conditions) + " " if conditions else "")
        + "ORDER BY m.score DESC, p.id DESC LIMIT %(limit)s"
    )
    return await fetch_all(conn, sql, params)


async def count_matches(conn, match: str, filters: ListingFilters, cap: int) -> int:
    """How many products match, counted up to `cap` (the page says "1,000+" beyond): a search for
    one common word on a million products must not count them all."""
    params: dict = {"match": match, "cap": cap}
    conditions = _listing_conditions(filters, None, params)
    sql = (
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM product_search ps JOIN products p ON p.id = ps.product_id "  # nosec B608 # values are %s parameters
        "WHERE " + " AND ".join([_MATCHES_SQL, *conditions]) + " LIMIT %(cap)s) capped"
    )
    rows = await fetch_all(conn, sql, params)
    return int(rows[0]["n"])


async def select_suggestions(conn, match: str, limit: int) -> list[dict]:
    """The type-ahead's products: the best few matches by name, in one statement."""
    return await fetch_all(
        conn,
        "SELECT p.slug, p.name, p.from_price_paise FROM (SELECT ps.product_id, "
        + _SCORE_SQL  # nosec B608 # fixed text; values are %s parameters
        + " AS score FROM product_search ps WHERE "
        + _MATCHES_SQL
        + ") m JOIN products p ON p.id = m.product_id ORDER BY m.score DESC, p.id DESC LIMIT %(limit)s",
        {"match": match, "limit": limit},
    )


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
