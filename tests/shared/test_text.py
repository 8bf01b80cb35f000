"""slugify, shared by the back office and the demo catalogue: URL-safe whatever the name."""

from __future__ import annotations

import pytest

from mooncart.text import slugify


@pytest.mark.parametrize(
    "text, slug",
    [
        ("Chikankari Kurti", "chikankari-kurti"),
        ("  Rani Pink – Anarkali!! ", "rani-pink-anarkali"),
        ("Co-ord Set (2 pc)", "co-ord-set-2-pc"),
        ("Saree साड़ी", "saree"),
        ("Café Crème", "caf-cr-me"),
        ("---", ""),
    ],
)
def test_slugs_are_lower_case_letters_and_digits_joined_by_single_hyphens(text, slug):
    assert slugify(text) == slug
