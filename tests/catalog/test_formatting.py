from decimal import Decimal

from mooncart.catalog.size_guide import inches, size_chart
from mooncart.formatting import inr


def test_rupees_use_indian_digit_grouping():
    assert inr(12345600) == "₹1,23,456"
    assert inr(1234567800) == "₹1,23,45,678"
    assert inr(49900) == "₹499"
    assert inr(49950) == "₹499.50"


def test_size_chart_lists_only_the_products_sizes_in_size_order_in_cm_and_inches():
    rows = [
        {"size": size, "position": position, "measure": measure, "cm": cm}
        for size, position in (("XL", 5), ("S", 2), ("M", 3), ("XS", 1))
        for measure, cm in (("hip", 99.1), ("bust", 91.4))
    ]
    chart = size_chart(rows, ["S", "M", "XL", "Free size"])
    assert [row["size"] for row in chart["rows"]] == ["S", "M", "XL"]
    assert chart["measures"] == [("bust", "Bust"), ("hip", "Hip")]  # the page's order, not the rows'
    assert chart["rows"][0]["cells"][0] == (Decimal("91.4"), Decimal("36.0"))
    assert size_chart(rows, ["Free size"]) is None
    assert size_chart([], ["S"]) is None


def test_inches_round_half_up_to_one_decimal():
    assert inches(81.3) == Decimal("32.0")
    assert inches(Decimal("22.2")) == Decimal("8.7")
