"""Schema migrations: a fresh database and one made by the first release both end up exactly like
schema.sql, without losing a row; two migrates at once apply each migration once; a changed,
unknown or failing migration stops with a clear message."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import aiomysql
import pytest

from mooncart import migrations
from mooncart.db import SCHEMA_PATH, apply_schema, execute, fetch_all, fetch_one, fetch_val
from mooncart.migrations import MigrationError, available, expected_parts, lock_name, migrate, migrate_connection
from tests.conftest import SERVER, create_test_database, database_url, drop_test_database

# schema.sql of the first release on main (git log --reverse --format=%H -- schema.sql | head -1,
# 5fd2286): a database its `init-db` made has no schema_migrations table
SCHEMA_V1 = Path(__file__).with_name("schema_v1.sql")


class Database:
    """A database of the test's own, dropped afterwards."""

    def __init__(self):
        self.settings = create_test_database("mooncart_mig")
        self.conns = []

    async def connect(self):
        conn = await aiomysql.connect(**self.settings.connect_kwargs())
        self.conns.append(conn)
        return conn

    def drop(self):
        for conn in self.conns:
            conn.close()
        drop_test_database(self.settings)


@pytest.fixture
async def new_database():
    databases = []

    def make() -> Database:
        databases.append(Database())
        return databases[-1]

    yield make
    for database in databases:
        database.drop()


async def describe(conn) -> dict:
    """Everything information_schema says about the shop's tables (not the migration record):
    columns, indexes, constraints (keys, foreign keys with their rules, checks) and table options."""
    skip = migrations.RECORD_TABLE
    shape = {
        "tables": await fetch_all(
            conn,
            "SELECT table_name, engine, table_collation, create_options "
            "FROM information_schema.tables WHERE table_schema = DATABASE() "
            "AND table_name <> %s ORDER BY table_name",
            (skip,),
        ),
        "columns": await fetch_all(
            conn,
            "SELECT table_name, column_name, ordinal_position, column_type, is_nullable, "
            "column_default, extra, generation_expression, character_set_name, "
            "collation_name FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name <> %s "
            "ORDER BY table_name, ordinal_position",
            (skip,),
        ),
        "indexes": await fetch_all(
            conn,
            "SELECT table_name, index_name, non_unique, seq_in_index, column_name, "
            "sub_part, index_type FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() AND table_name <> %s "
            "ORDER BY table_name, index_name, seq_in_index",
            (skip,),
        ),
        "constraints": await fetch_all(
            conn,
            "SELECT table_name, constraint_name, constraint_type "
            "FROM information_schema.table_constraints "
            "WHERE constraint_schema = DATABASE() AND table_name <> %s "
            "ORDER BY table_name, constraint_name",
            (skip,),
        ),
        "foreign_keys": await fetch_all(
            conn,
            "SELECT k.table_name, k.constraint_name, k.column_name, "
            "k.referenced_table_name, k.referenced_column_name, r.update_rule, "
            "r.delete_rule FROM information_schema.key_column_usage k "
            "JOIN information_schema.referential_constraints r "
            "ON r.constraint_schema = k.constraint_schema "
            "AND r.constraint_name = k.constraint_name "
            "WHERE k.constraint_schema = DATABASE() "
            "ORDER BY k.table_name, k.constraint_name, k.ordinal_position",
        ),
        "checks": await fetch_all(
            conn,
            "SELECT t.table_name, c.constraint_name, c.check_clause "
            "FROM information_schema.check_constraints c "
            "JOIN information_schema.table_constraints t "
            "ON t.constraint_schema = c.constraint_schema "
            "AND t.constraint_name = c.constraint_name AND t.constraint_type = 'CHECK' "
            "WHERE c.constraint_schema = DATABASE() "
            "ORDER BY t.table_name, c.constraint_name",
        ),
    }
    # MySQL 8 labels information_schema's columns in capitals (TABLE_NAME) whatever the select
    # list says; MariaDB as written. Lower-case the labels so both describe alike.
    return {part: [{key.lower(): value for key, value in row.items()} for row in rows] for part, rows in shape.items()}


async def reference_shape(new_database) -> dict:
    """A database built straight from today's schema.sql, described."""
    conn = await new_database().connect()
    await apply_schema(conn, SCHEMA_PATH)
    return await describe(conn)


def assert_same_shape(actual: dict, expected: dict) -> None:
    for part in expected:
        assert actual[part] == expected[part], f"{part} differ"


def quiet(_message: str) -> None:
    pass


async def test_a_new_database_built_by_the_migrations_equals_schema_sql(new_database):
    database = new_database()
    applied = await migrate(database.settings, report=quiet)
    assert [m.label for m in applied] == [m.label for m in available()]
    conn = await database.connect()
    assert_same_shape(await describe(conn), await reference_shape(new_database))
    rows = await fetch_all(conn, "SELECT version, name, baseline FROM schema_migrations ORDER BY version")
    assert [(r["version"], r["baseline"]) for r in rows] == [(m.version, 0) for m in available()]
    assert await migrate(database.settings, report=quiet) == []  # nothing left to do


async def test_the_baseline_check_names_every_table_column_index_and_constraint_of_the_baseline(new_database):
    # adopt() refuses a database that lacks any part named here, so the list must be complete
    conn = await new_database().connect()
    await apply_schema(conn, available()[0].path)
    shape = await describe(conn)
    parts = expected_parts(available()[0])
    assert set(parts) == {t["table_name"] for t in shape["tables"]}
    for table, named in parts.items():
        assert named["columns"] == {c["column_name"] for c in shape["columns"] if c["table_name"] == table}
        assert named["indexes"] == {i["index_name"] for i in shape["indexes"] if i["table_name"] == table}
        assert named["constraints"] == {
            c["constraint_name"]
            for c in shape["constraints"]
            if c["table_name"] == table and c["constraint_type"] in ("FOREIGN KEY", "CHECK")
        }


async def fill_first_release_database(conn) -> dict:
    """Rows in every table of the first release's schema, written with its own columns."""
    ids = {}
    _, ids["women"] = await execute(
        conn, "INSERT INTO categories (slug, name, art_kind, position) VALUES ('women', 'Women', 'kurti', 1)"
    )
    _, ids["footwear"] = await execute(
        conn,
        "INSERT INTO categories (parent_id, slug, name, art_kind, position) "
        "VALUES (%s, 'footwear', 'Footwear', 'juttis', 2)",
        (ids["women"],),
    )
    _, ids["kurtis"] = await execute(
        conn,
        "INSERT INTO categories (parent_id, slug, name, blurb, art_kind, position) "
        "VALUES (%s, 'kurtis', 'Kurtis', 'Everyday cotton', 'kurti', 1)",
        (ids["women"],),
    )
    _, ids["colour"] = await execute(conn, "INSERT INTO colours (name, hex) VALUES ('Rani pink', '#e0115f')")
    size = {row["label"]: row["id"] for row in await fetch_all(conn, "SELECT id, label FROM sizes")}
    _, ids["jutti"] = await execute(
        conn,
        "INSERT INTO products (category_id, slug, name, description, fabric, "
        "from_price_paise) VALUES (%s, 'gold-jutti', 'Gold jutti', "
        "'Hand-stitched.', 'Leather', 129900)",
        (ids["footwear"],),
    )
    _, ids["kurti"] = await execute(
        conn,
        "INSERT INTO products (category_id, slug, name, description, "
        "from_price_paise) VALUES (%s, 'anarkali-kurti', 'Anarkali kurti', "
        "'Flared.', 89900)",
        (ids["kurtis"],),
    )
    await execute(
        conn,
        "INSERT INTO product_images (product_id, colour_id, path, alt) VALUES "
        "(%s, %s, 'art/kurti/e0115f.svg', 'A pink kurti')",
        (ids["kurti"], ids["colour"]),
    )
    _, ids["uk5"] = await execute(
        conn,
        "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, "
        "stock, "
        "low_stock_threshold) VALUES (%s, %s, %s, 'JUT-5', 129900, 3, 5)",
        (ids["jutti"], size["UK 5"], ids["colour"]),
    )
    _, ids["uk6"] = await execute(
        conn,
        "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, "
        "stock) "
        "VALUES (%s, %s, %s, 'JUT-6', 129900, 40)",
        (ids["jutti"], size["UK 6"], ids["colour"]),
    )
    _, ids["m"] = await execute(
        conn,
        "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, stock) "
        "VALUES (%s, %s, %s, 'KUR-M', 89900, "
        "12)",
        (ids["kurti"], size["M"], ids["colour"]),
    )
    _, ids["user"] = await execute(
        conn,
        "INSERT INTO users (email, name, mobile, password_hash) VALUES "
        "('priya@example.com', 'Priya', '9876543210', 'argon2-hash')",
    )
    await execute(
        conn,
        "INSERT INTO addresses (user_id, full_name, line1, city, state, pin_code, mobile) VALUES "
        "(%s, 'Priya Sharma', '12 MG Road', 'Pune', 'Maharashtra', '411001', '9876543210')",
        (ids["user"],),
    )
    _, ids["cart"] = await execute(conn, "INSERT INTO carts (token, user_id) VALUES (%s, %s)", ("a" * 32, ids["user"]))
    await execute(
        conn, "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, 2)", (ids["cart"], ids["m"])
    )
    _, ids["order"] = await execute(
        conn,
        "INSERT INTO orders (number, user_id, idempotency_key, payment_method, "
        "payment_status, ship_name, ship_line1, ship_city, ship_state, "
        "ship_pin_code, "
        "ship_mobile, subtotal_paise, shipping_paise, gst_paise) VALUES "
        "('MC261126-ABCDEF', %s, %s, 'cod', 'pending', 'Priya Sharma', '12 MG Road', "
        "'Pune', 'Maharashtra', '411001', '9876543210', 129900, 0, 15588)",
        (ids["user"], "b" * 32),
    )
    await execute(
        conn,
        "INSERT INTO order_items (order_id, variant_id, product_name, size_label, colour_name, sku, "
        "unit_price_paise, quantity) VALUES (%s, %s, 'Gold jutti', 'UK 5', 'Rani pink', 'JUT-5', "
        "129900, 1)",
        (ids["order"], ids["uk5"]),
    )
    await execute(
        conn,
        "INSERT INTO stock_movements (variant_id, delta, stock_after, reason, order_id) VALUES "
        "(%s, -1, 3, 'order', %s)",
        (ids["uk5"], ids["order"]),
    )
    await execute(
        conn,
        "INSERT INTO reviews (product_id, user_id, rating, title, body) VALUES (%s, %s, 5, 'Lovely', 'Fits well.')",
        (ids["kurti"], ids["user"]),
    )
    await execute(conn, "INSERT INTO wishlist_items (user_id, product_id) VALUES (%s, %s)", (ids["user"], ids["jutti"]))
    return ids


async def every_row(conn, tables) -> dict:
    return {table: await fetch_all(conn, f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables}  # nosec B608


async def test_a_first_release_database_is_migrated_to_todays_schema_without_losing_a_row(new_database):
    database = new_database()
    conn = await database.connect()
    await apply_schema(conn, SCHEMA_V1)
    ids = await fill_first_release_database(conn)
    old_tables = sorted(
        r["name"]
        for r in await fetch_all(
            conn, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()"
        )
    )
    before = await every_row(conn, old_tables)

    messages = []
    applied = await migrate(database.settings, report=messages.append)
    assert [m.label for m in applied] == [m.label for m in available()[1:]]
    assert any("made before migrations" in message for message in messages)

    assert_same_shape(await describe(conn), await reference_shape(new_database))
    after = await every_row(conn, old_tables)
    for table in old_tables:  # every old row, with every old column's value (new columns are checked below)
        old_columns = set(before[table][0]) if before[table] else set()
        assert [{k: v for k, v in row.items() if k in old_columns} for row in after[table]] == before[table], table
    # the columns the first release lacked are filled in as today's code would have written them
    groups = {r["label"]: r["size_group"] for r in await fetch_all(conn, "SELECT label, size_group FROM sizes")}
    assert (groups["M"], groups["Free size"], groups["UK 5"], groups["30"]) == ("apparel", "free", "shoe", "waist")
    category_groups = {
        r["slug"]: r["size_group"] for r in await fetch_all(conn, "SELECT slug, size_group FROM categories")
    }
    assert category_groups == {"women": "apparel", "footwear": "shoe", "kurtis": "apparel"}
    low = {r["sku"]: r["is_low_stock"] for r in await fetch_all(conn, "SELECT sku, is_low_stock FROM variants")}
    assert low == {"JUT-5": 1, "JUT-6": 0, "KUR-M": 0}
    assert await fetch_val(conn, "SELECT payment_reference FROM orders WHERE id = %s", (ids["order"],)) == ""
    # the tables later releases added are there and usable
    await execute(conn, "INSERT INTO sessions (token_hash, user_id) VALUES (%s, %s)", ("c" * 64, ids["user"]))
    record = await fetch_one(conn, "SELECT version, baseline FROM schema_migrations WHERE version = 1")
    assert record == {"version": 1, "baseline": 1}
    assert await migrate(database.settings, report=quiet) == []


async def test_a_database_that_is_already_todays_shape_but_unrecorded_is_checked_and_recorded(new_database):
    database = new_database()
    conn = await database.connect()
    # what init-db did before migrations: schema.sql as it was then, which is the baseline (today's
    # schema.sql has the later migrations' changes too, which no unrecorded database can have)
    await apply_schema(conn, available()[0].path)
    await execute(conn, "INSERT INTO colours (name, hex) VALUES ('Teal', '#008080')")
    await migrate(database.settings, report=quiet)
    assert await fetch_val(conn, "SELECT baseline FROM schema_migrations WHERE version = 1") == 1
    assert await fetch_val(conn, "SELECT COUNT(*) FROM colours WHERE name = 'Teal'") == 1


async def test_another_applications_tables_are_never_touched(new_database):
    database = new_database()
    conn = await database.connect()
    await execute(conn, "CREATE TABLE invoices (id INT PRIMARY KEY)")
    with pytest.raises(MigrationError, match="not Mooncart's"):
        await migrate(database.settings, report=quiet)
    tables = {
        r["name"]
        for r in await fetch_all(
            conn, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()"
        )
    }
    assert tables == {"invoices"}  # not even a record table: the next run looks again


def copy_migrations(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    directory.mkdir()
    for migration in available():
        shutil.copy(migration.path, directory / migration.path.name)
    return directory


async def test_a_later_migration_applies_once_on_top_of_the_baseline(new_database, tmp_path):
    database = new_database()
    await migrate(database.settings, report=quiet)
    directory = copy_migrations(tmp_path)
    (directory / "9001_gift_wrap.sql").write_text(
        "-- gift wrap for an order\nALTER TABLE orders ADD COLUMN gift_wrap BOOLEAN NOT NULL DEFAULT FALSE;\n"
        "UPDATE orders SET gift_wrap = FALSE;\n"
    )
    conn = await database.connect()
    first = await migrate_connection(conn, migrations=migrations.available(directory), report=quiet)
    assert [m.label for m in first] == ["9001_gift_wrap"]
    assert await migrate_connection(conn, migrations=migrations.available(directory), report=quiet) == []
    assert "gift_wrap" in await migrations.columns_of(conn, "orders")


async def test_a_failing_migration_says_which_statement_and_records_nothing(new_database, tmp_path):
    database = new_database()
    await migrate(database.settings, report=quiet)
    directory = copy_migrations(tmp_path)
    (directory / "9001_broken.sql").write_text(
        "ALTER TABLE orders ADD COLUMN note VARCHAR(20) NOT NULL DEFAULT '';\n"
        "ALTER TABLE no_such_table ADD COLUMN x INT;\n"
    )
    conn = await database.connect()
    with pytest.raises(MigrationError, match=r"9001_broken failed at statement 2 of 2.*before it were applied"):
        await migrate_connection(conn, migrations=migrations.available(directory), report=quiet)
    assert await fetch_val(conn, "SELECT COUNT(*) FROM schema_migrations WHERE version = 9001") == 0


async def test_an_edited_or_unknown_migration_is_refused(new_database, tmp_path):
    database = new_database()
    await migrate(database.settings, report=quiet)
    conn = await database.connect()
    directory = copy_migrations(tmp_path)
    baseline = directory / available()[0].path.name
    baseline.write_text(baseline.read_text() + "\n-- an edit\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate_connection(conn, migrations=migrations.available(directory), report=quiet)
    await execute(
        conn, "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', %s)", ("0" * 64,)
    )
    with pytest.raises(MigrationError, match="9999.*newer release"):
        await migrate(database.settings, report=quiet)


def test_badly_named_migration_files_are_refused(tmp_path):
    (tmp_path / "add_column.sql").write_text("SELECT 1;\n")
    with pytest.raises(MigrationError, match="NNNN_name.sql"):
        available(tmp_path)


def mooncart(*args: str, url: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, MOONCART_DATABASE_URL=url, MOONCART_SECRET_KEY="cli-test")
    return subprocess.Popen(
        [sys.executable, "-m", "mooncart", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


async def sessions_waiting_for(conn, name: str) -> int:
    return await fetch_val(
        conn,
        "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT GET_LOCK(%%' AND info LIKE %s",
        (f"%{name}%",),
    )


async def test_two_migrates_at_once_one_waits_and_each_migration_applies_once(new_database):
    database = new_database()
    url = database_url(database.settings)
    holder = await database.connect()
    name = lock_name(database.settings.database)
    # hold the lock first, so that both are seen waiting before either may start
    assert await fetch_val(holder, "SELECT GET_LOCK(%s, 0)", (name,)) == 1
    runs = [mooncart("migrate", url=url) for _ in range(2)]
    try:
        for _ in range(600):  # both connected and blocked in GET_LOCK (up to a minute on a busy machine)
            if await sessions_waiting_for(holder, name) == 2:
                break
            await asyncio.sleep(0.1)
        assert await sessions_waiting_for(holder, name) == 2
        assert all(run.poll() is None for run in runs)
        await fetch_val(holder, "SELECT RELEASE_LOCK(%s)", (name,))
        outputs = [run.communicate(timeout=120) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert all("Another `mooncart migrate` is running" in out for out, _err in outputs)
    assert sum("Applying 0001_baseline" in out for out, _err in outputs) == 1
    rows = await fetch_all(holder, "SELECT version FROM schema_migrations ORDER BY version")
    assert [row["version"] for row in rows] == [m.version for m in available()]


async def test_two_migrates_started_together_both_succeed(new_database):
    database = new_database()
    url = database_url(database.settings)
    runs = [mooncart("migrate", url=url) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sum("Applying 0001_baseline" in out for out, _err in outputs) == 1
    conn = await database.connect()
    assert await fetch_val(conn, "SELECT COUNT(*) FROM schema_migrations") == len(available())


def test_migrate_gives_clear_messages_for_bad_input():
    def run(*args, url):
        done = mooncart(*args, url=url)
        out, err = done.communicate(timeout=120)
        return done.returncode, out, err

    code, _out, err = run("migrate", url="mysql://root@127.0.0.1:1/mooncart")
    assert code == 1 and "mooncart migrate:" in err and "Can't connect" in err and "Traceback" not in err
    code, _out, err = run("migrate", url=SERVER.with_database("mooncart_no_such_database_here").url)
    assert code == 1 and "does not exist" in err and "init-db" in err and "Traceback" not in err
    code, _out, err = run("migrate", url="postgres://x/y")
    assert code == 1 and "mysql://" in err and "Traceback" not in err
    code, _out, err = run("migrate", "--lock-timeout", "-1", url="mysql://root@127.0.0.1:3306/x")
    assert code != 0 and "--lock-timeout" in err and "Traceback" not in err
