"""Order totals on their own: GST is inside the price (never added), shipping is free from ₹999,
and everything is whole paise."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mooncart.checkout.pricing import (
    FREE_SHIPPING_FROM_PAISE,
    SHIPPING_FEE_PAISE,
    Totals,
    gst_included,
    gst_rate_percent,
    order_totals,
)


@dataclass
class Line:
    price_paise: int
    quantity: int


@pytest.mark.parametrize("price, rate", [(1, 5), (99_900, 5), (100_000, 5), (100_001, 12), (2_500_000, 12)])
def test_apparel_up_to_1000_rupees_a_piece_is_taxed_at_5_percent_and_above_at_12(price, rate):
    assert gst_rate_percent(price) == rate


def test_the_gst_inside_a_price_is_taken_out_not_added():
    assert gst_included(100_100, 1) == 10_725  # 1001 * 12/112 = 107.25 rupees exactly
    assert gst_included(10_500, 2) == 1_000  # 210 * 5/105 = 10 rupees


def test_gst_rounds_to_the_nearest_paisa_and_half_a_paisa_up():
    assert gst_included(100_000, 1) == 4_762  # 4761.90 paise
    assert gst_included(100_002, 1) == 10_715  # 10714.5 paise: half up


def test_the_rate_follows_the_price_of_one_piece_not_the_line():
    assert gst_included(60_000, 3) == 8_571  # three ₹600 kurtis (₹1,800): still 5%, 8571.43 paise


def test_below_999_rupees_shipping_is_added_to_the_total():
    totals = order_totals([Line(49_900, 1), Line(20_000, 2)])
    assert totals == Totals(
        subtotal_paise=89_900,
        shipping_paise=SHIPPING_FEE_PAISE,
        gst_paise=gst_included(49_900, 1) + gst_included(20_000, 2),
    )
    assert totals.total_paise == 89_900 + SHIPPING_FEE_PAISE


def test_from_999_rupees_shipping_is_free():
    totals = order_totals([Line(FREE_SHIPPING_FROM_PAISE, 1)])
    assert totals.shipping_paise == 0 and totals.total_paise == FREE_SHIPPING_FROM_PAISE
    assert order_totals([Line(FREE_SHIPPING_FROM_PAISE - 1, 1)]).shipping_paise == SHIPPING_FEE_PAISE


def test_an_empty_bag_costs_nothing_not_even_shipping():
    assert order_totals([]) == Totals(0, 0, 0)


def test_bag_rows_as_dicts_give_the_same_totals_as_lines():
    lines = [Line(149_900, 2), Line(29_900, 1)]
    assert order_totals([vars(line) for line in lines]) == order_totals(lines)
