"""The `mooncart` command: init-db is repeatable, seed-demo writes a believable catalogue."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pymysql

from mooncart.db import fetch_all, fetch_val
from mooncart.demo import seed_demo
from tests.conftest import create_test_database, database_url, drop_test_database


def mooncart(*args: str, url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MOONCART_DATABASE_URL=url, MOONCART_SECRET_KEY="cli-test")
    return subprocess.run(
        [sys.executable, "-m", "mooncart", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_init_db_creates_the_database_and_is_safe_to_repeat():
    settings = create_test_database("mooncart_cli")
    drop_test_database(settings)  # init-db must create it
    url = database_url(settings)
    try:
        for _ in range(2):
            result = mooncart("init-db", url=url)
            assert result.returncode == 0, result.stderr
        result = mooncart("seed-demo", "--products", "30", url=url)
        assert result.returncode == 0, result.stderr
        assert "Added 30 demo products" in result.stdout
        assert "30/30" in result.stderr  # the progress bar
        result = mooncart("seed-demo", "--if-empty", url=url)
        assert "already has 30 products" in result.stdout
        conn = pymysql.connect(**settings.connect_kwargs())
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM products")
            assert cur.fetchone()[0] == 30
        conn.close()
    finally:
        drop_test_database(settings)


def test_migrate_fills_search_terms_for_a_shop_that_had_products_before_them():
    """A shop upgraded to migration 0512 (search's own index) with products already in it: migrate
    fills the index, so its search does not come up empty until someone runs a command."""
    settings = create_test_database("mooncart_cli")
    url = database_url(settings)
    try:
        assert mooncart("init-db", url=url).returncode == 0
        assert mooncart("seed-demo", "--products", "20", url=url).returncode == 0
        conn = pymysql.connect(**settings.connect_kwargs())
        conn.autocommit(True)
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM search_terms")
            seeded = cur.fetchone()[0]
            cur.execute("DELETE FROM search_terms")  # as a shop migrated from before 0512 has it
        result = mooncart("migrate", url=url)
        assert result.returncode == 0, result.stderr
        assert "Filling search's index" in result.stdout and "20/20" in result.stderr  # the progress bar
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM search_terms")
            assert cur.fetchone()[0] == seeded > 0
        result = mooncart("migrate", url=url)
        assert "Filling" not in result.stdout  # once only
        conn.close()
    finally:
        drop_test_database(settings)


def test_bad_arguments_and_unreachable_databases_get_clear_messages():
    result = mooncart("seed-demo", "--products", "0", url="mysql://root@127.0.0.1:3306/x")
    assert result.returncode != 0 and "at least 1" in result.stderr
    result = mooncart("init-db", url="mysql://root@127.0.0.1:1/mooncart")
    assert result.returncode == 1 and "Traceback" not in result.stderr and "mooncart init-db:" in result.stderr
    result = mooncart("init-db", url="postgres://x/y")
    assert result.returncode == 1 and "mysql://" in result.stderr


async def test_seed_demo_writes_in_batches_with_stock_in_the_ledger(conn):
    before = await fetch_val(conn, "SELECT COUNT(*) FROM products")
    assert await seed_demo(conn, products=25, batch_size=10, quiet=True) == 25
    assert await fetch_val(conn, "SELECT COUNT(*) FROM products") == before + 25
    # every product has variants, a picture, and the ledger explains every unit of stock
    orphans = await fetch_val(
        conn,
        "SELECT COUNT(*) FROM products p WHERE NOT EXISTS "
        "(SELECT 1 FROM variants v WHERE v.product_id = p.id) OR NOT EXISTS "
        "(SELECT 1 FROM product_images i WHERE i.product_id = p.id)",
    )
    assert orphans == 0
    unexplained = await fetch_val(
        conn,
        "SELECT COUNT(*) FROM variants v WHERE v.stock <> "
        "(SELECT COALESCE(SUM(delta), 0) FROM stock_movements m "
        "WHERE m.variant_id = v.id)",
    )
    assert unexplained == 0
    stock = {
        r["band"]: r["n"]
        for r in await fetch_all(
            conn,
            "SELECT CASE WHEN stock = 0 THEN 'sold out' WHEN stock <= 5 THEN 'low' ELSE 'plenty' END AS band, "
            "COUNT(*) AS n FROM variants GROUP BY band",
        )
    }
    assert set(stock) == {"sold out", "low", "plenty"}
    wrong_price = await fetch_val(
        conn,
        "SELECT COUNT(*) FROM products p WHERE from_price_paise <> "
        "(SELECT MIN(price_paise) FROM variants v WHERE v.product_id = p.id)",
    )
    assert wrong_price == 0


def test_a_built_wheel_carries_the_schema_templates_and_password_lists(tmp_path):
    # production may `pip install .` rather than run from the checkout: the data files must be in the wheel
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(Path(__file__).resolve().parents[2]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("mooncart-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "mooncart/schema.sql",
        "mooncart/migrations/0001_baseline.sql",
        "mooncart/accounts/common_passwords.txt",
        "mooncart/accounts/common_passwords_django.txt.gz",
        "mooncart/templates/base.html",
        "mooncart/static/vendor/htmx-4.0.1/htmx.min.js",
    ):
        assert needed in names
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("mooncart/schema.sql") == (Path(__file__).resolve().parents[2] / "schema.sql").read_bytes()


async def test_create_admin_makes_a_shopper_staff_with_the_new_password_and_ends_their_sessions(
    database, committed, monkeypatch, capsys
):
    """In-process against the session's database (committed, so removed afterwards)."""
    import secrets

    from mooncart.accounts.passwords import verify_password
    from mooncart.accounts.queries import insert_session
    from mooncart.cli import create_admin
    from mooncart.db import fetch_one
    from tests.factories import make_user

    monkeypatch.setenv("MOONCART_DATABASE_URL", database.url)
    conn, made = committed
    shopper = await make_user(conn, password_hash="x")
    made["users"].append(shopper["id"])
    new_email = f"staff.{secrets.token_hex(4)}@mooncart.in"
    # create_admin opens its own connection, so the rows are committed and `committed` removes them
    await insert_session(conn, secrets.token_hex(32), shopper["id"], "127.0.0.1")
    await create_admin(shopper["email"], "saree season 2026", "Asha Rao")
    assert "is now staff" in capsys.readouterr().out
    row = await fetch_one(conn, "SELECT is_staff, password_hash FROM users WHERE id = %s", (shopper["id"],))
    assert row["is_staff"] == 1
    assert (await verify_password(row["password_hash"], "saree season 2026"))[0]
    assert (
        await fetch_val(
            conn, "SELECT COUNT(*) FROM sessions WHERE user_id = %s AND revoked_at IS NULL", (shopper["id"],)
        )
        == 0
    )

    await create_admin(new_email, "lehenga night 2026", "New Staff")
    assert "created" in capsys.readouterr().out
    created = await fetch_one(conn, "SELECT id, name, mobile, is_staff FROM users WHERE email = %s", (new_email,))
    made["users"].append(created.pop("id"))
    assert created == {"name": "New Staff", "mobile": "9000000000", "is_staff": 1}
