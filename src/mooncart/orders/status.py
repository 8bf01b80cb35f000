"""The order state machine: which status may follow which, and which ones give stock back."""

from __future__ import annotations

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "awaiting_payment": (),  # settled by the gateway (payments/settlement.py), never by hand
    "placed": ("packed", "cancelled"),
    "packed": ("shipped", "cancelled"),
    "shipped": ("delivered",),
    "delivered": ("returned",),
    "cancelled": (),
    "returned": (),
}
RESTOCKING = {"cancelled": "cancel", "returned": "return"}  # new status -> ledger reason
LABELS = {
    "awaiting_payment": "Awaiting payment",
    "placed": "Placed",
    "packed": "Packed",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
    "returned": "Returned",
}


class IllegalTransition(ValueError):
    """A status change the state machine forbids; str() says what is allowed instead."""

    pass


def check_transition(current: str, new: str) -> None:
    """Raise IllegalTransition, with a message for staff, unless current -> new is allowed."""
    if new not in TRANSITIONS:
        raise IllegalTransition(f"'{new}' is not an order status.")
    allowed = ", ".join(LABELS[s].lower() for s in TRANSITIONS.get(current, ())) or "nothing: it is final"
    if new == current:  # a second tab, or a colleague, got there first: nothing is wrong
        raise IllegalTransition(
            f"This order is already {LABELS[new].lower()} (changed a moment ago, perhaps in another tab "
            f"or by a colleague). From here it can become {allowed}."
        )
    if new not in TRANSITIONS.get(current, ()):
        raise IllegalTransition(
            f"An order that is {LABELS.get(current, current).lower()} cannot become "
            f"{LABELS[new].lower()}. From here it can become {allowed}."
        )
