from mooncart.catalog.size_guide import size_guide
from mooncart.formatting import inr


def test_rupees_use_indian_digit_grouping():
    assert inr(12345600) == "₹1,23,456"
    assert inr(1234567800) == "₹1,23,45,678"
    assert inr(49900) == "₹499"
    assert inr(49950) == "₹499.50"


def test_size_guide_lists_only_the_products_sizes_in_order():
    guide = size_guide(["S", "M", "XL"])
    assert [row[0] for row in guide["rows"]] == ["S", "M", "XL"]
    assert guide["header"][1] == "Bust (in)"
    assert size_guide(["Free size"]) is None
