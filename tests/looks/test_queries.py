"""The looks' SQL: the product page's look in one statement, whatever the product and its looks."""

from __future__ import annotations

from mooncart.db import execute
from mooncart.looks import queries
from tests.conftest import statements_run
from tests.factories import make_look, make_product


async def look_and_statements(conn, product_id: int):
    before = await statements_run(conn)
    look = await queries.select_look_for_product(conn, product_id)
    return look, await statements_run(conn) - before - 1


async def test_the_product_pages_look_is_one_statement_with_or_without_a_look(conn):
    lonely = await make_product(conn)
    assert await look_and_statements(conn, lonely["id"]) == (None, 1)
    pieces = [
        await make_product(conn, variants=[("S", "Teal", 1), ("M", "Teal", 0), ("XS", "Teal", 2)]) for _ in range(4)
    ]
    await make_look(conn, pieces[:3], name="Older look")
    newer = await make_look(conn, pieces[1:], name="Newer look")
    look, statements = await look_and_statements(conn, pieces[1]["id"])
    assert statements == 1
    assert look.id == newer["id"] and [p.product_id for p in look.pieces] == [p["id"] for p in pieces[1:]]
    assert [v["size"] for v in look.pieces[0].variants] == ["XS", "S", "M"]  # in size order
    assert [v["stock"] for v in look.pieces[0].variants] == [2, 1, 0]
    assert look.pieces[0].image_path == "art/kurti/e91e63.svg"
    # the first piece is only in the older look
    assert (await queries.select_look_for_product(conn, pieces[0]["id"])).name == "Older look"


async def test_the_newest_look_that_can_still_be_shown_is_the_one_given(conn):
    a, b, c = [await make_product(conn) for _ in range(3)]
    shown = await make_look(conn, [a, b], name="Shown")
    await make_look(conn, [a, c], name="Newer but a draft", published=False)
    gone = await make_look(conn, [a, c], name="Newest, one piece left for sale")
    await execute(conn, "DELETE FROM variants WHERE product_id = %s", (c["id"],))
    assert (await queries.select_look_for_product(conn, a["id"])).id == shown["id"]
    assert await queries.select_shown_look(conn, gone["slug"]) is not None  # the page then hides it: one piece
    assert len((await queries.select_shown_look(conn, gone["slug"])).pieces) == 1
