"""The stock rules, as a pure object."""

import pytest

from mooncart.catalog.availability import Availability, BadQuantity, parse_quantity


def test_permits_purchases_up_to_stock_level():
    assert Availability(3).is_purchase_permitted(3) == (True, "")
    allowed, reason = Availability(3).is_purchase_permitted(4)
    assert not allowed and "Only 3 left" in reason


def test_counts_what_is_already_in_the_bag():
    allowed, reason = Availability(5, in_bag=4).is_purchase_permitted(2)
    assert not allowed and "add 1 more" in reason
    assert Availability(5, in_bag=4).is_purchase_permitted(1)[0]


def test_refuses_sold_out_and_caps_a_line_at_ten():
    assert not Availability(0).is_purchase_permitted(1)[0]
    allowed, reason = Availability(50, in_bag=8).is_purchase_permitted(3)
    assert not allowed and "at most 10" in reason


@pytest.mark.parametrize("stock, code, message", [
    (0, "outofstock", "Sold out"), (1, "lowstock", "Only 1 left"), (5, "lowstock", "Only 5 left"),
    (6, "instock", "In stock")])
def test_badge_code_and_message(stock, code, message):
    assert (Availability(stock).code, Availability(stock).message) == (code, message)


@pytest.mark.parametrize("raw, value", [("1", 1), (" 2 ", 2), ("10", 10)])
def test_parses_good_quantities(raw, value):
    assert parse_quantity(raw) == value


@pytest.mark.parametrize("raw", [None, "", "0", "-1", "11", "1e3", "0x10", "²", "１", "1.0", "9" * 50])
def test_refuses_bad_quantities(raw):
    with pytest.raises(BadQuantity):
        parse_quantity(raw)
