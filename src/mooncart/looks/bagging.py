"""Add the look: every piece goes in the bag, or none does, in one transaction.

1. Lock the chosen sizes' variant rows, in id order (inventory's lock_variants, as checkout
   does), before any plain read: two shoppers adding looks that share a piece queue on its row,
   and under snapshot isolation (MariaDB 11.6.2+) nothing read before the lock can be stale.
2. Ask the bag, size by size, exactly what add to bag asks: its look-up (select_variant_in_bag:
   the stock and what this bag holds) and its rule (Availability.is_purchase_permitted, through
   picker.variant_stock). The look has no stock rule of its own, so whatever the bag comes to
   allow (holds, limits) the look allows too.
3. If any size is short, nothing is written and the shopper is told which piece and what is
   left. Otherwise the bag is found or made (carts.ensure_bag) and each line grows by one with
   the bag's own conditional upsert (add_to_line), whose refusal undoes the whole look.

A deadlock or lock wait rolls everything back and is retried (db.retrying), never shown."""

from __future__ import annotations

from dataclasses import dataclass

from ..bag import queries as bag_queries
from ..bag.carts import ensure_bag
from ..bag.picker import after_adding, variant_stock
from ..db import retrying, transaction
from ..inventory.stock import lock_variants
from .rules import BAG_CHANGED, NOTHING_ADDED, Look, LookRefused, short_piece

GONE = "{name}: that size is no longer in our shop. Please choose again."


@dataclass(frozen=True)
class LookAdded:
    """What the reply needs: the bag's token (new for a first add), the header's count, and each
    added size as the bag now sees it (for its stock badge)."""

    token: str
    bag_count: int
    variants: tuple[dict, ...]


async def add_look_to_bag(
    conn, look: Look, choices: dict[int, dict], token: str | None, user_id: int | None
) -> LookAdded:
    """Add one of each chosen size ({product id: variant} from rules.read_choices) to the bag
    `token` names (or the shopper's, or a new guest bag), all or nothing; LookRefused if not."""
    pieces = {piece.product_id: piece for piece in look.pieces}
    by_variant = {variant["id"]: product_id for product_id, variant in choices.items()}
    variant_ids = sorted(by_variant)

    async def once() -> LookAdded:
        """One try, in its own transaction (or savepoint)."""
        async with transaction(conn):
            locked = await lock_variants(conn, variant_ids)
            rows, problems = {}, {}
            for variant_id in variant_ids:  # the bag's own look-up, under the locks just taken
                product_id = by_variant[variant_id]
                row = await bag_queries.select_variant_in_bag(conn, variant_id, token, user_id)
                if variant_id not in locked or row is None or row["product_id"] != product_id:
                    problems[product_id] = GONE.format(name=pieces[product_id].name)
                    continue
                availability = variant_stock(row)["availability"]
                allowed, reason = availability.is_purchase_permitted(1)
                if not allowed:
                    problems[product_id] = short_piece(pieces[product_id], choices[product_id], availability, reason)
                rows[variant_id] = (row, availability)
            if problems:
                raise LookRefused(NOTHING_ADDED, {pid: problems[pid] for pid in pieces if pid in problems})
            first, _ = rows[variant_ids[0]]
            bag_token, cart_id = await ensure_bag(conn, token, first["cart_id"])
            for variant_id in variant_ids:
                if not await bag_queries.add_to_line(conn, cart_id, variant_id, 1, rows[variant_id][1].line_limit):
                    raise LookRefused(BAG_CHANGED)
            count = int(first["bag_count"] or 0) + len(variant_ids)
            if cart_id != first["cart_id"]:  # the account's bag, found by the log-in rather than the cookie
                count = await bag_queries.select_cart_units(conn, cart_id)
            return LookAdded(
                bag_token,
                count,
                tuple(after_adding(rows[variant_id][0], 1) for variant_id in variant_ids),
            )

    return await retrying(once)
