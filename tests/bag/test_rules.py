"""The bag's rules, as a pure object."""

from mooncart.bag.rules import MAX_PER_LINE, Availability


def test_permits_purchases_up_to_stock_level():
    assert Availability(3).is_purchase_permitted(3) == (True, "")
    allowed, reason = Availability(3).is_purchase_permitted(4)
    assert not allowed and "Only 3 left" in reason


def test_counts_what_is_already_in_the_bag():
    allowed, reason = Availability(5, in_bag=4).is_purchase_permitted(2)
    assert not allowed and "add 1 more" in reason
    assert Availability(5, in_bag=4).is_purchase_permitted(1)[0]


def test_refuses_sold_out_and_caps_a_line_at_ten():
    assert MAX_PER_LINE == 10
    assert not Availability(0).is_purchase_permitted(1)[0]
    allowed, reason = Availability(50, in_bag=8).is_purchase_permitted(3)
    assert not allowed and "at most 10" in reason


def test_a_line_may_be_set_to_any_quantity_the_stock_covers_whatever_it_held():
    assert Availability(4, in_bag=4).is_line_quantity_permitted(4) == (True, "")
    assert not Availability(4, in_bag=1).is_line_quantity_permitted(5)[0]


def test_more_can_be_added_until_the_line_reaches_stock_or_the_cap():
    assert Availability(3, in_bag=2).can_add_more
    assert not Availability(3, in_bag=3).can_add_more
    assert not Availability(50, in_bag=10).can_add_more
    assert Availability(50).line_limit == 10 and Availability(-2).line_limit == 0


def test_the_badge_shows_the_stock_level_whatever_the_bag_holds():
    assert (Availability(2, in_bag=1).code, Availability(2, in_bag=1).message) == ("lowstock", "Only 2 left")
