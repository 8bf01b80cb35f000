"""Reading ids and quantities from forms: a number or a clear refusal, never an exception."""

import pytest

from mooncart.parsing import BadQuantity, parse_id, parse_quantity, parse_rupees, parse_whole_number, typed_rupees


@pytest.mark.parametrize("raw, value", [("1", 1), (" 42 ", 42), ("4294967295", 4294967295)])
def test_reads_ids(raw, value):
    assert parse_id(raw) == value


@pytest.mark.parametrize("raw", [None, "", "-1", "4294967296", "1e3", "１", "12345678901", "abc"])
def test_anything_else_is_no_id(raw):
    assert parse_id(raw) is None


@pytest.mark.parametrize("raw, value", [("1", 1), (" 2 ", 2), ("10", 10)])
def test_parses_good_quantities(raw, value):
    assert parse_quantity(raw, most=10) == value


@pytest.mark.parametrize("raw", [None, "", "0", "-1", "11", "1e3", "0x10", "²", "１", "1.0", "9" * 50])
def test_refuses_bad_quantities(raw):
    with pytest.raises(BadQuantity):
        parse_quantity(raw, most=10)


def test_the_refusal_says_what_to_do():
    with pytest.raises(BadQuantity, match="at most 10"):
        parse_quantity("11", most=10)
    with pytest.raises(BadQuantity, match="use Remove"):
        parse_quantity("0", most=10)


@pytest.mark.parametrize("raw, value", [("1", 1), (" -7 ", -7), ("0", 0), ("10", 10)])
def test_reads_whole_numbers_in_range(raw, value):
    assert parse_whole_number(raw, -10, 10) == value


@pytest.mark.parametrize("raw", [None, "", "11", "-11", "1.0", "1e1", "１", "0x1", "9" * 50, "+1"])
def test_anything_else_is_no_whole_number(raw):
    assert parse_whole_number(raw, -10, 10) is None


@pytest.mark.parametrize(
    "raw, paise", [("1499", 149900), ("1,499.50", 149950), ("₹ 1499.5", 149950), (" 0001499 ", 149900), ("0.01", 1)]
)
def test_reads_rupees_as_paise(raw, paise):
    assert parse_rupees(raw, 1, 10**9) == paise


@pytest.mark.parametrize(
    "raw",
    [None, "", "0", "0.00", "-5", "1.999", "1e3", "１４９９", "₹", "10000001", "9" * 13, "9" * 5000, "1499 rupees"],
)
def test_refuses_what_is_not_a_price_in_range(raw):
    assert parse_rupees(raw, 1, 10_000_000) is None


def test_whole_rupees_refuse_paise_but_accept_zero_when_allowed():
    assert parse_rupees("1500.50", 0, 10**9, whole=True) is None
    assert parse_rupees("1500", 0, 10**9, whole=True) == 150000
    assert parse_rupees("0", 0, 10**9, whole=True) == 0


@pytest.mark.parametrize("raw", [None, "", "  ", "₹", " ₹ ", ",", "₹,"])
def test_a_box_with_no_digits_typed_is_empty_not_wrong(raw):
    assert typed_rupees(raw) == ""
