"""The SQL of the migration runner (mooncart.migrations): the record table, the migrate lock,
the information_schema look-ups, and the steps that bring a database made by an earlier release
up to the baseline. The runner's logic stays in __init__.py; SQL lives here, like every area's
queries.py."""

from __future__ import annotations

from ..db import execute, fetch_all, fetch_val

RECORD_TABLE = "schema_migrations"


# --- the database and the lock ------------------------------------------------------------------


async def create_database(conn, database: str) -> None:
    """CREATE DATABASE IF NOT EXISTS; init-db's first step. The caller checked the name."""
    # identifiers cannot be parameters; the name was checked by the caller (letters, digits, _)
    await execute(
        conn,
        f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    )


async def database_exists(conn, database: str) -> bool:
    """Whether the server has this database, so migrate can refuse with a clear word instead."""
    return bool(
        await fetch_val(conn, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s", (database,))
    )


async def get_lock(conn, name: str, timeout: float) -> bool:
    """GET_LOCK(name, timeout): True when this connection now holds the lock."""
    return await fetch_val(conn, "SELECT GET_LOCK(%s, %s)", (name, timeout)) == 1


async def release_lock(conn, name: str) -> None:
    """RELEASE_LOCK: a migrate that ends frees the lock for the next one at once."""
    await fetch_val(conn, "SELECT RELEASE_LOCK(%s)", (name,))


# --- the record table ---------------------------------------------------------------------------


async def create_record_table(conn) -> None:
    """The table that records which migrations were applied (and which were adopted as a baseline)."""
    await execute(
        conn,
        f"CREATE TABLE IF NOT EXISTS {RECORD_TABLE} ("
        "version     INT UNSIGNED NOT NULL PRIMARY KEY, "
        "name        VARCHAR(100) NOT NULL, "
        "checksum    CHAR(64)     NOT NULL, "
        "applied_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6), "
        # TRUE: found already in place (a database made before migrations) and checked
        "baseline    BOOLEAN      NOT NULL DEFAULT FALSE"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
    )


async def record_applied(conn, version: int, name: str, checksum: str, *, baseline: bool = False) -> None:
    """Record a migration as applied; baseline=True for one found in place and checked (adopt)."""
    if baseline:
        await execute(
            conn,
            f"INSERT INTO {RECORD_TABLE} (version, name, checksum, baseline) "  # nosec B608 # fixed table name
            "VALUES (%s, %s, %s, TRUE)",
            (version, name, checksum),
        )
    else:
        await execute(
            conn,
            f"INSERT INTO {RECORD_TABLE} (version, name, checksum) VALUES (%s, %s, %s)",  # nosec B608 # fixed table name
            (version, name, checksum),
        )


async def recorded_checksums(conn) -> dict[int, str]:
    """version -> checksum of every recorded migration (the record table must exist)."""
    rows = await fetch_all(conn, f"SELECT version, checksum FROM {RECORD_TABLE}")  # nosec B608 # fixed table name
    return {row["version"]: row["checksum"] for row in rows}


# --- information_schema -------------------------------------------------------------------------


async def table_names(conn) -> set[str]:
    """The base tables of the current database."""
    rows = await fetch_all(
        conn,
        "SELECT table_name AS name FROM information_schema.tables "
        "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
    )
    return {row["name"] for row in rows}


async def columns_of(conn, table: str) -> set[str]:
    """The column names of one table of the current database."""
    rows = await fetch_all(
        conn,
        "SELECT column_name AS name FROM information_schema.columns "
        "WHERE table_schema = DATABASE() AND table_name = %s",
        (table,),
    )
    return {row["name"] for row in rows}


async def indexes_of(conn, table: str) -> set[str]:
    """The index names of one table of the current database (PRIMARY included)."""
    rows = await fetch_all(
        conn,
        "SELECT DISTINCT index_name AS name FROM information_schema.statistics "
        "WHERE table_schema = DATABASE() AND table_name = %s",
        (table,),
    )
    return {row["name"] for row in rows}


async def constraint_names(conn) -> set[tuple[str, str]]:
    """(table, constraint) of every constraint in the current database."""
    rows = await fetch_all(
        conn,
        "SELECT table_name AS t, constraint_name AS c FROM information_schema.table_constraints "
        "WHERE constraint_schema = DATABASE()",
    )
    return {(row["t"], row["c"]) for row in rows}


# --- what earlier releases lacked (see upgrade_earlier_releases in __init__.py) ------------------


async def add_sizes_size_group(conn) -> None:
    """sizes.size_group, filled with the families the baseline's own size rows carry."""
    await execute(conn, "ALTER TABLE sizes ADD COLUMN size_group VARCHAR(10) NOT NULL DEFAULT '' AFTER label")
    await execute(
        conn,
        "UPDATE sizes SET size_group = CASE WHEN label = 'Free size' THEN 'free' "
        "WHEN label LIKE 'UK %%' THEN 'shoe' WHEN label REGEXP '^[0-9]+$' THEN 'waist' "
        "ELSE 'apparel' END",
    )
    await execute(conn, "ALTER TABLE sizes ALTER COLUMN size_group DROP DEFAULT")


async def add_categories_size_group(conn) -> None:
    """categories.size_group: a category's sizes are those its products are sold in (the most
    common family wins)."""
    await execute(
        conn, "ALTER TABLE categories ADD COLUMN size_group VARCHAR(10) NOT NULL DEFAULT 'apparel' AFTER art_kind"
    )
    await execute(
        conn,
        "UPDATE categories c SET size_group = COALESCE((SELECT s.size_group FROM products p "
        "JOIN variants v ON v.product_id = p.id JOIN sizes s ON s.id = v.size_id "
        "WHERE p.category_id = c.id GROUP BY s.size_group "
        "ORDER BY COUNT(*) DESC, s.size_group LIMIT 1), 'apparel')",
    )


async def add_variants_is_low_stock(conn) -> None:
    """The stored low-stock flag the back office's low-stock list reads by index."""
    await execute(
        conn,
        "ALTER TABLE variants ADD COLUMN is_low_stock TINYINT "
        "AS (stock <= low_stock_threshold) STORED AFTER low_stock_threshold",
    )


async def add_variants_low_stock_index(conn) -> None:
    """The index behind the low-stock list."""
    await execute(conn, "ALTER TABLE variants ADD KEY ix_variants_low_stock (is_low_stock, stock)")


async def add_variants_colour_size_index(conn) -> None:
    """The index behind the colour and size filters of the catalogue."""
    await execute(conn, "ALTER TABLE variants ADD KEY ix_variants_colour_size (colour_id, size_id, product_id, stock)")


async def drop_variants_colour_index(conn) -> None:
    """ix_variants_colour is redundant once ix_variants_colour_size leads with colour_id (the
    foreign key keeps that one)."""
    await execute(conn, "ALTER TABLE variants DROP KEY ix_variants_colour")


async def add_orders_payment_reference(conn) -> None:
    """orders.payment_reference: the provider's id of the payment, empty for older orders."""
    await execute(
        conn, "ALTER TABLE orders ADD COLUMN payment_reference VARCHAR(64) NOT NULL DEFAULT '' AFTER payment_status"
    )
