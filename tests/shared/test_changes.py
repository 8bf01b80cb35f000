"""The catalogue's change feed (catalog/changes.py): a change is seen exactly when it commits, in
commit order or not, and a feed that starts late or loses track asks for a rebuild."""

from __future__ import annotations

import aiomysql
import pytest

from mooncart import changes
from mooncart.changes import CatalogFeed, Changes, product_ranges
from mooncart.db import execute, fetch_val, split_sql
from mooncart.migrations import MIGRATIONS_DIR
from tests.conftest import create_test_database, drop_test_database


@pytest.fixture(scope="module")
async def feed_database():
    """A database of the feed's table alone: the session's database has rows (and holes, and
    transactions other tests leave open) that would make the numbers here anyone's guess."""
    settings = create_test_database("mooncart_test_feed")
    conn = await aiomysql.connect(**settings.connect_kwargs())
    try:
        for statement in split_sql((MIGRATIONS_DIR / "0510_catalog_changes.sql").read_text()):
            await execute(conn, statement)
    finally:
        conn.close()
    yield settings
    drop_test_database(settings)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def connect(database):
    conn = await aiomysql.connect(**database.connect_kwargs())
    await conn.autocommit(True)
    return conn


async def test_a_burst_of_rolled_back_numbers_is_one_gap_not_a_rebuild(feed_database):
    """Thousands of numbers lost to rollbacks (failed checkouts that sold a size out) between two
    catch-ups are a run of missing numbers to look for, not a reason to rebuild every index."""
    reader, writer = await connect(feed_database), await connect(feed_database)
    feed = CatalogFeed(clock=Clock())
    try:
        await feed.catch_up(reader)
        await writer.begin()
        await changes.record(writer, [1])
        first_lost = await fetch_val(writer, "SELECT LAST_INSERT_ID()")
        await changes.record(writer, range(1, 2 * changes.MAX_GAPS, 2))  # one row per odd id
        await writer.rollback()
        await changes.record(writer, [5])
        found = await feed.catch_up(reader)
        assert not found.everything and found.product_ids() == {5}
        assert feed.waiting_for(first_lost) and len(feed.gaps) <= 2
    finally:
        reader.close()
        writer.close()


def test_ranges_join_consecutive_ids():
    assert product_ranges([5, 3, 4, 9, 9, 11, 10, 1]) == [(1, 1), (3, 5), (9, 11)]
    assert product_ranges([]) == []


async def test_a_change_is_seen_when_it_commits_whatever_the_order(feed_database):
    reader, first, second = await connect(feed_database), await connect(feed_database), await connect(feed_database)
    feed = CatalogFeed(clock=Clock())
    try:
        assert await feed.catch_up(reader) == Changes(everything=True)  # a new feed: build from scratch
        assert not await feed.catch_up(reader)

        await first.begin()
        await changes.record(first, [101])  # takes the lower number, commits last
        first_seq = await fetch_val(first, "SELECT LAST_INSERT_ID()")
        await second.begin()
        await changes.record(second, [202, 203])
        assert not await feed.catch_up(reader), "nothing is visible before a commit"
        await second.commit()
        assert (await feed.catch_up(reader)).product_ids() == {202, 203}
        assert feed.waiting_for(first_seq), "the open transaction's number is a gap"
        await first.commit()
        assert (await feed.catch_up(reader)).product_ids() == {101}, "a late commit below the top is still seen"
        assert not feed.waiting_for(first_seq)
        assert not await feed.catch_up(reader), "each change is handed over once"
    finally:
        for conn in (reader, first, second):
            conn.close()


async def test_a_rolled_back_number_is_given_up_after_a_while(feed_database):
    reader, writer = await connect(feed_database), await connect(feed_database)
    clock = Clock()
    feed = CatalogFeed(clock=clock)
    try:
        await feed.catch_up(reader)
        await writer.begin()
        await changes.record(writer, [7])
        lost = await fetch_val(writer, "SELECT LAST_INSERT_ID()")
        await writer.rollback()
        await changes.record(writer, [8])
        assert (await feed.catch_up(reader)).product_ids() == {8}
        assert feed.waiting_for(lost)
        clock.now += changes.GAP_SECONDS + 1
        await feed.catch_up(reader)
        assert not feed.gaps
    finally:
        reader.close()
        writer.close()


async def test_everything_and_staleness_ask_for_a_rebuild(feed_database):
    reader, writer = await connect(feed_database), await connect(feed_database)
    clock = Clock()
    feed = CatalogFeed(clock=clock)
    seen: list[Changes] = []

    async def index(conn, found: Changes) -> None:
        seen.append(found)

    feed.subscribe(index)
    try:
        await feed.catch_up(reader)
        await changes.record_everything(writer)
        assert (await feed.catch_up(reader)).everything
        clock.now += changes.STALE_SECONDS + 1
        assert (await feed.catch_up(reader)).everything, "a feed that stopped looking may have missed purged rows"
        assert [found.everything for found in seen] == [True, True, True]
    finally:
        reader.close()
        writer.close()


async def test_purge_keeps_the_newest_row(feed_database):
    conn = await connect(feed_database)
    try:
        await changes.record(conn, [1])
        await changes.record(conn, [2])
        await execute(conn, "UPDATE catalog_changes SET changed_at = NOW() - INTERVAL 2 DAY")
        newest = await fetch_val(conn, "SELECT MAX(seq) FROM catalog_changes")
        assert await changes.purge(conn) >= 1
        assert await fetch_val(conn, "SELECT COUNT(*) FROM catalog_changes") == 1
        assert await fetch_val(conn, "SELECT MAX(seq) FROM catalog_changes") == newest
    finally:
        conn.close()


@pytest.mark.parametrize("ids", [[3], [10, 11, 12]])
async def test_facet_writers_record_their_products(conn, ids):
    from mooncart.inventory.queries import refresh_product_facets

    before = await fetch_val(conn, "SELECT COALESCE(MAX(seq), 0) FROM catalog_changes")
    await refresh_product_facets(conn, ids)
    rows = await fetch_val(
        conn,
        "SELECT GROUP_CONCAT(CONCAT(first_product_id, '-', last_product_id)) FROM catalog_changes WHERE seq > %s",
        (before,),
    )
    assert rows == f"{ids[0]}-{ids[-1]}"


async def test_changes_an_index_failed_to_apply_are_handed_over_again(feed_database):
    """A patch that fails (a dropped connection, a shopper leaving mid-request) must not lose the
    change: the next catch-up delivers it again, to every index."""
    reader, writer = await connect(feed_database), await connect(feed_database)
    feed = CatalogFeed(clock=Clock())
    delivered: list[set[int]] = []
    failures = [RuntimeError("connection lost")]

    async def flaky(conn, found: Changes) -> None:
        if not found.everything and failures:
            raise failures.pop()
        delivered.append(found.product_ids())

    feed.subscribe(flaky)
    try:
        await feed.catch_up(reader)
        await changes.record(writer, [5])
        with pytest.raises(RuntimeError):
            await feed.catch_up(reader)
        assert (await feed.catch_up(reader)).product_ids() == {5}
        assert delivered[-1] == {5}
    finally:
        reader.close()
        writer.close()
