"""Reading ids and quantities from forms: a number or a clear refusal, never an exception."""

import pytest

from mooncart.parsing import BadQuantity, parse_id, parse_quantity


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
