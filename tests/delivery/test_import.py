"""Staff replace the delivery table from a CSV file: a good file replaces every row in one go;
a file with any bad row is refused whole, with a message per bad line, and nothing is written."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage

from mooncart.db import fetch_all, fetch_val
from mooncart.delivery import queries
from mooncart.delivery.import_csv import MAX_BYTES, BadFile, read_zones, write_zones
from mooncart.delivery.rules import Zone
from tests.conftest import csrf, log_in, soup
from tests.factories import make_user

GOOD = (
    "pin_prefix,zone,delivery_days,cod_allowed,cod_limit_rupees\r\n"
    "560,Bengaluru,1,yes,50000\r\n"
    "5,Rest of the South,5,Yes,\r\n"
    '737,"Sikkim, hills",8,no,\r\n'
    "744,Andaman and Nicobar Islands,,no,\r\n"
    "\r\n"
)


async def staff_client(app, conn):
    client = app.test_client()
    await log_in(client, await make_user(conn, is_staff=True))
    return client


async def upload(client, data: bytes):
    return await client.post(
        "/admin/delivery",
        form={"csrf_token": await csrf(client)},
        files={"table": FileStorage(io.BytesIO(data), filename="zones.csv", content_type="text/csv")},
    )


async def table(conn) -> list[dict]:
    return await fetch_all(conn, "SELECT * FROM pin_serviceability ORDER BY pin_prefix")


def test_a_good_file_reads_every_row_and_writes_back_the_same():
    zones = read_zones(GOOD.encode())
    assert zones == [
        Zone("560", "Bengaluru", 1, True, 50_000_00),
        Zone("5", "Rest of the South", 5, True, None),
        Zone("737", "Sikkim, hills", 8, False, None),
        Zone("744", "Andaman and Nicobar Islands", None, False, None),
    ]
    assert read_zones(write_zones(zones).encode()) == zones
    # columns in another order, a spreadsheet's byte-order mark
    moved = "\ufeffzone,pin_prefix,cod_allowed,delivery_days,cod_limit_rupees\nBengaluru,560,yes,1,50000\n"
    assert read_zones(moved.encode()) == [Zone("560", "Bengaluru", 1, True, 50_000_00)]


def test_every_bad_row_is_reported_with_its_line_number():
    bad = (
        "pin_prefix,zone,delivery_days,cod_allowed,cod_limit_rupees\n"
        "560,Bengaluru,1,yes,50000\n"
        "056,Nowhere,1,yes,\n"  # line 3: starts with 0
        "11,Delhi,0,yes,\n"  # line 4: 0 days
        "12,Gurugram,2,maybe,\n"  # line 5: not yes or no
        "744,Islands,,yes,\n"  # line 6: cash where we do not deliver
        "560,Bengaluru again,1,yes,\n"  # line 7: a duplicate
        "40,Mumbai,2,no,5000\n"  # line 8: a limit without cash on delivery
        "41,Pune,2\n"  # line 9: too few fields
        "1234567,Too long,2,no,\n"  # line 10
    )
    try:
        read_zones(bad.encode())
    except BadFile as refused:
        problems = refused.problems
    else:
        raise AssertionError("a bad file was read")
    lines = [int(problem.split(":")[0].removeprefix("Line ")) for problem in problems]
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "must be 1 to 6 digits" in problems[0] and "already on line 2" in problems[4]
    assert "expected 5 fields, found 3" in problems[6]


def test_files_that_are_not_a_table_are_refused():
    for data, words in (
        (b"", "empty"),
        (b"prefix,zone\n560,Bengaluru\n", "Line 1"),
        (b"pin_prefix,zone,delivery_days,cod_allowed,cod_limit_rupees\n", "no rows"),
        (b"\xff\xfe\x00b\x00a\x00d", "UTF-8"),
        (b"pin_prefix,zone,delivery_days,cod_allowed,cod_limit_rupees\n" + b"5,x,1,no,\n" * 30_000, "KB"),
    ):
        try:
            read_zones(data)
        except BadFile as refused:
            assert words in refused.problems[0], (data[:40], refused.problems)
        else:
            raise AssertionError(data[:40])


async def test_staff_upload_replaces_the_whole_table(app, conn):
    client = await staff_client(app, conn)
    response = await upload(client, GOOD.encode())
    assert response.status_code == 303 and response.headers["Location"] == "/admin/delivery"
    assert [row["pin_prefix"] for row in await table(conn)] == ["5", "560", "737", "744"]
    assert await queries.select_zone(conn, "560001") == Zone("560", "Bengaluru", 1, True, 50_000_00)
    page = soup(await (await client.get("/admin/delivery")).get_data())
    assert "The delivery table is replaced: 4 PIN prefixes." in page.get_text()
    assert len(page.find(id="delivery-table").find("tbody").find_all("tr")) == 4
    download = await client.get("/admin/delivery.csv")
    assert download.content_type.startswith("text/csv")
    assert sorted(read_zones(await download.get_data()), key=str) == sorted(read_zones(GOOD.encode()), key=str)


async def test_a_file_with_a_bad_row_changes_nothing(app, conn):
    before = await table(conn)
    assert len(before) > 20  # the seeded table
    client = await staff_client(app, conn)
    bad = GOOD.replace("744,Andaman and Nicobar Islands,,no,", "744,Andaman and Nicobar Islands,,yes,")
    response = await upload(client, bad.encode())
    assert response.status_code == 422
    page = soup(await response.get_data())
    problems = [li.get_text() for li in page.find(id="delivery-problems").find_all("li")]
    assert problems == ["Line 5: cash on delivery cannot be allowed where we do not deliver (delivery_days is empty)."]
    assert await table(conn) == before
    assert await fetch_val(conn, "SELECT COUNT(*) FROM pin_serviceability") == len(before)


async def test_too_large_a_file_is_refused(app, conn):
    client = await staff_client(app, conn)
    before = await table(conn)
    response = await upload(
        client, b"pin_prefix,zone,delivery_days,cod_allowed,cod_limit_rupees\n" + b"5,x,1,no,\n" * (MAX_BYTES // 10)
    )
    assert response.status_code in (413, 422)
    assert await table(conn) == before


async def test_shoppers_cannot_upload(app, conn):
    client = app.test_client()
    await log_in(client, await make_user(conn))
    before = await table(conn)
    assert (await upload(client, GOOD.encode())).status_code == 403
    assert await table(conn) == before
