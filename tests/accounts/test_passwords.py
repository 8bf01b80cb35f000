"""The password rules on their own: length, and the common-password list ASVS asks for."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from mooncart.accounts import passwords


def test_the_common_list_holds_thousands_that_the_length_rule_alone_would_let_through():
    # ASVS 5.0 V6.2.4: at least the top 3,000 passwords that match the policy (8 or more characters)
    assert sum(len(word) >= passwords.MIN_LENGTH for word in passwords.common_passwords()) > 3000


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "12345678",
        "iloveyou",
        "sunshine",
        "princess1",
        "football",
        "Qwerty123",
        "Password2024!",
        "priyanka1990",
        "mooncart123",
        "jaishreeram",
    ],
)
def test_common_passwords_and_their_usual_endings_are_refused(password):
    assert "most common" in passwords.password_problem(password)


def test_every_long_enough_entry_of_the_vendored_list_is_refused():
    vendored = Path(passwords.__file__).with_name("common_passwords_django.txt.gz")
    with gzip.open(vendored, "rt", encoding="utf-8") as words:
        long_enough = [w for w in words.read().split() if passwords.MIN_LENGTH <= len(w) <= passwords.MAX_LENGTH]
    assert long_enough and all(passwords.is_common(word) for word in long_enough)


@pytest.mark.parametrize(
    "password", ["monsoon in mumbai", "jasmine in the hair", "kurti-season-2026", "zq123456", "x!2026@@ok"]
)
def test_phrases_and_short_stems_with_digits_are_allowed(password):
    # the list holds short stems ("1", "ab"), which with digits would be common ("ab123456" is
    # listed itself): a stem under four letters does not make a password common
    assert passwords.password_problem(password) is None
