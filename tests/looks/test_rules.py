"""The looks' pure rules: which pieces are shown, when a look may be published, what an address
may be, and how the shopper's form is read against the look's pieces."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from mooncart.bag.rules import Availability
from mooncart.looks.rules import (
    MIN_PIECES,
    Look,
    LookRefused,
    Piece,
    can_publish,
    read_choices,
    read_look_details,
    short_piece,
    slug_from_name,
)


def piece(product_id: int, name: str, *variants: tuple[int, str, str, int]) -> Piece:
    return Piece(
        product_id,
        f"p{product_id}",
        name,
        99900,
        None,
        product_id,
        tuple(
            {"id": i, "size": s, "colour": c, "stock": n, "price_paise": 99900, "size_position": 1}
            for i, s, c, n in variants
        ),
    )


KURTI = piece(1, "Kurti", (11, "S", "Ivory", 3), (12, "M", "Ivory", 0))
JUTTIS = piece(2, "Juttis", (21, "UK 6", "Gold", 1))
RETIRED = piece(3, "Retired dupatta")  # no sizes left: not for sale
LOOK = Look(7, "festive", "Festive", "", True, (KURTI, JUTTIS, RETIRED))


def test_a_look_shows_only_pieces_for_sale_and_needs_two_of_them():
    assert LOOK.shown_pieces == (KURTI, JUTTIS) and LOOK.is_shown
    assert not Look(7, "f", "F", "", True, (KURTI, RETIRED)).is_shown
    assert not Look(7, "f", "F", "", False, (KURTI, JUTTIS)).is_shown
    assert LOOK.as_shown().pieces == (KURTI, JUTTIS)
    assert LOOK.from_price_paise == 2 * 99900


def test_a_look_is_published_only_with_two_pieces_for_sale():
    assert can_publish(LOOK) == (True, "")
    allowed, reason = can_publish(Look(7, "f", "F", "", False, (KURTI, RETIRED)))
    assert not allowed and f"at least {MIN_PIECES} pieces that are for sale" in reason and "(this one has 1)" in reason


def test_sizes_sold_out_and_the_only_choice():
    assert KURTI.sold_out(KURTI.variants[1]) and not KURTI.sold_out(KURTI.variants[0])
    assert KURTI.only_choice == KURTI.variants[0] and JUTTIS.only_choice == JUTTIS.variants[0]
    assert not KURTI.sold_out_entirely
    two_colours = piece(4, "Saree", (41, "Free size", "Teal", 2), (42, "Free size", "Rust", 2))
    assert two_colours.label(two_colours.variants[0]) == "Free size, Teal" and KURTI.label(KURTI.variants[0]) == "S"


def test_the_form_gives_a_size_per_piece():
    form = MultiDict({"piece-1": "11", "piece-2": "21", "csrf_token": "x", "from": "p1", "quantity": "1"})
    assert read_choices(form, LOOK.as_shown()) == {1: KURTI.variants[0], 2: JUTTIS.variants[0]}


@pytest.mark.parametrize(
    ("form", "message", "problems"),
    [
        ({"piece-2": "21"}, "Nothing was added", {1: "Kurti: please choose a size."}),
        (
            {"piece-1": " ", "piece-2": ""},
            "Nothing was added",
            {1: "Kurti: please choose a size.", 2: "Juttis: please choose a size."},
        ),
        ({"piece-1": "21", "piece-2": "21"}, "Nothing was added", {1: "Kurti: please choose one of the sizes shown."}),
        ({"piece-1": "-11", "piece-2": "21"}, "Nothing was added", {1: "Kurti: please choose one of the sizes shown."}),
        ({"piece-1": "11", "piece-2": "21", "piece-3": "31"}, "no longer part of this look", {}),
        ({"piece-1": "11", "piece-2": "21", "piece-01x": "31"}, "no longer part of this look", {}),
        ({"piece-1": "11", "piece-2": "21", "quantity": "2"}, "A look adds one of each piece", {}),
        ({"piece-1": "11", "piece-2": "21", "quantity-2": "0"}, "A look adds one of each piece", {}),
    ],
)
def test_a_form_that_is_wrong_is_refused_with_every_problem(form, message, problems):
    with pytest.raises(LookRefused) as refused:
        read_choices(MultiDict(form), LOOK.as_shown())
    assert message in refused.value.message and refused.value.problems == problems


def test_two_sizes_for_one_piece_are_refused():
    with pytest.raises(LookRefused) as refused:
        read_choices(MultiDict([("piece-1", "11"), ("piece-1", "12"), ("piece-2", "21")]), LOOK.as_shown())
    assert refused.value.problems == {1: "Kurti: please choose one size."}


def test_a_short_piece_is_named_with_what_the_bag_says_is_left():
    juttis = JUTTIS.variants[0]
    sold_out = Availability(0, 0)
    assert (
        short_piece(JUTTIS, juttis, sold_out, sold_out.is_purchase_permitted(1)[1]) == "Juttis in size UK 6: sold out."
    )
    one_in_bag = Availability(1, 1)
    allowed, reason = one_in_bag.is_purchase_permitted(1)
    assert not allowed
    assert short_piece(JUTTIS, juttis, one_in_bag, reason) == (
        "Juttis in size UK 6: only 1 left and 1 already in your bag, so you can add 0 more."
    )


def test_look_details_and_addresses():
    assert slug_from_name("Festive Kurti Set – Diwali ’26") == "festive-kurti-set-diwali-26"
    values, errors = read_look_details(
        MultiDict({"name": "  Haldi   look ", "slug": "", "description": "Yellow\r\nand bright"})
    )
    assert values == {"name": "Haldi look", "slug": "haldi-look", "description": "Yellow\nand bright"} and errors == {}
    _, errors = read_look_details(MultiDict({"name": "नमस्ते", "slug": ""}))
    assert "slug" in errors  # nothing to make an address of: staff type one
    _, errors = read_look_details(MultiDict({"name": "Ok", "slug": "-bad-"}))
    assert "slug" in errors
