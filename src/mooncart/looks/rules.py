"""What a look is allowed to be, as pure rules: how many pieces it needs to be shown or published,
what a look's address may be, and how a shopper's "Add the look" form is read against the look's
pieces. No SQL here (looks/queries.py) and no stock rule either: whether a size can go in the bag
is the bag's decision (bag/rules.py), asked by looks/bagging.py; this module only words it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..catalog.availability import StockLevel
from ..parsing import parse_id

MIN_PIECES = 2  # one piece is a product, not a look
MAX_PIECES = 8  # a look is an outfit; more would make "Add the look" a shopping spree
MAX_NAME = 120
MAX_DESCRIPTION = 1000
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

NOTHING_ADDED = "Nothing was added to your bag."
NOT_IN_LOOK = (
    "One of the pieces you chose is no longer part of this look, so nothing was added. "
    "The look below shows its pieces as they are now: please choose again."
)
ONE_OF_EACH = "A look adds one of each piece, so nothing was added. To change how many, use your bag."
BAG_CHANGED = "Your bag changed in another tab, so nothing was added. Please check it and try again."


@dataclass(frozen=True)
class Piece:
    """A product of a look as the shopper sees it: its picture, name and price, and its sizes
    (dicts with id, size, colour, price_paise and stock) in size then colour order."""

    product_id: int
    slug: str
    name: str
    from_price_paise: int
    image_path: str | None
    position: int
    variants: tuple[dict, ...] = ()

    @property
    def for_sale(self) -> bool:
        """A piece is shown only while it has sizes (a product without any is not sold)."""
        return bool(self.variants)

    @property
    def several_colours(self) -> bool:
        """Whether a size alone would be ambiguous ("M" in pink or in teal)."""
        return len({v["colour"] for v in self.variants}) > 1

    def variant(self, variant_id: int | None) -> dict | None:
        """One of this piece's sizes by id, or None (a size of another product, or none at all)."""
        return next((v for v in self.variants if v["id"] == variant_id), None)

    def label(self, variant: dict) -> str:
        """What the size picker and the messages call a size: "UK 6", or "M, Teal" when the
        piece comes in several colours."""
        return f"{variant['size']}, {variant['colour']}" if self.several_colours else variant["size"]

    def sold_out(self, variant: dict) -> bool:
        """A size the picker offers disabled: the catalogue's stock level, as on the product page."""
        return StockLevel(variant["stock"]).code == "outofstock"

    @property
    def only_choice(self) -> dict | None:
        """The size to pick for the shopper when there is just one left to pick (a free-size dupatta)."""
        open_sizes = [v for v in self.variants if not self.sold_out(v)]
        return open_sizes[0] if len(open_sizes) == 1 else None

    @property
    def sold_out_entirely(self) -> bool:
        """No size of this piece can be chosen: the whole look cannot be added today."""
        return all(self.sold_out(v) for v in self.variants)


@dataclass(frozen=True)
class Look:
    id: int
    slug: str
    name: str
    description: str
    published: bool
    pieces: tuple[Piece, ...] = ()

    @property
    def shown_pieces(self) -> tuple[Piece, ...]:
        """The pieces still for sale, in the order staff set."""
        return tuple(piece for piece in self.pieces if piece.for_sale)

    @property
    def is_shown(self) -> bool:
        """Shoppers see a look only when it is published and at least two of its pieces remain."""
        return self.published and len(self.shown_pieces) >= MIN_PIECES

    @property
    def from_price_paise(self) -> int:
        """The least the whole look costs (each piece's lowest price)."""
        return sum(piece.from_price_paise for piece in self.shown_pieces)

    @property
    def sold_out_pieces(self) -> tuple[Piece, ...]:
        """Pieces with no size left: the look's button is off while there is one."""
        return tuple(piece for piece in self.shown_pieces if piece.sold_out_entirely)

    def as_shown(self) -> Look:
        """The look with only the pieces a shopper sees."""
        return Look(self.id, self.slug, self.name, self.description, self.published, self.shown_pieces)


def can_publish(look: Look) -> tuple[bool, str]:
    """May staff publish the look? (allowed, reason)."""
    count = len(look.shown_pieces)
    if count < MIN_PIECES:
        return False, (
            f"A look needs at least {MIN_PIECES} pieces that are for sale before it can be published "
            f"(this one has {count})."
        )
    return True, ""


def slug_from_name(name: str) -> str:
    """An address made from a name: "Festive Kurti Set" -> "festive-kurti-set"."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))[:MAX_NAME].strip("-")


def read_look_details(form) -> tuple[dict, dict]:
    """A look's name, address and description from the staff form: (values, a message per wrong field).
    An empty address is made from the name."""
    errors = {}
    name = " ".join((form.get("name") or "").split())
    if not name:
        errors["name"] = "Give the look a name, like “Festive kurti set”."
    elif len(name) > MAX_NAME:
        errors["name"] = f"A name is at most {MAX_NAME} characters."
    slug = (form.get("slug") or "").strip().lower() or slug_from_name(name)
    if not SLUG.fullmatch(slug) or len(slug) > MAX_NAME:
        errors["slug"] = (
            "An address is lower-case letters, digits and dashes, like festive-kurti-set "
            f"(at most {MAX_NAME} characters)."
        )
    description = (form.get("description") or "").strip().replace("\r\n", "\n")
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"A description is at most {MAX_DESCRIPTION} characters."
    return {"name": name, "slug": slug, "description": description}, errors


@dataclass
class LookRefused(Exception):
    """Add the look was refused and nothing was added: `message` for the whole form, `problems`
    {product id: message naming the piece} for the pieces that need the shopper's attention."""

    message: str
    problems: dict[int, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return " ".join([self.message, *self.problems.values()])


def read_choices(form, look: Look) -> dict[int, dict]:
    """The size chosen for each piece, {product id: variant}, from the form's `piece-<product id>`
    fields; or LookRefused saying what is wrong (every piece's problem at once). A field naming a
    product that is not (or no longer) in the look, or a quantity other than one, refuses the form."""
    for name in form:
        if name.startswith("quantity") and any(value.strip() != "1" for value in form.getlist(name)):
            raise LookRefused(ONE_OF_EACH)
    pieces = {piece.product_id: piece for piece in look.pieces}
    for name in form:
        if name.startswith("piece-") and parse_id(name.removeprefix("piece-")) not in pieces:
            raise LookRefused(NOT_IN_LOOK)
    chosen, problems = {}, {}
    for piece in look.pieces:
        values = [value for value in form.getlist(f"piece-{piece.product_id}") if value.strip()]
        if not values:
            problems[piece.product_id] = f"{piece.name}: please choose a size."
        elif len(values) > 1:
            problems[piece.product_id] = f"{piece.name}: please choose one size."
        elif (variant := piece.variant(parse_id(values[0]))) is None:
            problems[piece.product_id] = f"{piece.name}: please choose one of the sizes shown."
        else:
            chosen[piece.product_id] = variant
    if problems:
        raise LookRefused(NOTHING_ADDED, problems)
    return chosen


def short_piece(piece: Piece, variant: dict, availability, reason: str) -> str:
    """A size the bag refused, naming the piece and what is left: "Juttis in size UK 6: sold out",
    or the bag's own reason ("…: only 1 left and 1 already in your bag, so you can add 0 more.")."""
    left = "sold out" if availability.code == "outofstock" else reason[:1].lower() + reason[1:].rstrip(".")
    return f"{piece.name} in size {piece.label(variant)}: {left}."
