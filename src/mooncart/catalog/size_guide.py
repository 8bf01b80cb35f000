"""Body measurements behind each size label, for the product page's size guide."""

from __future__ import annotations

# label -> (what is measured, measurements in the order of the header)
HEADERS = {
    "apparel": ("Size", "Bust (in)", "Waist (in)", "Hip (in)"),
    "waist": ("Size", "Waist (in)", "Hip (in)", "Inseam (in)"),
    "shoe": ("Size", "Foot length (cm)", "EU", "US"),
}
ROWS = {
    "XS": ("apparel", (32, 26, 35)),
    "S": ("apparel", (34, 28, 37)),
    "M": ("apparel", (36, 30, 39)),
    "L": ("apparel", (38, 32, 41)),
    "XL": ("apparel", (40, 34, 43)),
    "XXL": ("apparel", (42, 36, 45)),
    "26": ("waist", (26, 35, 30)),
    "28": ("waist", (28, 37, 30)),
    "30": ("waist", (30, 39, 30)),
    "32": ("waist", (32, 41, 31)),
    "34": ("waist", (34, 43, 31)),
    "36": ("waist", (36, 45, 31)),
    "UK 3": ("shoe", (22.2, 36, 5)),
    "UK 4": ("shoe", (23.0, 37, 6)),
    "UK 5": ("shoe", (23.8, 38, 7)),
    "UK 6": ("shoe", (24.6, 39, 8)),
    "UK 7": ("shoe", (25.4, 40, 9)),
    "UK 8": ("shoe", (26.2, 41, 10)),
}


def size_guide(size_labels: list[str]) -> dict | None:
    """The guide's header and rows for these sizes, in the order given; None for free size."""
    labels = list(dict.fromkeys(label for label in size_labels if label in ROWS))
    if not labels:
        return None
    kind = ROWS[labels[0]][0]
    return {"header": HEADERS[kind], "rows": [(label, *ROWS[label][1]) for label in labels if ROWS[label][0] == kind]}
