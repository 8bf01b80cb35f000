"""A guest's bag joining the account's bag at log-in: quantities added, capped at stock."""

from __future__ import annotations

from .rules import Availability
from ..db import execute, execute_many, fetch_all, fetch_one, fetch_val, transaction
from .token import new_token


async def user_cart(conn, user_id: int) -> tuple[str, int]:
    """The account's bag (token, id), made if it has none."""
    await execute(conn, "INSERT IGNORE INTO carts (token, user_id) VALUES (%s, %s)", (new_token(), user_id))
    row = await fetch_one(conn, "SELECT token, id FROM carts WHERE user_id = %s", (user_id,))
    return row["token"], row["id"]


async def claim_bag(conn, guest_token: str | None, user_id: int) -> tuple[str | None, list[str]]:
    """Give the signed-in shopper one bag. Returns its token (None: no bag at all) and what the
    shopper should be told."""
    async with transaction(conn):
        mine = await fetch_one(conn, "SELECT id, token FROM carts WHERE user_id = %s FOR UPDATE", (user_id,))
        guest = None
        if guest_token:
            guest = await fetch_one(conn, "SELECT id FROM carts WHERE token = %s AND user_id IS NULL FOR UPDATE",
                                    (guest_token,))
        if guest is None:
            return (mine["token"] if mine else None), []
        if mine is None:
            await execute(conn, "UPDATE carts SET user_id = %s WHERE id = %s", (user_id, guest["id"]))
            units = int(await fetch_val(conn, "SELECT COALESCE(SUM(quantity), 0) FROM cart_items WHERE cart_id = %s",
                                        (guest["id"],)))
            notes = [f"Your bag of {units} item{'s' if units != 1 else ''} is now saved to your account."] if units else []
            return guest_token, notes
        lines = await fetch_all(
            conn,
            "SELECT g.variant_id, g.quantity, v.stock, COALESCE(m.quantity, 0) AS in_bag, p.name, s.label AS size "
            "FROM cart_items g JOIN variants v ON v.id = g.variant_id JOIN products p ON p.id = v.product_id "
            "JOIN sizes s ON s.id = v.size_id "
            "LEFT JOIN cart_items m ON m.cart_id = %s AND m.variant_id = g.variant_id "
            "WHERE g.cart_id = %s ORDER BY g.variant_id",
            (mine["id"], guest["id"]))
        merged, notes, moved = [], [], 0
        for line in lines:
            limit = Availability(line["stock"]).line_limit
            total = min(line["in_bag"] + line["quantity"], limit)
            if total < line["in_bag"] + line["quantity"]:
                notes.append(f"{line['name']} ({line['size']}): only {limit} can be in your bag, so it has {total}."
                             if limit else f"{line['name']} ({line['size']}) has sold out, so we left it out.")
            if total > 0:
                merged.append((mine["id"], line["variant_id"], total))
                moved += max(0, total - line["in_bag"])
        if merged:
            await execute_many(conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, %s) "
                                     "ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)", merged)
        await execute(conn, "DELETE FROM carts WHERE id = %s", (guest["id"],))
        if moved:
            notes.insert(0, f"We added {moved} item{'s' if moved != 1 else ''} from before you logged in to your bag.")
        return mine["token"], notes
