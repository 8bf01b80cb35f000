"""The bag's SQL. The add-to-bag path is at most three statements: look up, (new bag,) upsert."""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog.queries import FIRST_IMAGE_SQL
from ..db import execute, execute_many, fetch_all, fetch_one, fetch_val
from ..inventory.queries import held_by_others_sql, own_hold_sql

# A variant's stock as this shopper may have it: what others' live holds leave (issue 14). The
# column keeps its name, `stock`, so every rule and badge built on it counts holds unchanged.
# One %s parameter: the viewer's user id.
FREE_STOCK_SQL = "GREATEST(v.stock - " + held_by_others_sql("v.id") + ", 0) AS stock"

# The header's number: units in the bag `c`. One definition, read by pages and by add-to-bag.
BAG_COUNT_SQL = "(SELECT COALESCE(SUM(b.quantity), 0) FROM cart_items b WHERE b.cart_id = c.id)"

# Whose bag a cookie may name: a guest's bag, or the signed-in shopper's own (`user_id`, NULL when
# nobody is signed in). A cookie left behind when a session expired names the account's bag; the
# next visitor on that browser must neither see nor change it.
MINE_SQL = "(c.user_id IS NULL OR c.user_id = %s)"


async def select_bag_count(conn, token: str | None, user_id: int | None) -> int | None:
    """Units in the bag, for the header; None when the token names no bag this visitor may use."""
    if token is None:
        return 0
    count = await fetch_val(
        conn,
        "SELECT " + BAG_COUNT_SQL + " FROM carts c WHERE c.token = %s AND " + MINE_SQL,  # nosec B608 # values are %s parameters
        (token, user_id),
    )
    return None if count is None else int(count)


async def select_variant_in_bag(conn, variant_id: int, token: str | None, user_id: int | None) -> dict | None:
    """One statement for everything adding to the bag needs: the variant and its stock, the
    bag (if any), how many of this variant it holds, and its total count for the header."""
    return await fetch_one(
        conn,
        "SELECT v.id, v.product_id, p.slug AS product_slug, " + FREE_STOCK_SQL + ", c.id AS cart_id, "  # nosec B608 # values are %s parameters
        "COALESCE(ci.quantity, 0) AS in_bag, " + BAG_COUNT_SQL + " AS bag_count "
        "FROM variants v JOIN products p ON p.id = v.product_id LEFT JOIN carts c ON c.token = %s AND " + MINE_SQL + " "
        "LEFT JOIN cart_items ci ON ci.cart_id = c.id AND ci.variant_id = v.id "
        "WHERE v.id = %s",
        (user_id, token or "", user_id, variant_id),
    )


async def insert_cart(conn, token: str) -> int:
    """A new, empty guest bag for this token; returns its id."""
    _, cart_id = await execute(conn, "INSERT INTO carts (token) VALUES (%s)", (token,))
    return cart_id


async def add_to_line(conn, cart_id: int, variant_id: int, quantity: int, line_limit: int) -> bool:
    """Grow the bag line by `quantity`, never past `line_limit` even if two adds race.
    Returns False when nothing changed (the race was lost)."""
    affected, _ = await execute(
        conn,
        "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, %s) "
        "ON DUPLICATE KEY UPDATE quantity = IF(quantity + %s <= %s, quantity + %s, quantity)",
        (cart_id, variant_id, quantity, quantity, line_limit, quantity),
    )
    return affected > 0


async def update_line_quantity(conn, cart_id: int, variant_id: int, quantity: int) -> bool:
    """Set a bag line's quantity (the caller has checked it); False when the line is gone."""
    affected, _ = await execute(
        conn,
        "UPDATE cart_items SET quantity = %s WHERE cart_id = %s AND variant_id = %s",
        (quantity, cart_id, variant_id),
    )
    return affected > 0


async def delete_line(conn, token: str, user_id: int | None, variant_id: int) -> bool:
    """By the line's unique key: a join here may scan and lock other bags' lines, which
    deadlocks with checkouts (seen under the random-history test)."""
    cart_id = await fetch_val(
        conn,
        "SELECT id FROM carts c WHERE c.token = %s AND " + MINE_SQL,  # nosec B608 # values are %s parameters
        (token, user_id),
    )
    if cart_id is None:
        return False
    affected, _ = await execute(
        conn, "DELETE FROM cart_items WHERE cart_id = %s AND variant_id = %s", (cart_id, variant_id)
    )
    return affected > 0


async def select_bag_lines(conn, token: str | None, user_id: int | None) -> list[dict]:
    """Every line of the bag with what the bag page shows, oldest first, in one statement."""
    if token is None:
        return []
    return await fetch_all(
        conn,
        "SELECT ci.variant_id, ci.quantity, " + FREE_STOCK_SQL + ", v.sku, v.price_paise, s.label AS size, "  # nosec B608 # values are %s parameters
        "co.name AS colour, p.name AS product_name, p.slug AS product_slug, "
        + FIRST_IMAGE_SQL
        + " AS image_path, "
        + own_hold_sql("v.id", "expires_at")
        + " AS held_until, "
        + own_hold_sql("v.id", "quantity")
        + " AS held_quantity "
        "FROM carts c JOIN cart_items ci ON ci.cart_id = c.id "
        "JOIN variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id "
        "JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
        "WHERE c.token = %s AND " + MINE_SQL + " ORDER BY ci.added_at, ci.id",
        (user_id, user_id, user_id, token, user_id),
    )


# ---- a guest's bag joining the account's bag at log-in (bag/merge.py holds the rules) ----------


@dataclass(frozen=True)
class Cart:
    """A bag: its id for joins, its token for the signed cookie."""

    id: int
    token: str


@dataclass(frozen=True)
class GuestLine:
    """A guest bag's line beside what the account's bag already holds of the same variant."""

    variant_id: int
    quantity: int
    stock: int
    in_bag: int
    name: str
    size: str


async def insert_user_cart_if_missing(conn, token: str, user_id: int) -> None:
    """An account has at most one bag (a unique key on user_id): IGNORE keeps the one it has, so
    two tabs signing in at once cannot make two."""
    await execute(conn, "INSERT IGNORE INTO carts (token, user_id) VALUES (%s, %s)", (token, user_id))


async def select_user_cart(conn, user_id: int) -> Cart | None:
    """The account's bag, or None before its first add."""
    row = await fetch_one(conn, "SELECT id, token FROM carts WHERE user_id = %s", (user_id,))
    return None if row is None else Cart(**row)


async def select_user_cart_for_update(conn, user_id: int) -> Cart | None:
    """The account's bag, locked: two log-ins of one account merge one after the other."""
    row = await fetch_one(conn, "SELECT id, token FROM carts WHERE user_id = %s FOR UPDATE", (user_id,))
    return None if row is None else Cart(**row)


async def select_guest_cart_for_update(conn, token: str) -> int | None:
    """The id of a guest's bag (one no account owns yet), locked, so it is claimed only once."""
    return await fetch_val(conn, "SELECT id FROM carts WHERE token = %s AND user_id IS NULL FOR UPDATE", (token,))


async def update_cart_owner(conn, cart_id: int, user_id: int) -> None:
    """The guest's bag becomes the account's (when the account had none to merge into)."""
    await execute(conn, "UPDATE carts SET user_id = %s WHERE id = %s", (user_id, cart_id))


async def select_cart_units(conn, cart_id: int) -> int:
    """Units in a bag known by id (select_bag_count is by the cookie's token)."""
    return int(
        await fetch_val(conn, "SELECT COALESCE(SUM(quantity), 0) FROM cart_items WHERE cart_id = %s", (cart_id,))
    )


async def select_guest_lines(conn, guest_cart_id: int, user_cart_id: int) -> list[GuestLine]:
    """Every line of the guest's bag with the variant's stock and what the account's bag holds of
    it, in variant id order, in one statement."""
    rows = await fetch_all(
        conn,
        "SELECT g.variant_id, g.quantity, v.stock, COALESCE(m.quantity, 0) AS in_bag, p.name, s.label AS size "
        "FROM cart_items g JOIN variants v ON v.id = g.variant_id JOIN products p ON p.id = v.product_id "
        "JOIN sizes s ON s.id = v.size_id "
        "LEFT JOIN cart_items m ON m.cart_id = %s AND m.variant_id = g.variant_id "
        "WHERE g.cart_id = %s ORDER BY g.variant_id",
        (user_cart_id, guest_cart_id),
    )
    return [GuestLine(**row) for row in rows]


async def upsert_line_quantities(conn, cart_id: int, quantities: dict[int, int]) -> None:
    """Set {variant_id: quantity} in the bag, adding the lines it lacks, in one INSERT."""
    await execute_many(
        conn,
        "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, %s) "
        "ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)",
        [(cart_id, variant_id, quantity) for variant_id, quantity in quantities.items()],
    )


async def delete_cart(conn, cart_id: int) -> None:
    """The bag and (by the foreign key's cascade) its lines."""
    await execute(conn, "DELETE FROM carts WHERE id = %s", (cart_id,))


async def select_product_variants(conn, product_id: int, token: str | None, user_id: int | None) -> list[dict]:
    """A product's variants for its colour and size picker: size, colour, stock and how many of
    each are already in this bag, in one statement."""
    return await fetch_all(
        conn,
        "SELECT v.id, v.sku, v.price_paise, " + FREE_STOCK_SQL + ", s.label AS size, s.position AS size_position, "  # nosec B608 # values are %s parameters
        "co.name AS colour, "
        "co.hex AS colour_hex, COALESCE(ci.quantity, 0) AS in_bag "
        "FROM variants v JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
        "LEFT JOIN carts c ON c.token = %s AND " + MINE_SQL + " "
        "LEFT JOIN cart_items ci ON ci.variant_id = v.id AND ci.cart_id = c.id "
        "WHERE v.product_id = %s ORDER BY co.name, s.position",
        (user_id, token or "", user_id, product_id),
    )


async def select_bag_quantities(conn, token: str, user_id: int | None, product_id: int) -> dict[int, int]:
    """How many of each of a product's variants the bag `token` holds ({variant id: quantity})."""
    return (await select_bag_quantities_and_holds(conn, token, user_id, product_id))[0]


async def select_bag_quantities_and_holds(
    conn, token: str | None, user_id: int | None, product_id: int
) -> tuple[dict[int, int], dict[int, int]]:
    """How many of each of a product's variants the bag `token` holds (none when token is None: a
    signed-in shopper without a bag still has her holds), and how many the shopper's
    own live holds keep for her ({variant id: quantity} each), for the product page, whose variants
    the catalogue reads with the product (with every hold taken off: the page is the same for
    everyone; the picker gives her own back). The stream and the add reply use
    select_product_variants: the same numbers, a test keeps them so."""
    rows = await fetch_all(
        conn,
        "SELECT v.id AS variant_id, COALESCE(ci.quantity, 0) AS quantity, COALESCE(sh.quantity, 0) AS held "  # nosec B608 # values are %s parameters
        "FROM variants v LEFT JOIN carts c ON c.token = %s AND " + MINE_SQL + " "
        "LEFT JOIN cart_items ci ON ci.cart_id = c.id AND ci.variant_id = v.id "
        "LEFT JOIN stock_holds sh ON sh.user_id = %s AND sh.variant_id = v.id AND sh.expires_at > UTC_TIMESTAMP(6) "
        "WHERE v.product_id = %s",
        (token, user_id, user_id, product_id),
    )
    return (
        {row["variant_id"]: row["quantity"] for row in rows if row["quantity"]},
        {row["variant_id"]: row["held"] for row in rows if row["held"]},
    )
