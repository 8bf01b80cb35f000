"""Charts drawn on the server as SVG: numbers in, rectangles out. Small enough to test exactly,
readable on a phone (the SVG scales to its box), and no script needed to see them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One bar: where it sits in the SVG, its label below and its formatted value above."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value_label: str


@dataclass(frozen=True)
class BarChart:
    """What admin/_bar_chart.html draws as SVG rectangles: no script is needed to see it."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    baseline: float
    title: str

    @property
    def is_empty(self) -> bool:
        """True when every bar is zero, so the page shows a sentence instead of a flat chart."""
        return not any(bar.height for bar in self.bars)


def bar_chart(
    points: list[tuple[str, int]],
    title: str,
    value_format=str,
    width: int = 640,
    height: int = 240,
    label_space: int = 28,
    top_space: int = 22,
) -> BarChart:
    """Bars scaled to the largest value; each keeps its label and formatted value."""
    plot_height = height - label_space - top_space
    biggest = max((value for _, value in points), default=0) or 1
    slot = width / max(len(points), 1)
    bars = []
    for i, (label, value) in enumerate(points):
        bar_height = round(plot_height * value / biggest, 1)
        bars.append(
            Bar(
                x=round(i * slot + slot * 0.15, 1),
                y=round(top_space + plot_height - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=bar_height,
                label=label,
                value_label=value_format(value),
            )
        )
    return BarChart(width, height, tuple(bars), top_space + plot_height, title)


def sell_through(units_sold: int, stock_now: int) -> float | None:
    """Share of the available units that sold: sold / (sold + still in stock)."""
    total = units_sold + stock_now
    return None if total == 0 else units_sold / total


def days_of_cover(units_sold: int, stock_now: int, days: int) -> float | None:
    """How long the stock lasts at this window's selling rate; None when nothing sold."""
    return None if units_sold == 0 else stock_now / (units_sold / days)
