"""The delivery area's SQL: the serviceability table (PIN prefix -> zone, days, cash on delivery)."""

from __future__ import annotations

from ..db import execute, execute_many, fetch_all, fetch_one, transaction
from .rules import Zone, prefixes

COLUMNS = "pin_prefix, zone, delivery_days, cod_allowed, cod_limit_paise"


def _zone(row: dict | None) -> Zone | None:
    if row is None:
        return None
    return Zone(
        pin_prefix=row["pin_prefix"],
        zone=row["zone"],
        delivery_days=row["delivery_days"],
        cod_allowed=bool(row["cod_allowed"]),
        cod_limit_paise=row["cod_limit_paise"],
    )


async def select_zone(conn, pin: str) -> Zone | None:
    """The row with the longest prefix this PIN starts with, in one statement. The six possible
    prefixes are listed, so it reads at most six primary-key entries (a `%s LIKE CONCAT(pin_prefix,
    '%')` would read the whole table)."""
    candidates = prefixes(pin)
    marks = ", ".join(["%s"] * len(candidates))  # placeholders only; the values are parameters
    return _zone(
        await fetch_one(
            conn,
            f"SELECT {COLUMNS} FROM pin_serviceability WHERE pin_prefix IN ({marks}) "
            "ORDER BY CHAR_LENGTH(pin_prefix) DESC LIMIT 1",
            candidates,
        )
    )


async def select_zones(conn) -> list[Zone]:
    """The whole table, for the back office, in prefix order."""
    rows = await fetch_all(conn, f"SELECT {COLUMNS} FROM pin_serviceability ORDER BY pin_prefix")
    return [zone for zone in map(_zone, rows) if zone is not None]


async def replace_zones(conn, zones: list[Zone]) -> None:
    """Replace the whole table in one transaction: a shopper's check sees the old table or the
    new one, never half of each, and a failure leaves the old one."""
    async with transaction(conn):
        await execute(conn, "DELETE FROM pin_serviceability")
        await execute_many(
            conn,
            f"INSERT INTO pin_serviceability ({COLUMNS}) VALUES (%s, %s, %s, %s, %s)",
            [(z.pin_prefix, z.zone, z.delivery_days, int(z.cod_allowed), z.cod_limit_paise) for z in zones],
        )


async def select_product_for_estimate(conn, slug: str) -> dict | None:
    """The little the delivery check needs of a product: its page and its price."""
    return await fetch_one(conn, "SELECT id, slug, name, from_price_paise FROM products WHERE slug = %s", (slug,))
