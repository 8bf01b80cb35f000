"""Every text colour in the stylesheet meets WCAG AA (4.5:1) on the backgrounds it is used on,
pink ones included. Colours are read from the stylesheet itself, so a palette change is checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).parents[2] / "src/mooncart/static/css/mooncart.css").read_text()
VARIABLES = dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-f]{6})", CSS))


def colour(name: str) -> str:
    return VARIABLES.get(name, name)


def luminance(hex_code: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_code[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(colour(foreground)), luminance(colour(background))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


PAIRS = [
    # text, background: where it appears
    ("ink", "#ffffff"),
    ("ink", "pink-100"),
    ("ink", "pink-50"),  # body text, header, panels
    ("muted", "#ffffff"),
    ("muted", "pink-50"),  # notes, tax lines
    ("pink-800", "#ffffff"),
    ("pink-800", "pink-100"),
    ("pink-800", "pink-50"),  # links, headings, logo
    ("#ffffff", "pink-800"),  # primary buttons, bag count
    ("ok", "#ffffff"),
    ("ok", "pink-100"),
    ("ok", "#e8f5e9"),  # "In stock", selected size
    ("warn", "#ffffff"),
    ("warn", "pink-100"),
    ("warn", "#fff4e0"),  # "Only 2 left"
    ("error", "#ffffff"),
    ("error", "pink-100"),
    ("error", "#fdecee"),
    ("error", "#f4f4f4"),  # "Sold out"
]


@pytest.mark.parametrize("foreground, background", PAIRS)
def test_text_meets_wcag_aa(foreground, background):
    assert contrast(foreground, background) >= 4.5, f"{foreground} on {background}"
