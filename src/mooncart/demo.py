"""A believable demo catalogue for an urban Indian women's fashion shop.

Everything is generated here, pictures included (SVG silhouettes in the product's colour).
Large catalogues (a million products) are written in batches of multi-row INSERTs, one
transaction a batch, with a progress bar.
"""

from __future__ import annotations

import math
import random
import secrets
import sys

from tqdm import tqdm

from .catalog.size_guide import KURTI_LENGTH, STANDARD
from .db import execute, execute_many, fetch_all, fetch_val, transaction
from .formatting import discount_percent
from .inventory.queries import refresh_facet_range
from .search.queries import refresh_search_text_range
from .text import slugify

# parent slug, name, [(slug, name, art kind, sizes kind, price range in rupees, nouns, blurb)]
CATEGORIES = [
    (
        "ethnic-wear",
        "Ethnic wear",
        [
            (
                "kurtis",
                "Kurtis",
                "kurti",
                "apparel",
                (499, 3499),
                ["Kurti", "Anarkali Kurti", "A-line Kurta", "Straight Kurta", "Kaftan Kurti"],
                "Everyday cottons to festive Anarkalis.",
            ),
            (
                "sarees",
                "Sarees",
                "saree",
                "free",
                (999, 18999),
                ["Saree", "Banarasi Saree", "Kanjeevaram Saree", "Chiffon Saree", "Organza Saree"],
                "Six yards of grace, from office to wedding.",
            ),
            (
                "lehengas",
                "Lehengas",
                "lehenga",
                "apparel",
                (2999, 39999),
                ["Lehenga Set", "Lehenga Choli", "Bridal Lehenga", "Sharara Set"],
                "Made for sangeet nights and shaadi days.",
            ),
            (
                "dupattas",
                "Dupattas",
                "dupatta",
                "free",
                (299, 2499),
                ["Dupatta", "Bandhani Dupatta", "Phulkari Dupatta", "Stole"],
                "The finishing touch.",
            ),
        ],
    ),
    (
        "western-wear",
        "Western wear",
        [
            (
                "dresses",
                "Dresses",
                "dress",
                "apparel",
                (799, 4999),
                ["Midi Dress", "Maxi Dress", "Wrap Dress", "Shirt Dress", "Tiered Dress"],
                "Brunch, work, date night.",
            ),
            (
                "tops",
                "Tops",
                "top",
                "apparel",
                (399, 1999),
                ["Top", "Peplum Top", "Crop Top", "Shirt", "Tunic"],
                "Easy tops for every day.",
            ),
            (
                "jeans",
                "Jeans",
                "jeans",
                "waist",
                (899, 3299),
                ["Straight Jeans", "Mom Jeans", "Wide-leg Jeans", "Skinny Jeans", "Bootcut Jeans"],
                "Denim that fits.",
            ),
        ],
    ),
    (
        "accessories",
        "Accessories",
        [
            (
                "footwear",
                "Footwear",
                "footwear",
                "shoe",
                (499, 3999),
                ["Juttis", "Kolhapuris", "Block Heels", "Flats", "Sneakers", "Wedges"],
                "From juttis to sneakers.",
            ),
            (
                "bags",
                "Bags",
                "bag",
                "free",
                (599, 4999),
                ["Tote Bag", "Potli Bag", "Sling Bag", "Clutch", "Handbag"],
                "Carry it all, beautifully.",
            ),
            (
                "jewellery",
                "Jewellery",
                "jewellery",
                "free",
                (199, 2999),
                ["Jhumkas", "Kundan Necklace Set", "Oxidised Earrings", "Bangles", "Maang Tikka", "Nose Pin"],
                "Jhumkas, kundan and everyday silver.",
            ),
        ],
    ),
]

COLOURS = [
    ("Rani Pink", "#e91e63"),
    ("Blush", "#f8bbd0"),
    ("Maroon", "#7b1e3a"),
    ("Mustard", "#e1ad01"),
    ("Teal", "#00897b"),
    ("Indigo", "#3f51b5"),
    ("Ivory", "#f5f0e1"),
    ("Black", "#222222"),
    ("Mint", "#98d8c8"),
    ("Peach", "#ffb38a"),
    ("Emerald", "#2e7d32"),
    ("Navy", "#1f2a56"),
    ("Lavender", "#b39ddb"),
    ("Red", "#c62828"),
    ("Denim Blue", "#4a6fa5"),
    ("Gold", "#c9a227"),
]

SIZE_SETS = {
    "apparel": ["XS", "S", "M", "L", "XL", "XXL"],
    "free": ["Free size"],
    "waist": ["26", "28", "30", "32", "34", "36"],
    "shoe": ["UK 3", "UK 4", "UK 5", "UK 6", "UK 7", "UK 8"],
}

STYLES = [
    "Block-print",
    "Chikankari",
    "Mirror-work",
    "Bandhani",
    "Ikat",
    "Zari",
    "Floral",
    "Gota Patti",
    "Embroidered",
    "Printed",
    "Solid",
    "Striped",
    "Kalamkari",
    "Leheriya",
    "Ajrakh",
    "Sequinned",
]
FABRICS = [
    "Cotton",
    "Rayon",
    "Chanderi",
    "Georgette",
    "Silk",
    "Linen",
    "Chiffon",
    "Crepe",
    "Muslin",
    "Organza",
    "Denim",
    "Velvet",
    "Modal",
    "Khadi",
]
NON_FABRIC = {
    "footwear": ["Leather", "Vegan leather", "Suede"],
    "bags": ["Vegan leather", "Jute", "Canvas", "Silk"],
    "jewellery": ["Oxidised silver", "Gold-plated brass", "Kundan", "Pearl"],
}
OCCASIONS = [
    "everyday wear",
    "the office",
    "festive evenings",
    "weddings",
    "college",
    "brunch",
    "Diwali parties",
    "haldi and mehendi",
    "weekend getaways",
]
PAIRINGS = ["juttis", "jhumkas", "a potli bag", "white sneakers", "a bright dupatta"]


async def ensure_reference_data(conn) -> tuple[list[dict], dict[str, int], dict[str, int]]:
    """Categories and colours (idempotent). Returns leaf categories and name -> id maps."""
    for position, (parent_slug, parent_name, children) in enumerate(CATEGORIES):
        await execute(
            conn,
            "INSERT IGNORE INTO categories (slug, name, position) VALUES (%s, %s, %s)",
            (parent_slug, parent_name, position),
        )
        parent_id = await fetch_val(conn, "SELECT id FROM categories WHERE slug = %s", (parent_slug,))
        for child_position, (slug, name, art, size_group, *_rest, blurb) in enumerate(children):
            await execute(
                conn,
                "INSERT IGNORE INTO categories (parent_id, slug, name, blurb, art_kind, size_group, "
                "position) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (parent_id, slug, name, blurb, art, size_group, child_position),
            )
    await execute_many(conn, "INSERT IGNORE INTO colours (name, hex) VALUES (%s, %s)", COLOURS)
    category_ids = {r["slug"]: r["id"] for r in await fetch_all(conn, "SELECT id, slug FROM categories")}
    leaves = []
    for _parent_slug, _parent_name, children in CATEGORIES:
        for slug, _name, art, sizes_kind, price_range, nouns, _blurb in children:
            leaves.append(
                dict(id=category_ids[slug], slug=slug, art=art, sizes=sizes_kind, price_range=price_range, nouns=nouns)
            )
    colour_ids = {r["name"]: r["id"] for r in await fetch_all(conn, "SELECT id, name FROM colours")}
    size_ids = {r["label"]: r["id"] for r in await fetch_all(conn, "SELECT id, label FROM sizes")}
    await seed_size_charts(conn, category_ids, size_ids)
    return leaves, colour_ids, size_ids


# Size charts (issue 13.7): the two clothing sections carry the standard chart, which their
# kurtis, lehengas, dresses and tops inherit; kurtis have their own with lengths, jeans and
# footwear their own sizes. Sarees, dupattas, bags and jewellery are free size: no chart.
CHARTS = {
    "ethnic-wear": ("XS", "S", "M", "L", "XL", "XXL"),
    "western-wear": ("XS", "S", "M", "L", "XL", "XXL"),
    "kurtis": ("XS", "S", "M", "L", "XL", "XXL"),
    "jeans": ("26", "28", "30", "32", "34", "36"),
    "footwear": ("UK 3", "UK 4", "UK 5", "UK 6", "UK 7", "UK 8"),
}
FIT_NOTES = (
    "Regular fit; the model is 5'6\" and wears S.",
    "Relaxed fit: if you are between sizes, take the smaller one.",
    "Fitted at the bust and waist; the model is 5'4\" and wears XS.",
    "True to size; the model is 5'7\" and wears M.",
)


async def seed_size_charts(conn, category_ids: dict[str, int], size_ids: dict[str, int]) -> None:
    """The demo's size charts in cm, from the standard measurements (idempotent)."""
    rows: list[tuple[int, int, str, float]] = []
    for slug, labels in CHARTS.items():
        for label in labels:
            measures = dict(STANDARD[label], **({"length": KURTI_LENGTH[label]} if slug == "kurtis" else {}))
            rows.extend((category_ids[slug], size_ids[label], measure, cm) for measure, cm in measures.items())
    await execute_many(
        conn, "INSERT IGNORE INTO size_chart_rows (category_id, size_id, measure, cm) VALUES (%s, %s, %s, %s)", rows
    )


def make_stock(rng: random.Random) -> int:
    """A believable stock level: some sold out, some nearly, most plenty."""
    roll = rng.random()
    if roll < 0.12:
        return 0  # sold out
    if roll < 0.30:
        return rng.randint(1, 5)  # "Only 3 left"
    return rng.randint(6, 60)


# How far below MRP demo products sell, in percent: most 20-60% off as Indian fashion shops
# show them, some at MRP, a few on a big sale.
DISCOUNTS = (0, 0, 0, 10, 20, 20, 25, 30, 30, 35, 40, 40, 45, 50, 50, 55, 60, 60, 70)


def mrp_for(price_paise: int, discount: int) -> int:
    """The MRP a price sits `discount` percent below, as a round figure ending in 99 (₹2,999),
    never below the price; the discount shown is then about `discount`, rounded down."""
    if not discount:
        return price_paise
    exact = price_paise * 100 / (100 - discount)
    return max(price_paise, math.ceil(exact / 10000) * 10000 - 100)


def make_product(
    rng: random.Random,
    product_id: int,
    leaf: dict,
    colours: list[tuple[str, str]],
    large: bool,
    mrp_rng: random.Random | None = None,
) -> tuple[tuple, list[tuple], list[tuple]]:
    """One product row, its variant rows and its image rows (ids of colours/sizes resolved later).
    The MRPs come from their own random stream, so a seed makes the same products as before."""
    style = rng.choice(STYLES)
    fabric = rng.choice(NON_FABRIC.get(leaf["slug"], FABRICS))
    n_colours = 1 if large else rng.choice([1, 1, 2, 2, 3])
    chosen = rng.sample(colours, n_colours)
    noun = rng.choice(leaf["nouns"])
    fabric_word = "" if leaf["slug"] in NON_FABRIC else f" {fabric}"
    name = f"{chosen[0][0]} {style}{fabric_word} {noun}"
    low, high = leaf["price_range"]
    price_rupees = max(low, (rng.randint(low, high) // 100) * 100 + 99)
    sizes = SIZE_SETS[leaf["sizes"]]
    if len(sizes) > 1:
        start = rng.randint(0, 2)
        sizes = sizes[start : start + rng.randint(3, 4) if large else len(sizes)]
    description = (
        f"A {style.lower()} {noun.lower()} in {fabric.lower()}, made for {rng.choice(OCCASIONS)}. "
        f"Pairs beautifully with {rng.choice(PAIRINGS)}. "
        "Gentle hand wash recommended."
    )
    variants: list[tuple] = []
    images: list[tuple] = []
    discount = (mrp_rng or random.Random(product_id)).choice(DISCOUNTS)  # nosec B311 # demo data
    for colour_name, colour_hex in chosen:
        for size in sizes:
            price = price_rupees * 100 + (20000 if size == "XXL" else 0)  # XXL uses more fabric
            sku = f"MC{product_id:07d}-{slugify(colour_name)[:6].upper()}-{slugify(size).upper()}"
            variants.append((product_id, size, colour_name, sku, price, make_stock(rng), mrp_for(price, discount)))
        images.append(
            (
                product_id,
                colour_name,
                len(images),
                f"art/{leaf['art']}/{colour_hex[1:]}.svg",
                f"{name} in {colour_name.lower()}",
            )
        )
    min_price = min(v[4] for v in variants)
    min_mrp = min(v[6] for v in variants if v[4] == min_price)
    product = (
        product_id,
        leaf["id"],
        f"{slugify(name)}-{product_id}",
        name,
        description,
        fabric,
        min_price,
        min_mrp,
        discount_percent(min_price, min_mrp),
    )
    return product, variants, images


async def seed_demo(conn, products: int = 200, seed: int = 7, batch_size: int = 2000, quiet: bool = False) -> int:
    """Add `products` demo products (with variants, pictures and an 'initial' ledger row per
    stocked variant). Returns the number of products written."""
    rng = random.Random(seed)  # nosec B311 # jitter, demo data: not security
    mrp_rng = random.Random(seed + 1_000_003)  # nosec B311 # demo data
    leaves, colour_ids, size_ids = await ensure_reference_data(conn)
    next_id = int(await fetch_val(conn, "SELECT COALESCE(MAX(id), 0) FROM products") or 0) + 1
    large = products > 20_000  # a million products: fewer variants each, to keep the size sane
    written = 0
    with tqdm(total=products, unit="product", desc="Seeding", disable=quiet, file=sys.stderr) as bar:
        while written < products:
            count = min(batch_size, products - written)
            product_rows: list[tuple] = []
            variant_rows: list[tuple] = []
            image_rows: list[tuple] = []
            for product_id in range(next_id, next_id + count):
                product, variants, images = make_product(rng, product_id, rng.choice(leaves), COLOURS, large, mrp_rng)
                product_rows.append(product)
                variant_rows.extend(
                    (pid, size_ids[s], colour_ids[c], sku, price, mrp, stock)
                    for pid, s, c, sku, price, stock, mrp in variants
                )
                image_rows.extend((pid, colour_ids[c], pos, path, alt) for pid, c, pos, path, alt in images)
            async with transaction(conn):
                await execute_many(
                    conn,
                    "INSERT INTO products (id, category_id, slug, name, description, fabric, "
                    "from_price_paise, from_mrp_paise, discount_percent) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    product_rows,
                )
                await execute_many(
                    conn,
                    "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, "
                    "mrp_paise, stock) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    variant_rows,
                )
                await execute_many(
                    conn,
                    "INSERT INTO product_images (product_id, colour_id, position, path, alt) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    image_rows,
                )
                await execute(  # a fit note on clothes (issue 13.7), one of a few by the product's id
                    conn,
                    # the batch's id range alone, the categories as a list: with a join MariaDB
                    # read every product of the batch's categories, so each batch took longer than
                    # the one before (a million products: from 1,400 down to 170 products a second)
                    "UPDATE products p SET p.fit_note = ELT(1 + MOD(p.id, %s), %s, %s, %s, %s) "
                    "WHERE p.id BETWEEN %s AND %s AND p.category_id IN "
                    "(SELECT c.id FROM categories c WHERE c.size_group IN ('apparel', 'waist'))",
                    (len(FIT_NOTES), *FIT_NOTES, next_id, next_id + count - 1),
                )
                await execute(
                    conn,
                    "INSERT INTO stock_movements (variant_id, delta, stock_after, reason, note) "
                    "SELECT id, stock, stock, 'initial', 'demo catalogue' FROM variants "
                    "WHERE product_id BETWEEN %s AND %s AND stock > 0",
                    (next_id, next_id + count - 1),
                )
                await refresh_search_text_range(conn, next_id, next_id + count - 1)
                await refresh_facet_range(conn, next_id, next_id + count - 1)  # facet rows (0509)
            next_id += count
            written += count
            bar.update(count)
    return written


# --- Shoppers, orders, reviews and a clickstream with something to learn (`seed-demo --orders N`) ---

FIRST_NAMES = [
    "Asha",
    "Priya",
    "Meera",
    "Kavya",
    "Ananya",
    "Divya",
    "Isha",
    "Neha",
    "Pooja",
    "Riya",
    "Sneha",
    "Tanvi",
    "Lakshmi",
    "Fatima",
    "Zoya",
    "Harleen",
    "Gauri",
    "Nandini",
    "Shreya",
    "Aditi",
]
LAST_NAMES = ["Rao", "Sharma", "Iyer", "Nair", "Reddy", "Khan", "Das", "Menon", "Patel", "Gupta", "Singh", "Bose"]
DEMO_SHOPPER_EMAIL = "shopper1@mooncart.example"
DEMO_SHOPPER_PASSWORD = "moonlit-kurti-2026"  # nosec B105 # a demo account's, printed by seed-demo

# what reviews say, by what the product is like (each product gets a few traits that its buyers mention)
GOOD_TRAITS = {
    "soft": [
        "The fabric is soft and breathable.",
        "Soft fabric, very comfortable to wear all day.",
        "Such soft fabric, feels premium.",
    ],
    "true_colour": [
        "Colour is exactly same as shown.",
        "The colour is exactly same as the picture.",
        "Colour is same as shown, very vibrant.",
    ],
    "stitching": [
        "Neat stitching and lovely finishing.",
        "The stitching is neat and strong.",
        "Lovely finishing, neat stitching.",
    ],
    "value": ["Value for money.", "Totally value for money at this price.", "Worth every penny."],
    "compliments": [
        "Got so many compliments at the office.",
        "Got many compliments at a wedding.",
        "Everyone asked where I bought it, got many compliments.",
    ],
}
BAD_TRAITS = {
    "fades": [
        "The colour faded after the first wash.",
        "Colour faded after one wash, disappointed.",
        "After the first wash the colour faded badly.",
    ],
    "thin": [
        "The fabric is thin and see-through.",
        "Thin fabric, you need a lining.",
        "Fabric is too thin for the price.",
    ],
    "loose_threads": [
        "Loose threads everywhere and the stitching came off.",
        "Stitching came off within a week.",
        "Stitching came off after two wears.",
    ],
    "cheap_feel": ["Material feels cheap.", "The material feels cheap and rough.", "Looks cheap in person."],
}
FIT_TEXT = {
    "small": [
        "Fitting is too tight, order a size up.",
        "Runs small, I had to return it for a size up.",
        "Bit tight at the chest, consider one size bigger.",
    ],
    "large": [
        "Too loose around the waist, size down.",
        "Runs large, I should have ordered a size down.",
        "It is too big, order one size smaller.",
    ],
    "true": ["Fits perfectly, true to size.", "True to size, the size chart is accurate.", "Fits well as expected."],
}
OPENERS = {
    5: ["Loved it!", "Beautiful piece.", "Superb!"],
    4: ["Very nice.", "Happy with it.", "Good buy."],
    3: ["It is okay.", "Average.", "Mixed feelings."],
    2: ["Not great.", "Disappointed."],
    1: ["Do not buy.", "Very bad experience."],
}


def _demo_order_number(rng: random.Random, when) -> str:
    return f"MC{when:%y%m%d}-{rng.getrandbits(24):06X}"


async def seed_orders(conn, orders: int, seed: int = 11, quiet: bool = False) -> dict:
    """Shoppers with latent tastes (two favourite categories, two favourite colours, a price
    band, a size), `orders` delivered-mostly orders that follow those tastes 80% of the time,
    reviews of what was received (what a product is like decides what its buyers say, and its
    cut decides the fit they report), and the clickstream of all that: views, adds to bag,
    checkout steps and orders, plus visitors who only browse. History only: stock is unchanged."""
    from datetime import datetime, timedelta

    from .accounts.passwords import hash_password

    rng = random.Random(seed)  # nosec B311 # demo data: not security
    products = await fetch_all(
        conn, "SELECT p.id, p.name, p.category_id, p.from_price_paise FROM products p ORDER BY p.id"
    )
    if not products:
        raise ValueError("seed-demo --orders needs a catalogue: add products first")
    variants = await fetch_all(
        conn,
        "SELECT v.id, v.product_id, v.sku, v.price_paise, v.stock, s.label AS size, "
        "co.name AS colour FROM variants v JOIN sizes s ON s.id = v.size_id "
        "JOIN colours co ON co.id = v.colour_id WHERE v.stock > 0",
    )
    by_product: dict[int, list[dict]] = {}
    for variant in variants:
        by_product.setdefault(variant["product_id"], []).append(variant)
    products = [p for p in products if p["id"] in by_product]
    product_by_id = {p["id"]: p for p in products}
    categories = sorted({p["category_id"] for p in products})
    prices = sorted(p["from_price_paise"] for p in products)
    band_edges = (prices[len(prices) // 3], prices[2 * len(prices) // 3])

    def band(paise: int) -> int:
        """The price band (0, 1, 2) of a price, for the demo shoppers' tastes."""
        return 0 if paise < band_edges[0] else 1 if paise < band_edges[1] else 2

    # what each product is like: a cut (its fit) and traits its buyers will mention
    nature = {}
    for p in products:
        cut = rng.choices(["small", "true", "large"], [0.25, 0.55, 0.2])[0]
        quality = rng.random()
        good = rng.sample(list(GOOD_TRAITS), 2)
        bad = rng.sample(list(BAD_TRAITS), 1 if quality < 0.7 else 0)
        nature[p["id"]] = dict(cut=cut, quality=quality, good=good, bad=bad)

    shoppers_wanted = max(5, orders // 4)
    password_hash = await hash_password(DEMO_SHOPPER_PASSWORD)
    first_user = int(await fetch_val(conn, "SELECT COALESCE(MAX(id), 0) FROM users") or 0) + 1
    shoppers = []
    for n in range(shoppers_wanted):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        email = DEMO_SHOPPER_EMAIL if n == 0 else f"shopper{first_user + n}.{seed}@mooncart.example"
        await execute(
            conn,
            "INSERT IGNORE INTO users (email, name, mobile, password_hash) VALUES (%s, %s, %s, %s)",
            (email, name, f"9{rng.randint(100000000, 999999999)}", password_hash),
        )
        user_id = await fetch_val(conn, "SELECT id FROM users WHERE email = %s", (email,))
        colours = sorted({v["colour"] for v in variants})
        shoppers.append(
            dict(
                id=user_id,
                name=name,
                categories=rng.sample(categories, min(2, len(categories))),
                colours=rng.sample(colours, min(2, len(colours))),
                band=rng.randrange(3),
                size=rng.choice(["S", "M", "L", "XL", "28", "30", "UK 5", "UK 6"]),
                visitor=secrets.token_urlsafe(16),
                device=rng.choices(["mobile", "desktop", "tablet"], [0.65, 0.3, 0.05])[0],
            )
        )

    def liked(shopper, product) -> bool:
        """Whether a demo shopper would buy this product: her categories and her colours or price band."""
        colours = {v["colour"] for v in by_product[product["id"]]}
        return bool(
            product["category_id"] in shopper["categories"]
            and (colours & set(shopper["colours"]) or band(product["from_price_paise"]) == shopper["band"])
        )

    matches = {s["id"]: [p for p in products if liked(s, p)] for s in shoppers}
    now = datetime.now().replace(microsecond=0)
    events: list[tuple] = []
    made = {"orders": 0, "reviews": 0, "events": 0, "shoppers": len(shoppers)}
    # some shoppers buy often, most now and then
    weights = [rng.paretovariate(1.5) for _ in shoppers]
    schedule = sorted(
        (
            (rng.choices(shoppers, weights)[0], now - timedelta(minutes=rng.randint(60, 80 * 24 * 60)))
            for _ in range(orders)
        ),
        key=lambda pair: pair[1],
    )
    for shopper, placed_at in tqdm(schedule, unit="order", desc="Orders", disable=quiet, file=sys.stderr):
        pool = matches[shopper["id"]]
        lines: list[dict] = []
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            product = rng.choice(pool) if pool and rng.random() < 0.8 else rng.choice(products)
            options = by_product[product["id"]]
            # her size in her colours, else her colours, else anything in stock
            preferred = (
                [v for v in options if v["size"] == shopper["size"] and v["colour"] in shopper["colours"]]
                or [v for v in options if v["colour"] in shopper["colours"]]
                or options
            )
            variant = preferred[0] if len(preferred) < len(options) else rng.choice(options)
            if all(line["product_id"] != product["id"] for line in lines):
                lines.append(
                    dict(
                        variant,
                        product_id=product["id"],
                        product_name=product["name"],
                        category_id=product["category_id"],
                        quantity=1,
                    )
                )
        subtotal = sum(line["price_paise"] for line in lines)
        status = rng.choices(["delivered", "shipped", "placed", "cancelled"], [0.85, 0.05, 0.04, 0.06])[0]
        number = _demo_order_number(rng, placed_at)
        _, order_id = await execute(
            conn,
            "INSERT INTO orders (number, user_id, idempotency_key, status, payment_method, payment_status, "
            "ship_name, ship_line1, ship_city, ship_state, ship_pin_code, ship_mobile, subtotal_paise, "
            "shipping_paise, gst_paise, placed_at) VALUES (%s, %s, %s, %s, 'cod', %s, %s, '12, MG Road', "
            "'Bengaluru', 'Karnataka', '560001', '9876543210', %s, %s, %s, %s)",
            (
                number,
                shopper["id"],
                secrets.token_hex(16),
                status,
                "paid" if status == "delivered" else "pending",
                shopper["name"],
                subtotal,
                0 if subtotal >= 99900 else 7900,
                subtotal * 5 // 105,
                placed_at,
            ),
        )
        await execute_many(
            conn,
            "INSERT INTO order_items (order_id, variant_id, product_name, size_label, "
            "colour_name, "
            "sku, unit_price_paise, quantity) VALUES (%s, %s, %s, %s, %s, %s, %s, 1)",
            [
                (
                    order_id,
                    line["id"],
                    line["product_name"],
                    line["size"],
                    line["colour"],
                    line["sku"],
                    line["price_paise"],
                )
                for line in lines
            ],
        )
        made["orders"] += 1
        # the clickstream: browsing in her categories, the bag, checkout, the order
        day_start = placed_at - timedelta(minutes=rng.randint(5, 40))
        browsed = rng.sample(pool, min(len(pool), rng.randint(1, 4))) if pool else []
        for i, product in enumerate(browsed + list(lines)):
            pid = product.get("product_id", product["id"])
            events.append(
                (
                    day_start + timedelta(seconds=30 * i),
                    shopper["visitor"],
                    "view",
                    shopper["device"],
                    pid,
                    product["category_id"],
                    None,
                    None,
                    None,
                    None,
                    None,
                )
            )
        for i, line in enumerate(lines):
            events.append(
                (
                    placed_at - timedelta(minutes=3, seconds=-i),
                    shopper["visitor"],
                    "add",
                    shopper["device"],
                    line["product_id"],
                    line["category_id"],
                    line["id"],
                    1,
                    None,
                    None,
                    None,
                )
            )
        for step in ("show", "placed"):
            events.append(
                (
                    placed_at - timedelta(seconds=60 if step == "show" else 0),
                    shopper["visitor"],
                    "checkout",
                    shopper["device"],
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    step,
                )
            )
        if status != "cancelled":
            for line in lines:
                events.append(
                    (
                        placed_at,
                        shopper["visitor"],
                        "order",
                        shopper["device"],
                        line["product_id"],
                        line["category_id"],
                        line["id"],
                        1,
                        None,
                        None,
                        None,
                    )
                )
        if status == "delivered":
            for line in lines:
                if rng.random() < 0.6:
                    made["reviews"] += await _demo_review(
                        conn,
                        rng,
                        shopper,
                        line,
                        nature[line["product_id"]],
                        liked(shopper, product_by_id[line["product_id"]]),
                        placed_at + timedelta(days=rng.randint(4, 12)),
                    )
    # visitors who only browse, and searches, some finding nothing
    for _ in range(orders * 2):
        visitor = secrets.token_urlsafe(16)
        device = rng.choices(["mobile", "desktop", "tablet"], [0.65, 0.3, 0.05])[0]
        when = now - timedelta(minutes=rng.randint(10, 60 * 24 * 60))
        looked = rng.sample(products, rng.randint(1, 4))
        for i, product in enumerate(looked):
            events.append(
                (
                    when + timedelta(seconds=40 * i),
                    visitor,
                    "view",
                    device,
                    product["id"],
                    product["category_id"],
                    None,
                    None,
                    None,
                    None,
                    None,
                )
            )
        if rng.random() < 0.25:
            choice = rng.choice(by_product[looked[0]["id"]])
            events.append(
                (
                    when + timedelta(minutes=3),
                    visitor,
                    "add",
                    device,
                    looked[0]["id"],
                    looked[0]["category_id"],
                    choice["id"],
                    1,
                    None,
                    None,
                    None,
                )
            )
            if rng.random() < 0.4:
                events.append(
                    (
                        when + timedelta(minutes=5),
                        visitor,
                        "checkout",
                        device,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        "show",
                    )
                )
        if rng.random() < 0.2:
            query, results = rng.choice(
                [
                    ("kurti", 40),
                    ("silk saree", 12),
                    ("jhumka", 9),
                    ("palazzo", 0),
                    ("co-ord set", 0),
                    ("anarkali", 6),
                    ("kaftan", 0),
                    ("mojari", 0),
                ]
            )
            events.append((when, visitor, "search", device, None, None, None, None, query, results, None))
    for start in range(0, len(events), 5000):
        await execute_many(
            conn,
            "INSERT INTO events (occurred_at, visitor_id, kind, device, product_id, category_id, "
            "variant_id, quantity, query, results, step) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            events[start : start + 5000],
        )
    made["events"] = len(events)
    from .reviews.queries import refresh_all_product_ratings

    await refresh_all_product_ratings(conn)
    return made


async def _demo_review(conn, rng: random.Random, shopper: dict, line: dict, nature: dict, liked: bool, when) -> int:
    """One review of a received product, in words that follow what the product is like."""
    if line["size"] in ("Free size",):
        fit = None
    else:
        fit = nature["cut"] if rng.random() < 0.85 else rng.choice(["small", "true", "large"])
    score = 2.5 + 2.5 * nature["quality"] + (0.6 if liked else -0.3) - (0.8 if fit in ("small", "large") else 0)
    rating = max(1, min(5, round(score + rng.uniform(-0.8, 0.8))))
    sentences = [rng.choice(OPENERS[rating])]
    if rating >= 3:
        sentences += [rng.choice(GOOD_TRAITS[t]) for t in rng.sample(nature["good"], rng.randint(1, 2))]
    if nature["bad"] and (rating <= 3 or rng.random() < 0.3):
        sentences += [rng.choice(BAD_TRAITS[t]) for t in nature["bad"]]
    if fit and rng.random() < 0.7:
        sentences.append(rng.choice(FIT_TEXT[fit]))
    affected, _ = await execute(
        conn,
        "INSERT IGNORE INTO reviews (product_id, user_id, rating, title, body, fit, verified, created_at, "
        "updated_at) "
        "VALUES (%s, %s, %s, '', %s, %s, 1, %s, %s)",
        (
            line["product_id"],
            shopper["id"],
            rating,
            " ".join(sentences),
            fit if rng.random() < 0.8 else None,
            when,
            when,
        ),
    )
    return affected
