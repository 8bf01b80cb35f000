"""The stock badge's rule, as a pure object."""

import pytest

from mooncart.catalog.availability import StockLevel


@pytest.mark.parametrize(
    "stock, code, message",
    [
        (0, "outofstock", "Sold out"),
        (1, "lowstock", "Only 1 left"),
        (5, "lowstock", "Only 5 left"),
        (6, "instock", "In stock"),
    ],
)
def test_badge_code_and_message(stock, code, message):
    assert (StockLevel(stock).code, StockLevel(stock).message) == (code, message)
