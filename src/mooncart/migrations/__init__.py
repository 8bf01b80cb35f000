"""Schema migrations: numbered SQL files in this package (NNNN_name.sql), each applied once, in
order, and recorded in the table schema_migrations. `mooncart migrate` runs them; `mooncart
init-db` creates the database if missing and then does the same.

Why a small runner of our own rather than yoyo-migrations or Alembic (about 250 lines):
- The lock. Two instances that start at once must not both migrate. MySQL's GET_LOCK() is held
  by the connection, so a migrate that is killed halfway frees it by itself; yoyo's lock is a row
  in a table that a killed process leaves behind until someone runs `yoyo break-lock`.
- MySQL and MariaDB commit every DDL statement at once, so the per-migration transaction that a
  library wraps around a migration promises an all-or-nothing it cannot give. We say plainly
  which statement failed and that the ones before it stand.
- The same driver and settings as the shop (aiomysql, MOONCART_DATABASE_URL), no second driver.
- Databases made before migrations existed (by `init-db` running schema.sql) need shop-specific
  adoption anyway: see adopt().

The baseline: 0001_baseline.sql is schema.sql as it stood when migrations began. A new, empty
database gets every migration from 0001. A database that has Mooncart's tables but no
schema_migrations table was made by an earlier release: adopt() brings its tables up to the
baseline's shape (the few columns and indexes earlier releases lacked, with their values filled
in), runs 0001 (idempotent: it creates the tables those releases did not have), checks that every
table, column, index and constraint of the baseline is there, and records 0001 as a baseline.
Later migrations then apply as usual. A database with other tables and no record is refused.

From now on every schema change is a new migration, and the same change goes into schema.sql
(the readable whole schema, which the tests build from); tests/migrations checks that a database
built by the migrations equals one built from schema.sql.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiomysql

from ..config import DatabaseSettings
from ..db import split_sql
from . import queries
from .queries import RECORD_TABLE, columns_of, create_record_table, indexes_of, table_names

MIGRATIONS_DIR = Path(__file__).parent
# tables every Mooncart release has had: their presence marks a database as ours
MOONCART_TABLES = {"categories", "sizes", "colours", "products", "variants", "orders"}


class MigrationError(Exception):
    """Migrating cannot go on; str() says why in words an operator can act on."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        """The migration's SQL text."""
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        """The file's hash, recorded so a migration changed after it was applied is noticed."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @property
    def label(self) -> str:
        """NNNN_name, how messages name the migration."""
        return f"{self.version:04d}_{self.name}"


def available(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files, by version; two files with one number is a mistake we refuse."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = re.fullmatch(r"(\d{4})_([a-z0-9_]+)\.sql", path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations are numbered {version:04d}: {found[version].path.name}, {path.name}")
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


def lock_name(database: str) -> str:
    """One lock per database (GET_LOCK names are server-wide and at most 64 characters)."""
    name = "mooncart-migrate:" + database
    return name if len(name) <= 64 else "mooncart-migrate:" + hashlib.sha256(database.encode()).hexdigest()[:40]


async def migrate(
    settings: DatabaseSettings,
    *,
    create: bool = False,
    lock_timeout: float = 600,
    report: Callable[[str], None] = print,
) -> list[Migration]:
    """Apply every pending migration, holding the database's migrate lock. With create=True,
    create the database first if it is missing (init-db). Returns the migrations applied now."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", settings.database):
        raise MigrationError(f"database name {settings.database!r} must be letters, digits and _")
    conn = await aiomysql.connect(**settings.connect_kwargs(with_database=False), connect_timeout=10)
    try:
        if create:
            await queries.create_database(conn, settings.database)  # the name was checked above
        elif not await queries.database_exists(conn, settings.database):
            raise MigrationError(f"database {settings.database!r} does not exist (mooncart init-db creates it)")
        await conn.select_db(settings.database)
        async with MigrateLock(conn, lock_name(settings.database), lock_timeout, report):
            return await migrate_connection(conn, report=report)
    finally:
        conn.close()


class MigrateLock:
    """GET_LOCK for the length of a migrate: a second migrate waits here, then finds nothing to do."""

    def __init__(self, conn, name: str, timeout: float, report):
        self.conn, self.name, self.timeout, self.report = conn, name, timeout, report

    async def __aenter__(self):
        if await queries.get_lock(self.conn, self.name, 0):
            return self
        self.report("Another `mooncart migrate` is running on this database; waiting for it to finish.")
        if not await queries.get_lock(self.conn, self.name, self.timeout):
            raise MigrationError(
                f"another migrate still held the lock {self.name!r} after {self.timeout:g} "
                "seconds; is one stuck? (it is freed when that connection ends)"
            )
        return self

    async def __aexit__(self, *_exc):
        await queries.release_lock(self.conn, self.name)


async def migrate_connection(
    conn, *, migrations: list[Migration] | None = None, report: Callable[[str], None] = print
) -> list[Migration]:
    """The work of migrate() on an open connection to the database; the caller holds the lock."""
    migrations = available() if migrations is None else migrations
    applied = await applied_versions(conn)
    if applied is None:  # no record yet
        tables = await table_names(conn)
        if tables:
            await adopt(conn, tables, migrations[0], report)
            applied = {migrations[0].version: migrations[0].checksum}
        else:
            await create_record_table(conn)
            applied = {}
    known = {m.version: m for m in migrations}
    newer = sorted(set(applied) - set(known))
    if newer:
        raise MigrationError(
            f"the database has migration {newer[-1]:04d}, which this Mooncart does not know: "
            "it was migrated by a newer release. Run that release (or newer)."
        )
    for version, checksum in applied.items():
        if checksum != known[version].checksum:
            raise MigrationError(
                f"migration {known[version].label} was changed after it was applied; "
                "put the change in a new migration instead (and restore the file)"
            )
    done = []
    for migration in migrations:
        if migration.version in applied:
            continue
        report(f"Applying {migration.label}")
        await run_statements(conn, migration)
        await queries.record_applied(conn, migration.version, migration.name, migration.checksum)
        done.append(migration)
    return done


async def run_statements(conn, migration: Migration) -> None:
    """Run a migration's statements one by one, saying which failed and what stands."""
    statements = split_sql(migration.sql)
    for number, statement in enumerate(statements, 1):
        try:
            async with conn.cursor() as cur:
                await cur.execute(statement)  # no parameters, so a % in the file is just a %
        except Exception as error:
            raise MigrationError(
                f"migration {migration.label} failed at statement {number} of {len(statements)}: {error}. "
                + ("The statements before it were applied (MySQL commits DDL at once). " if number > 1 else "")
                + "Nothing was recorded; fix the cause and run migrate again."
            ) from error


async def applied_versions(conn) -> dict[int, str] | None:
    """version -> checksum of what is recorded, or None when there is no record table yet."""
    if RECORD_TABLE not in await table_names(conn):
        return None
    return await queries.recorded_checksums(conn)


# --- databases made before migrations existed ---------------------------------------------------


async def adopt(conn, tables: set[str], baseline: Migration, report: Callable[[str], None]) -> None:
    """Bring a database made by an earlier release's init-db up to the baseline, check it, and
    record the baseline as applied."""
    if not tables >= MOONCART_TABLES:
        raise MigrationError(
            f"the database has tables ({', '.join(sorted(tables)[:5])}...) but no {RECORD_TABLE} "
            "table, and they are not Mooncart's; refusing to change it. Use an empty database."
        )
    report(f"This database was made before migrations; bringing it up to {baseline.label}")
    await upgrade_earlier_releases(conn)
    await run_statements(conn, baseline)
    missing = await missing_parts(conn, baseline)
    if missing:
        raise MigrationError(
            f"after adoption the database still lacks parts of {baseline.label}: "
            + ", ".join(missing[:20])
            + ". It was not recorded; please check it by hand."
        )
    # the record table comes last: a refused or failed adoption leaves none, so the next run adopts again
    await create_record_table(conn)
    await queries.record_applied(conn, baseline.version, baseline.name, baseline.checksum, baseline=True)
    report(f"Recorded {baseline.label} as applied (checked: every table, column, index and constraint is there)")


async def upgrade_earlier_releases(conn) -> None:
    """What schema.sql gained between the first release and the baseline, that `CREATE TABLE IF
    NOT EXISTS` could not add to tables that already existed. Each step looks first, so a database
    from any earlier release (or one half-way through this) comes out the same. New tables are
    left to the baseline's own CREATE TABLE IF NOT EXISTS."""
    if "size_group" not in await columns_of(conn, "sizes"):
        await queries.add_sizes_size_group(conn)
    if "size_group" not in await columns_of(conn, "categories"):
        await queries.add_categories_size_group(conn)
    if "is_low_stock" not in await columns_of(conn, "variants"):
        await queries.add_variants_is_low_stock(conn)
    variant_indexes = await indexes_of(conn, "variants")
    if "ix_variants_low_stock" not in variant_indexes:
        await queries.add_variants_low_stock_index(conn)
    if "ix_variants_colour_size" not in variant_indexes:
        await queries.add_variants_colour_size_index(conn)
    if "ix_variants_colour" in variant_indexes:  # the new index leads with colour_id, so the foreign key keeps one
        await queries.drop_variants_colour_index(conn)
    if "payment_reference" not in await columns_of(conn, "orders"):
        await queries.add_orders_payment_reference(conn)


def expected_parts(migration: Migration) -> dict[str, dict[str, set[str]]]:
    """table -> {"columns", "indexes", "constraints"} named by a migration's CREATE TABLEs."""
    parts: dict[str, dict[str, set[str]]] = {}
    for statement in split_sql(migration.sql):
        match = re.match(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)[^)]*$", statement, re.S)
        if match is None:
            continue
        table = parts.setdefault(match.group(1), {"columns": set(), "indexes": set(), "constraints": set()})
        body = "\n".join(line.split("--")[0] for line in match.group(2).splitlines())
        for item in top_level_items(body):
            words = item.split()
            if words[:2] == ["PRIMARY", "KEY"]:
                table["indexes"].add("PRIMARY")
            elif words[0] == "KEY" or words[:2] == ["UNIQUE", "KEY"]:
                table["indexes"].add(words[1] if words[0] == "KEY" else words[2])
            elif words[0] == "CONSTRAINT":
                table["constraints"].add(words[1])
            else:
                table["columns"].add(words[0])
                if "PRIMARY KEY" in item:
                    table["indexes"].add("PRIMARY")
    return parts


def top_level_items(body: str) -> list[str]:
    """A CREATE TABLE body split at the commas outside parentheses."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in body:
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        depth += (char == "(") - (char == ")")
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


async def missing_parts(conn, migration: Migration) -> list[str]:
    """What the database lacks of the tables, columns, indexes and constraints a migration names."""
    missing = []
    tables = await table_names(conn)
    constraints = await queries.constraint_names(conn)
    for table, parts in expected_parts(migration).items():
        if table not in tables:
            missing.append(f"table {table}")
            continue
        missing += [f"column {table}.{c}" for c in sorted(parts["columns"] - await columns_of(conn, table))]
        missing += [f"index {table}.{i}" for i in sorted(parts["indexes"] - await indexes_of(conn, table))]
        missing += [f"constraint {table}.{c}" for c in sorted(parts["constraints"]) if (table, c) not in constraints]
    return missing


async def create_database(settings: DatabaseSettings, report: Callable[[str], None] = print) -> list[Migration]:
    """CREATE DATABASE IF NOT EXISTS, then every pending migration: safe to run twice."""
    return await migrate(settings, create=True, report=report)
