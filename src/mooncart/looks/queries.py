"""The looks' SQL. The product page's look is one statement (the look, its pieces and each piece's
sizes with their stock, as JSON); the look page's is one too. Stock is never read from here for a
decision: "Add the look" asks the bag (looks/bagging.py)."""

from __future__ import annotations

import json

from ..catalog.queries import FIRST_IMAGE_SQL
from ..db import execute, fetch_all, fetch_one, fetch_val
from .rules import Look, Piece


def for_sale(alias: str) -> str:
    """SQL true when product `alias` is still for sale: it has sizes. The one place that says which
    pieces a shopper sees (a deleted product's pieces are gone with it, by the foreign key)."""
    return f"EXISTS (SELECT 1 FROM variants fs WHERE fs.product_id = {alias}.id)"


# a piece's columns: the product, its first picture, and its sizes (read fresh: stock is never cached)
PIECE_COLUMNS = (
    "p.id AS product_id, p.slug, p.name, p.from_price_paise, " + FIRST_IMAGE_SQL + " AS image_path, "
    "lp.position, (SELECT JSON_ARRAYAGG(JSON_OBJECT('id', v.id, 'size', s.label, 'size_position', s.position, "
    "'colour', co.name, 'price_paise', v.price_paise, 'stock', v.stock)) "
    "FROM variants v JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
    "WHERE v.product_id = p.id) AS variants_json"
)
LOOK_COLUMNS = "l.id AS look_id, l.slug AS look_slug, l.name AS look_name, l.description, l.published"


def piece_from_row(row: dict) -> Piece:
    """A piece from a row of PIECE_COLUMNS. JSON_ARRAYAGG has no portable ORDER BY (MariaDB 10.11,
    MySQL 8), so the sizes are put in order here: by size, then colour."""
    variants = sorted(
        json.loads(row["variants_json"] or "[]"), key=lambda v: (v["size_position"], v["colour"].casefold(), v["id"])
    )
    return Piece(
        product_id=row["product_id"],
        slug=row["slug"],
        name=row["name"],
        from_price_paise=row["from_price_paise"],
        image_path=row["image_path"],
        position=row["position"],
        variants=tuple(variants),
    )


def look_from_rows(rows: list[dict]) -> Look | None:
    """One look from its rows (one per piece; a look without pieces has one row of NULLs)."""
    if not rows:
        return None
    first = rows[0]
    pieces = tuple(piece_from_row(row) for row in rows if row["product_id"] is not None)
    return Look(
        first["look_id"], first["look_slug"], first["look_name"], first["description"], bool(first["published"]), pieces
    )


async def select_look_for_product(conn, product_id: int) -> Look | None:
    """The product page's look, in one statement: the newest published look the product is in
    that still has two pieces for sale, with those pieces and their sizes; None when there is none."""
    rows = await fetch_all(
        conn,
        "SELECT " + LOOK_COLUMNS + ", " + PIECE_COLUMNS + " "  # nosec B608 # fixed text; values are %s parameters
        "FROM looks l JOIN look_pieces lp ON lp.look_id = l.id JOIN products p ON p.id = lp.product_id "
        "WHERE l.id = (SELECT m.look_id FROM look_pieces m JOIN looks ml ON ml.id = m.look_id "
        "WHERE m.product_id = %s AND ml.published AND (SELECT COUNT(*) FROM look_pieces mp "
        "JOIN products p2 ON p2.id = mp.product_id WHERE mp.look_id = m.look_id AND " + for_sale("p2") + ") >= 2 "
        "ORDER BY m.look_id DESC LIMIT 1) AND " + for_sale("p") + " ORDER BY lp.position, p.id",
        (product_id,),
    )
    return look_from_rows(rows)


async def select_shown_look(conn, slug: str) -> Look | None:
    """A published look by its address, with the pieces still for sale, in one statement; None
    when there is no such published look (the caller also hides one left with fewer than two)."""
    rows = await fetch_all(
        conn,
        "SELECT " + LOOK_COLUMNS + ", " + PIECE_COLUMNS + " "  # nosec B608 # fixed text; values are %s parameters
        "FROM looks l JOIN look_pieces lp ON lp.look_id = l.id JOIN products p ON p.id = lp.product_id "
        "WHERE l.slug = %s AND l.published AND " + for_sale("p") + " ORDER BY lp.position, p.id",
        (slug,),
    )
    return look_from_rows(rows)


# ---- the back office ------------------------------------------------------------------------


async def select_looks(conn) -> list[dict]:
    """Every look, newest first, with how many pieces it has and how many are for sale."""
    return await fetch_all(
        conn,
        "SELECT l.id, l.slug, l.name, l.published, COUNT(p.id) AS pieces, "  # nosec B608 # fixed text only
        "COALESCE(SUM(" + for_sale("p") + "), 0) AS pieces_for_sale "
        "FROM looks l LEFT JOIN look_pieces lp ON lp.look_id = l.id LEFT JOIN products p ON p.id = lp.product_id "
        "GROUP BY l.id, l.slug, l.name, l.published ORDER BY l.id DESC",
    )


async def select_look(conn, look_id: int) -> Look | None:
    """A look by id with every piece (for sale or not), for staff."""
    rows = await fetch_all(
        conn,
        "SELECT " + LOOK_COLUMNS + ", " + PIECE_COLUMNS + " "  # nosec B608 # fixed text; values are %s parameters
        "FROM looks l LEFT JOIN look_pieces lp ON lp.look_id = l.id LEFT JOIN products p ON p.id = lp.product_id "
        "WHERE l.id = %s ORDER BY lp.position, p.id",
        (look_id,),
    )
    return look_from_rows(rows)


async def select_look_id_by_slug(conn, slug: str) -> int | None:
    """The id of the look with this address, if any (addresses are unique)."""
    return await fetch_val(conn, "SELECT id FROM looks WHERE slug = %s", (slug,))


async def insert_look(conn, values: dict) -> int:
    """A new look, unpublished and without pieces; returns its id."""
    _, look_id = await execute(
        conn,
        "INSERT INTO looks (slug, name, description) VALUES (%(slug)s, %(name)s, %(description)s)",
        values,
    )
    return look_id


async def update_look(conn, look_id: int, values: dict) -> None:
    """A look's name, address and description."""
    await execute(
        conn,
        "UPDATE looks SET slug = %(slug)s, name = %(name)s, description = %(description)s WHERE id = %(id)s",
        dict(values, id=look_id),
    )


async def delete_look(conn, look_id: int) -> bool:
    """The look and (by the foreign key) its pieces; the products stay."""
    affected, _ = await execute(conn, "DELETE FROM looks WHERE id = %s", (look_id,))
    return affected > 0


async def lock_look(conn, look_id: int) -> bool:
    """Lock the look's row: one change to a look's pieces at a time, so positions stay distinct
    and "at least two pieces to be published" holds. False when the look is gone."""
    return await fetch_val(conn, "SELECT id FROM looks WHERE id = %s FOR UPDATE", (look_id,)) is not None


async def select_piece_ids(conn, look_id: int) -> list[int]:
    """The look's products in the order staff set."""
    rows = await fetch_all(
        conn, "SELECT product_id FROM look_pieces WHERE look_id = %s ORDER BY position, product_id", (look_id,)
    )
    return [row["product_id"] for row in rows]


async def insert_piece(conn, look_id: int, product_id: int, position: int) -> None:
    """A product joins the look at `position` (the caller holds the look's lock)."""
    await execute(
        conn,
        "INSERT INTO look_pieces (look_id, product_id, position) VALUES (%s, %s, %s)",
        (look_id, product_id, position),
    )


async def delete_piece(conn, look_id: int, product_id: int) -> bool:
    """A product leaves the look; False when it was not in it."""
    affected, _ = await execute(
        conn, "DELETE FROM look_pieces WHERE look_id = %s AND product_id = %s", (look_id, product_id)
    )
    return affected > 0


async def update_positions(conn, look_id: int, product_ids: list[int]) -> None:
    """Number the look's pieces 1, 2, 3... in this order, in one statement."""
    if not product_ids:
        return
    case = "CASE product_id " + " ".join("WHEN %s THEN %s" for _ in product_ids) + " END"
    params = [x for position, product_id in enumerate(product_ids, 1) for x in (product_id, position)]
    await execute(
        conn,
        "UPDATE look_pieces SET position = " + case + " WHERE look_id = %s",  # nosec B608 # fixed text and %s placeholders
        [*params, look_id],
    )


async def update_published(conn, look_id: int, published: bool) -> None:
    """Show the look to shoppers, or stop showing it."""
    await execute(conn, "UPDATE looks SET published = %s WHERE id = %s", (published, look_id))


async def select_product_for_piece(conn, slug: str | None, product_id: int | None) -> dict | None:
    """The product staff named (by its address or its style code's number), with whether it is for sale."""
    return await fetch_one(
        conn,
        "SELECT p.id, p.name, " + for_sale("p") + " AS for_sale FROM products p "  # nosec B608 # fixed text only
        "WHERE p.slug = %s OR p.id = %s LIMIT 1",
        (slug or "", product_id or 0),
    )
