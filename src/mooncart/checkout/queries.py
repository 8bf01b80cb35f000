"""Checkout's SQL: the bag as the order will see it, under lock, and emptying it afterwards.
The order itself is written by orders/queries.py and the stock moved by inventory/stock.py."""

from __future__ import annotations

from ..bag.queries import MINE_SQL
from ..bag.summary import BagLine
from ..db import execute, execute_many, fetch_all, fetch_one, fetch_val, in_list
from ..inventory.queries import held_by_others_sql


async def select_shoppers_cart_id(conn, token: str | None, user_id: int) -> int | None:
    """The id of the bag in the cookie if it is this shopper's own; None otherwise. Checking the
    owner too means a copied cookie can never place an order from someone else's bag."""
    return await fetch_val(conn, "SELECT id FROM carts WHERE token = %s AND user_id = %s", (token or "", user_id))


async def select_cart_for_update(conn, cart_id: int) -> int | None:
    """Lock the bag's row (its id, or None if it is gone): one checkout at a time per bag, so a
    double-click waits here and then sees the order the first click placed."""
    return await fetch_val(conn, "SELECT id FROM carts WHERE id = %s FOR UPDATE", (cart_id,))


async def select_lines_for_order(conn, cart_id: int, user_id: int | None = None) -> list[BagLine]:
    """The bag's lines with the prices and names the order will keep, in variant id order (the
    order their stock rows are then locked in), and what others' live holds keep of each
    (issue 14; read in the placement's snapshot, taken after its variant locks). No picture: an
    order does not show one."""
    rows = await fetch_all(
        conn,
        "SELECT ci.variant_id, ci.quantity, v.stock, v.sku, v.price_paise, s.label AS size, co.name AS colour, "  # nosec B608 # fixed SQL text and %s parameters only
        "p.name AS product_name, p.slug AS product_slug, NULL AS image_path, "
        + held_by_others_sql("v.id")
        + " AS others_held "
        "FROM cart_items ci JOIN variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id "
        "JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
        "WHERE ci.cart_id = %s ORDER BY ci.variant_id",
        (user_id, cart_id),
    )
    return [BagLine(**row) for row in rows]


async def delete_ordered_lines(conn, cart_id: int, variant_ids) -> int:
    """Empty the bag of what was just ordered; returns the lines removed. Only the lines ordered,
    each by its unique key: a scan of cart_items here would lock other shoppers' lines and
    deadlock with their adds (seen under the random-history test). A line added from another tab
    while the order was being placed stays in the bag."""
    placeholders, params = in_list(variant_ids)
    affected, _ = await execute(
        conn,
        "DELETE FROM cart_items WHERE cart_id = %s AND variant_id IN ("  # nosec B608 # only in_list()'s %s placeholders are joined in
        + placeholders
        + ")",
        [cart_id, *params],
    )
    return affected


async def restore_lines(conn, user_id: int, order_id: int) -> int:
    """Put an order's lines back in the shopper's bag (its payment failed, so she can try again
    as she was). Each line by the bag's unique key; a line she has added again meanwhile adds up.
    Plain VALUES rows, not INSERT ... SELECT: that is a bulk insert, which takes the table's
    AUTO-INC lock, and a deadlock on that lock reaches the client as error 1467 ("Failed to read
    auto-increment value"), which nothing retries (seen under the random-history test)."""
    cart_id = await fetch_val(conn, "SELECT id FROM carts WHERE user_id = %s", (user_id,))
    lines = await fetch_all(
        conn,
        "SELECT variant_id, quantity FROM order_items WHERE order_id = %s "
        "AND variant_id IS NOT NULL ORDER BY variant_id",
        (order_id,),
    )
    if cart_id is None or not lines:
        return 0
    return await execute_many(
        conn,
        "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, %s) "
        "ON DUPLICATE KEY UPDATE quantity = LEAST(cart_items.quantity + VALUES(quantity), 999)",
        [(cart_id, line["variant_id"], line["quantity"]) for line in lines],
    )


# ---- vouchers (checkout/vouchers.py) and the confirmed prices (checkout/confirmation.py) ---------

VOUCHER_COLUMNS = (
    "v.id, v.code, v.description, v.kind, v.amount, v.max_discount_paise, v.min_order_paise, v.starts_at, "
    "v.expires_at, v.usage_limit, v.per_shopper_limit, v.used, v.active, "
    "(v.starts_at IS NOT NULL AND v.starts_at > UTC_TIMESTAMP(6)) AS not_started, "
    "(v.expires_at IS NOT NULL AND v.expires_at <= UTC_TIMESTAMP(6)) AS expired, "
    "(SELECT GROUP_CONCAT(vc.category_id ORDER BY vc.category_id) FROM voucher_categories vc "
    "WHERE vc.voucher_id = v.id) AS category_ids"
)


async def select_voucher_by_code(conn, code: str) -> dict | None:
    """A voucher by its code (upper case), with whether it has started or expired by the
    database's UTC clock and the categories it is limited to ("4,9", or NULL for all)."""
    return await fetch_one(conn, "SELECT " + VOUCHER_COLUMNS + " FROM vouchers v WHERE v.code = %s", (code,))  # nosec B608 # values are %s parameters


async def select_voucher(conn, voucher_id: int) -> dict | None:
    """One voucher with its categories and use count, or None."""
    return await fetch_one(conn, "SELECT " + VOUCHER_COLUMNS + " FROM vouchers v WHERE v.id = %s", (voucher_id,))  # nosec B608 # values are %s parameters


async def select_cart_voucher(conn, cart_id: int) -> dict | None:
    """The voucher this bag carries, as select_voucher_by_code() gives it; None when none."""
    return await fetch_one(
        conn,
        "SELECT " + VOUCHER_COLUMNS + " FROM cart_vouchers cv "  # nosec B608 # values are %s parameters
        "JOIN vouchers v ON v.id = cv.voucher_id WHERE cv.cart_id = %s",
        (cart_id,),
    )


async def select_cart_id(conn, token: str | None, user_id: int | None) -> int | None:
    """The bag's id from its cookie token, or None; like every bag look-up, only a guest's bag or
    this shopper's own (a cookie left from an ended session opens nobody's account bag)."""
    return await fetch_val(
        conn,
        "SELECT c.id FROM carts c WHERE c.token = %s AND " + MINE_SQL,  # nosec B608 # values are %s parameters
        (token or "", user_id),
    )


async def put_cart_voucher(conn, cart_id: int, voucher_id: int) -> None:
    """Put this voucher on the bag, in place of any other (one voucher at a time)."""
    await execute(
        conn,
        "INSERT INTO cart_vouchers (cart_id, voucher_id) VALUES (%s, %s) "
        "ON DUPLICATE KEY UPDATE voucher_id = %s, applied_at = CURRENT_TIMESTAMP(6)",
        (cart_id, voucher_id, voucher_id),
    )


async def delete_cart_voucher(conn, cart_id: int) -> bool:
    """Take the voucher off a bag; False when there was none."""
    affected, _ = await execute(conn, "DELETE FROM cart_vouchers WHERE cart_id = %s", (cart_id,))
    return affected > 0


async def select_line_categories(conn, variant_ids) -> dict[int, set[int]]:
    """Each variant's category and that category's parent: a voucher for a parent category
    (Ethnic wear) covers its subcategories (Kurtis)."""
    placeholders, params = in_list(variant_ids)
    rows = await fetch_all(
        conn,
        "SELECT v.id AS variant_id, c.id AS category_id, c.parent_id FROM variants v "  # nosec B608 # only in_list()'s %s placeholders are joined in
        "JOIN products p ON p.id = v.product_id JOIN categories c ON c.id = p.category_id "
        "WHERE v.id IN (" + placeholders + ")",
        params,
    )
    return {
        row["variant_id"]: {row["category_id"]} | ({row["parent_id"]} if row["parent_id"] else set()) for row in rows
    }


async def select_category_names(conn, category_ids) -> list[str]:
    """The names of these categories, in shop order, to say where a voucher applies."""
    placeholders, params = in_list(category_ids)
    return [
        row["name"]
        for row in await fetch_all(
            conn, "SELECT name FROM categories WHERE id IN (" + placeholders + ") ORDER BY position, name", params
        )
    ]  # nosec B608 # only in_list()'s %s placeholders are joined in


async def count_shopper_redemptions(conn, voucher_id: int, user_id: int, lock: bool = False) -> int:
    """How many orders this shopper has placed with this voucher. With lock=True a locking read
    (the newest committed rows, not the transaction's snapshot), taken while the voucher's row is
    locked, so two of her checkouts at once cannot both count the other as not yet there."""
    sql = "SELECT COUNT(*) FROM voucher_redemptions WHERE voucher_id = %s AND user_id = %s"
    return int(await fetch_val(conn, sql + (" FOR UPDATE" if lock else ""), (voucher_id, user_id)))


async def claim_voucher_use(conn, voucher_id: int) -> bool:
    """Count one use, only while the voucher is on, in its dates and under its limit: a
    conditional UPDATE, so under any number of checkouts at once a limit of 100 gives exactly 100
    (each waits for the row's lock, then sees the count the one before it left). Locks the row
    until the order's transaction ends; False when it may not be used."""
    affected, _ = await execute(
        conn,
        "UPDATE vouchers SET used = used + 1 WHERE id = %s AND active "
        "AND (usage_limit IS NULL OR used < usage_limit) "
        "AND (starts_at IS NULL OR starts_at <= UTC_TIMESTAMP(6)) "
        "AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(6))",
        (voucher_id,),
    )
    return affected == 1


async def insert_redemption(conn, voucher_id: int, user_id: int, order_id: int, discount_paise: int) -> None:
    """Record that an order used a voucher, which counts against its limits."""
    await execute(
        conn,
        "INSERT INTO voucher_redemptions (voucher_id, user_id, order_id, discount_paise) VALUES (%s, %s, %s, %s)",
        (voucher_id, user_id, order_id, discount_paise),
    )


async def select_redemption_for_update(conn, order_id: int) -> dict | None:
    """An order's voucher redemption, locked, so cancelling gives the use back once."""
    return await fetch_one(
        conn, "SELECT id, voucher_id FROM voucher_redemptions WHERE order_id = %s FOR UPDATE", (order_id,)
    )


async def release_voucher_use(conn, redemption_id: int, voucher_id: int) -> None:
    """Give a use back (an order that was never paid for): the redemption goes, the count drops."""
    await execute(conn, "DELETE FROM voucher_redemptions WHERE id = %s", (redemption_id,))
    await execute(conn, "UPDATE vouchers SET used = used - 1 WHERE id = %s AND used > 0", (voucher_id,))


async def select_variant_names(conn, variant_ids) -> dict[int, dict]:
    """Name, size and colour of variants (for a line that has left the bag since the shopper saw it)."""
    placeholders, params = in_list(variant_ids)
    rows = await fetch_all(
        conn,
        "SELECT v.id AS variant_id, p.name AS product_name, s.label AS size, "  # nosec B608 # only in_list()'s %s placeholders are joined in
        "co.name AS colour FROM variants v JOIN products p ON p.id = v.product_id "
        "JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
        "WHERE v.id IN (" + placeholders + ")",
        params,
    )
    return {row["variant_id"]: row for row in rows}


# the back office's vouchers (admin/vouchers.py)


async def select_vouchers(conn) -> list[dict]:
    """Every voucher, newest first, with its uses."""
    return await fetch_all(conn, "SELECT " + VOUCHER_COLUMNS + " FROM vouchers v ORDER BY v.id DESC")  # nosec B608 # no values at all


async def insert_voucher(conn, values: dict) -> int:
    """Create a voucher from the staff form's values; returns its id."""
    _, voucher_id = await execute(
        conn,
        "INSERT INTO vouchers (code, description, kind, amount, max_discount_paise, min_order_paise, starts_at, "
        "expires_at, usage_limit, per_shopper_limit, active) "
        "VALUES (%(code)s, %(description)s, %(kind)s, %(amount)s, %(max_discount_paise)s, %(min_order_paise)s, "
        "%(starts_at)s, %(expires_at)s, %(usage_limit)s, %(per_shopper_limit)s, %(active)s)",
        values,
    )
    return voucher_id


async def update_voucher(conn, voucher_id: int, values: dict) -> bool:
    """Change a voucher (not its uses). A limit below the uses already counted is refused by the
    CHECK constraint; the caller checks first to say so."""
    affected, _ = await execute(
        conn,
        "UPDATE vouchers SET code = %(code)s, description = %(description)s, kind = %(kind)s, "
        "amount = %(amount)s, max_discount_paise = %(max_discount_paise)s, min_order_paise = %(min_order_paise)s, "
        "starts_at = %(starts_at)s, expires_at = %(expires_at)s, usage_limit = %(usage_limit)s, "
        "per_shopper_limit = %(per_shopper_limit)s, active = %(active)s WHERE id = %(id)s",
        dict(values, id=voucher_id),
    )
    return affected > 0


async def replace_voucher_categories(conn, voucher_id: int, category_ids) -> None:
    """Set the categories a voucher applies to (none: every category)."""
    await execute(conn, "DELETE FROM voucher_categories WHERE voucher_id = %s", (voucher_id,))
    if category_ids:
        await execute_many(
            conn,
            "INSERT INTO voucher_categories (voucher_id, category_id) VALUES (%s, %s)",
            [(voucher_id, category_id) for category_id in category_ids],
        )


async def select_voucher_used_for_update(conn, voucher_id: int) -> int:
    """The uses counted so far, with the row locked (staff changing the limit wait for a checkout
    that is counting one, and then see it)."""
    return int(await fetch_val(conn, "SELECT used FROM vouchers WHERE id = %s FOR UPDATE", (voucher_id,)) or 0)


async def select_hot_rows(conn, cart_id: int) -> tuple[list[int], int | None]:
    """The bag's variant ids and its voucher's id, read before the order's transaction begins,
    so that transaction can lock those rows before its first plain read (see placement.py)."""
    rows = await fetch_all(
        conn,
        "SELECT ci.variant_id, cv.voucher_id FROM carts c "
        "LEFT JOIN cart_items ci ON ci.cart_id = c.id "
        "LEFT JOIN cart_vouchers cv ON cv.cart_id = c.id WHERE c.id = %s",
        (cart_id,),
    )
    variant_ids = sorted({row["variant_id"] for row in rows if row["variant_id"] is not None})
    voucher_id = next((row["voucher_id"] for row in rows if row["voucher_id"] is not None), None)
    return variant_ids, voucher_id


async def lock_voucher(conn, voucher_id: int) -> None:
    """Lock a voucher's row so two orders cannot both take its last use."""
    await fetch_val(conn, "SELECT id FROM vouchers WHERE id = %s FOR UPDATE", (voucher_id,))
