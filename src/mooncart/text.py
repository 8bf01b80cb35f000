"""Small text helpers shared by the back office and the demo catalogue generator."""

from __future__ import annotations

import re


def slugify(text: str) -> str:
    """A URL-safe slug: lower-case ASCII letters and digits joined by single hyphens
    ("Chikankari Kurti – Rani Pink" -> "chikankari-kurti-rani-pink"). Anything else, accents and
    Devanagari included, becomes a hyphen, so a slug never needs escaping in a URL."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
