"""The delivery rules on their own: the PIN as typed, the longest prefix, the date (Sundays
skipped, India's calendar) and when cash on delivery is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mooncart.delivery.rules import (
    MALFORMED_PIN,
    Zone,
    cod_refusal,
    delivery_date,
    delivery_refusal,
    estimate,
    longest_match,
    parse_pin,
    short_date,
    today_in_india,
)

BENGALURU = Zone("560", "Bengaluru", 1, True, 50_000_00)
KARNATAKA = Zone("5", "Rest of India", 6, True, 20_000_00)
KORAMANGALA = Zone("560034", "Koramangala", 1, False, None)
ISLANDS = Zone("744", "Andaman and Nicobar Islands", None, False, None)
TABLE = [KARNATAKA, BENGALURU, KORAMANGALA, ISLANDS]


def test_the_longest_matching_prefix_wins_whatever_the_order_of_the_rows():
    assert longest_match("560001", TABLE) is BENGALURU
    assert longest_match("560034", TABLE) is KORAMANGALA
    assert longest_match("570001", TABLE) is KARNATAKA
    assert longest_match("744101", TABLE) is ISLANDS
    assert longest_match("110001", TABLE) is None
    assert longest_match("560001", list(reversed(TABLE))) is BENGALURU


def test_a_pin_is_six_digits_not_starting_with_zero():
    assert parse_pin("560001") == ("560001", None)
    assert parse_pin(" 560 001 ") == ("560001", None)  # as people type it
    assert parse_pin("") == (None, None)
    assert parse_pin(None) == (None, None)
    for bad in ("56001", "5600011", "060001", "56000A", "५६०००१", "560001; DROP TABLE", "x" * 5000):
        assert parse_pin(bad) == (None, MALFORMED_PIN), bad


def test_sundays_are_skipped_and_the_date_is_never_a_sunday():
    friday, saturday, sunday = date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 29)
    assert delivery_date(friday, 1) == saturday
    assert delivery_date(friday, 2) == date(2026, 11, 30)  # Saturday is day 1, Sunday skipped, Monday day 2
    assert delivery_date(saturday, 1) == date(2026, 11, 30)  # not Sunday
    assert delivery_date(sunday, 2) == date(2026, 12, 1)  # counting starts on Monday
    assert delivery_date(saturday, 6) == date(2026, 12, 5)  # Mon-Sat: a full courier week
    for start in range(14):
        for days in range(1, 15):
            assert delivery_date(date(2026, 11, 20 + start % 7), days).weekday() != 6


def test_today_is_indias_date_not_the_servers():
    # 20:00 UTC on Saturday is 01:30 on Sunday in India
    late_saturday_utc = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert today_in_india(late_saturday_utc) == date(2026, 11, 29)
    assert today_in_india(datetime(2026, 11, 28, 18, 0, tzinfo=UTC)) == date(2026, 11, 28)
    # a 1-day PIN: ordered at 00:30 on Saturday in India (Friday in UTC), it arrives on Monday
    friday_night_utc = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)  # 00:30 Saturday in India
    assert estimate("560001", BENGALURU, 100_00, friday_night_utc).arrives == date(2026, 11, 30)
    assert estimate("560001", BENGALURU, 100_00, datetime(2026, 11, 27, 12, 0, tzinfo=UTC)).arrives == date(
        2026, 11, 28
    )


def test_short_date_reads_like_tue_3_dec():
    assert short_date(date(2026, 12, 1)) == "Tue, 1 Dec"


def test_cash_on_delivery_up_to_the_zones_limit_only():
    assert cod_refusal("560001", BENGALURU, 50_000_00) is None  # the limit itself is allowed
    assert cod_refusal("560001", BENGALURU, 50_000_01) == "Cash on delivery is not available for orders over ₹50,000."
    assert cod_refusal("560001", BENGALURU, None) is None  # the PIN alone
    assert cod_refusal("560034", KORAMANGALA, 100) == "Cash on delivery is not available for 560034."
    assert cod_refusal("744101", ISLANDS, 100) == "We don't deliver to 744101 yet."


def test_an_unserved_or_unknown_pin_is_not_delivered_to():
    assert delivery_refusal("744101", ISLANDS) == "We don't deliver to 744101 yet."
    assert delivery_refusal("110001", None) == "We don't deliver to 110001 yet."
    assert delivery_refusal("560001", BENGALURU) is None
    answer = estimate("744101", ISLANDS, 100_00)
    assert not answer.delivers and answer.arrives is None
