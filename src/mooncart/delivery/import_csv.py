"""Reading the serviceability table from staff's CSV file. Every row is checked and every
problem is reported with its line number; one bad row refuses the whole file (a half-loaded
table would stop delivering to whole cities).

The file: a header line naming the columns (any order, any case), then a row per PIN prefix:
    pin_prefix,zone,delivery_days,cod_allowed,cod_limit_rupees
    560,Bengaluru,1,yes,50000
    5,Rest of Karnataka,4,yes,
    744,Andaman and Nicobar Islands,,no,
An empty delivery_days means we do not deliver there; an empty cod_limit_rupees means no limit."""

from __future__ import annotations

import csv
import io
import re

from .rules import Zone

HEADER = ("pin_prefix", "zone", "delivery_days", "cod_allowed", "cod_limit_rupees")
MAX_BYTES = 256 * 1024
MAX_ROWS = 20_000
MAX_PROBLEMS = 50  # a file that is wrong throughout does not need 20,000 lines of messages
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


class BadFile(Exception):
    """The file is refused; `problems` are the messages for staff, each with its line."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def read_zones(data: bytes) -> list[Zone]:
    """The rows of a CSV file as zones; raises BadFile with every problem found."""
    if not data.strip():
        raise BadFile(["The file is empty: choose a CSV file with a header line and a row per PIN prefix."])
    if len(data) > MAX_BYTES:
        raise BadFile([f"The file is {len(data) // 1024} KB; the largest we take is {MAX_BYTES // 1024} KB."])
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError:
        raise BadFile(["The file is not UTF-8 text: save it as “CSV UTF-8” and try again."]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error):
        raise BadFile(["Line 1: the first line must name the columns: " + ",".join(HEADER) + "."]) from None
    if sorted(header) != sorted(HEADER):
        raise BadFile(["Line 1: the first line must name exactly these columns: " + ",".join(HEADER) + "."])
    zones: list[Zone] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(field.strip() for field in fields):
                continue  # blank lines (a trailing one from a spreadsheet) are not rows
            if len(zones) >= MAX_ROWS:
                problems.append(f"Line {line}: the file has more than {MAX_ROWS:,} rows.")
                break
            zone, row_problems = read_row(dict(zip(header, fields, strict=False)), len(fields), len(header))
            if zone is not None and zone.pin_prefix in first_line:
                row_problems.append(f"PIN prefix {zone.pin_prefix} is already on line {first_line[zone.pin_prefix]}")
            if row_problems:
                problems.extend(f"Line {line}: {problem}." for problem in row_problems)
                if len(problems) >= MAX_PROBLEMS:
                    problems.append("… and more: the file was not read further.")
                    break
            elif zone is not None:
                first_line[zone.pin_prefix] = line
                zones.append(zone)
    except csv.Error as bad:
        problems.append(f"Line {reader.line_num}: this is not valid CSV ({bad}).")
    if not problems and not zones:
        problems.append("The file has a header but no rows: a table with no rows would stop all deliveries.")
    if problems:
        raise BadFile(problems)
    return zones


def read_row(row: dict[str, str], width: int, expected: int) -> tuple[Zone | None, list[str]]:
    """One row as a zone, or the problems with it in staff's words."""
    if width != expected:
        return None, [f"expected {expected} fields, found {width}"]
    problems = []
    prefix = row["pin_prefix"].strip()
    zone_name = " ".join(row["zone"].split())
    days_text = row["delivery_days"].strip()
    cod_text = row["cod_allowed"].strip().lower()
    limit_text = row["cod_limit_rupees"].strip().replace(",", "")
    if not re.fullmatch(r"[1-9][0-9]{0,5}", prefix):
        problems.append(f"the PIN prefix “{prefix}” must be 1 to 6 digits, not starting with 0")
    if not zone_name or len(zone_name) > 60:
        problems.append("the zone needs a name of 1 to 60 characters")
    days = None
    if days_text:
        if re.fullmatch(r"[0-9]{1,2}", days_text) and 1 <= int(days_text) <= 30:
            days = int(days_text)
        else:
            problems.append(f"delivery_days “{days_text}” must be a whole number from 1 to 30, or empty")
    if cod_text not in YES | NO:
        problems.append(f"cod_allowed “{row['cod_allowed'].strip()}” must be yes or no")
    cod = cod_text in YES
    if cod and not days_text:  # (a bad number of days is reported once, above)
        problems.append("cash on delivery cannot be allowed where we do not deliver (delivery_days is empty)")
    limit = None
    if limit_text:
        if re.fullmatch(r"[0-9]{1,7}", limit_text) and 1 <= int(limit_text) <= 10_00_000:
            limit = int(limit_text) * 100
        else:
            problems.append(f"cod_limit_rupees “{limit_text}” must be whole rupees from 1 to 10,00,000, or empty")
        if not cod:
            problems.append("a cash on delivery limit needs cod_allowed to be yes")
    if problems:
        return None, problems
    return Zone(prefix, zone_name, days, cod, limit), []


def write_zones(zones: list[Zone]) -> str:
    """The table as a CSV file in the same format, to download, change and upload again."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for z in zones:
        limit = "" if z.cod_limit_paise is None else str(z.cod_limit_paise // 100)
        days = "" if z.delivery_days is None else str(z.delivery_days)
        writer.writerow([z.pin_prefix, z.zone, days, "yes" if z.cod_allowed else "no", limit])
    return out.getvalue()
