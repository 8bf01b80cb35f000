"""Size charts: body measurements per category and size, kept in cm in size_chart_rows (issue
13.7) and shown in cm and inches. A category without a chart of its own shows its parent's (the
SQL is in queries.select_product_page and select_size_chart). This module holds the rules and
the standard chart that seeds a new shop (it was the hard-coded guide before)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# what each measure is called on the page, in the order the columns appear
MEASURES = {
    "bust": "Bust",
    "waist": "Waist",
    "hip": "Hip",
    "length": "Length",
    "inseam": "Inseam",
    "foot_length": "Foot length",
}
# which measures a family of sizes (categories.size_group) is charted by; free size has none
MEASURES_BY_GROUP = {
    "apparel": ("bust", "waist", "hip", "length"),
    "waist": ("waist", "hip", "inseam"),
    "shoe": ("foot_length",),
}
MAX_CM = Decimal("299.9")

# The shop's standard body measurements in cm (the old guide's inches x 2.54), by size label.
STANDARD = {
    "XS": {"bust": 81.3, "waist": 66.0, "hip": 88.9},
    "S": {"bust": 86.4, "waist": 71.1, "hip": 94.0},
    "M": {"bust": 91.4, "waist": 76.2, "hip": 99.1},
    "L": {"bust": 96.5, "waist": 81.3, "hip": 104.1},
    "XL": {"bust": 101.6, "waist": 86.4, "hip": 109.2},
    "XXL": {"bust": 106.7, "waist": 91.4, "hip": 114.3},
    "26": {"waist": 66.0, "hip": 88.9, "inseam": 76.2},
    "28": {"waist": 71.1, "hip": 94.0, "inseam": 76.2},
    "30": {"waist": 76.2, "hip": 99.1, "inseam": 76.2},
    "32": {"waist": 81.3, "hip": 104.1, "inseam": 78.7},
    "34": {"waist": 86.4, "hip": 109.2, "inseam": 78.7},
    "36": {"waist": 91.4, "hip": 114.3, "inseam": 78.7},
    "UK 3": {"foot_length": 22.2},
    "UK 4": {"foot_length": 23.0},
    "UK 5": {"foot_length": 23.8},
    "UK 6": {"foot_length": 24.6},
    "UK 7": {"foot_length": 25.4},
    "UK 8": {"foot_length": 26.2},
}
# kurtis are charted with their length too (knee length, growing with the size)
KURTI_LENGTH = {"XS": 104.0, "S": 105.0, "M": 106.5, "L": 108.0, "XL": 109.0, "XXL": 110.5}


def inches(cm: float | Decimal) -> Decimal:
    """cm -> inches to one decimal, rounded half up (81.3 cm -> 32.0 in)."""
    return (Decimal(str(cm)) / Decimal("2.54")).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def parse_cm(raw: str | None) -> tuple[Decimal | None, bool]:
    """A typed measurement: (cm, True), (None, True) when empty, (None, False) when it is not a
    number of cm from 1 to 299.9 with at most one decimal."""
    text = (raw or "").strip().replace(",", ".")
    if not text:
        return None, True
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, False
    if not value.is_finite() or value < 1 or value > MAX_CM or value != value.quantize(Decimal("0.1")):
        return None, False
    return value.quantize(Decimal("0.1")), True


def size_chart(rows: list[dict], product_sizes: list[str]) -> dict | None:
    """The chart a product page shows: from a category's rows ({size, position, measure, cm}),
    the sizes this product comes in, in size order, and the measures any of them has; None when
    none of its sizes is charted (free size, or a category with no chart anywhere)."""
    wanted = set(product_sizes)
    by_size: dict[str, dict[str, Decimal]] = {}
    positions: dict[str, int] = {}
    for row in rows:
        if row["size"] in wanted:
            by_size.setdefault(row["size"], {})[row["measure"]] = Decimal(str(row["cm"])).quantize(Decimal("0.1"))
            positions[row["size"]] = row["position"]
    if not by_size:
        return None
    measures = [m for m in MEASURES if any(m in cells for cells in by_size.values())]
    return {
        "measures": [(m, MEASURES[m]) for m in measures],
        "rows": [
            {"size": size, "cells": [(cells.get(m), inches(cells[m]) if m in cells else None) for m in measures]}
            for size, cells in sorted(by_size.items(), key=lambda item: positions[item[0]])
        ],
    }
