"""Reading and checking account and address forms: each returns clean values and a dict of
field -> message that the template shows beside the field."""

from __future__ import annotations

import re
import unicodedata

from .india import STATES, normalise_mobile, normalise_pin
from .passwords import password_problem

_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"  # the local part, then the domain's labels
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+"
)


def clean_text(raw: str | None, limit: int) -> str:
    """Trimmed, without control characters, collapsed whitespace, at most `limit` characters."""
    text = "".join(ch for ch in (raw or "") if unicodedata.category(ch)[0] != "C" or ch in " ")
    return " ".join(text.split())[:limit]


def clean_email(raw: str | None) -> str | None:
    """A plausible email address with its domain in lower case (the part before @ may be
    case-sensitive), or None; proof it works is a mail, not a regex."""
    email = (raw or "").strip()
    if len(email) > 254 or not email.isascii() or not _EMAIL.fullmatch(email):
        return None
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalise_field(values: dict, errors: dict, field: str, normalise, message: str) -> None:
    """values[field] in its one clean form, or errors[field] = message when it has none."""
    clean = normalise(values[field])
    if clean is None:
        errors[field] = message
    else:
        values[field] = clean


def registration(form) -> tuple[dict, dict]:
    """A sign-up form's cleaned values and a message per field that is wrong (the password is
    judged separately, by passwords.py)."""
    values = {
        "name": clean_text(form.get("name"), 120),
        "email": (form.get("email") or "").strip()[:254],
        "mobile": (form.get("mobile") or "").strip()[:20],
    }
    errors = {}
    if len(values["name"]) < 2:
        errors["name"] = "Please tell us your name."
    normalise_field(values, errors, "email", clean_email, "Please enter an email address like asha@example.com.")
    normalise_field(
        values, errors, "mobile", normalise_mobile, "Please enter a 10-digit Indian mobile number, like 98765 43210."
    )
    password = form.get("password") or ""
    problem = password_problem(password, values["email"], values["name"])
    if problem:
        errors["password"] = problem
    values["password"] = password
    return values, errors


def address(form) -> tuple[dict, dict]:
    """A delivery address's cleaned values and a message per field: the courier needs each one."""
    values = {
        "full_name": clean_text(form.get("full_name"), 120),
        "line1": clean_text(form.get("line1"), 200),
        "line2": clean_text(form.get("line2"), 200),
        "city": clean_text(form.get("city"), 80),
        "state": clean_text(form.get("state"), 60),
        "pin_code": (form.get("pin_code") or "").strip()[:10],
        "mobile": (form.get("mobile") or "").strip()[:20],
    }
    errors = {}
    if len(values["full_name"]) < 2:
        errors["full_name"] = "Who should we deliver to?"
    if len(values["line1"]) < 3:
        errors["line1"] = "Please enter the house number and street."
    if len(values["city"]) < 2:
        errors["city"] = "Please enter the town or city."
    if values["state"] not in STATES:
        errors["state"] = "Please choose a state or union territory from the list."
    normalise_field(values, errors, "pin_code", normalise_pin, "A PIN code has 6 digits, like 560001.")
    normalise_field(
        values, errors, "mobile", normalise_mobile, "Please enter a 10-digit mobile number for the courier."
    )
    return values, errors
