"""A believable demo catalogue for an urban Indian women's fashion shop.

Everything is generated here, pictures included (SVG silhouettes in the product's colour).
Large catalogues (a million products) are written in batches of multi-row INSERTs, one
transaction a batch, with a progress bar.
"""

from __future__ import annotations

import random
import sys

from tqdm import tqdm

from .db import execute, execute_many, fetch_all, fetch_val, transaction
from .text import slugify

# parent slug, name, [(slug, name, art kind, sizes kind, price range in rupees, nouns, blurb)]
CATEGORIES = [
    ("ethnic-wear", "Ethnic wear", [
        ("kurtis", "Kurtis", "kurti", "apparel", (499, 3499),
         ["Kurti", "Anarkali Kurti", "A-line Kurta", "Straight Kurta", "Kaftan Kurti"],
         "Everyday cottons to festive Anarkalis."),
        ("sarees", "Sarees", "saree", "free", (999, 18999),
         ["Saree", "Banarasi Saree", "Kanjeevaram Saree", "Chiffon Saree", "Organza Saree"],
         "Six yards of grace, from office to wedding."),
        ("lehengas", "Lehengas", "lehenga", "apparel", (2999, 39999),
         ["Lehenga Set", "Lehenga Choli", "Bridal Lehenga", "Sharara Set"],
         "Made for sangeet nights and shaadi days."),
        ("dupattas", "Dupattas", "dupatta", "free", (299, 2499),
         ["Dupatta", "Bandhani Dupatta", "Phulkari Dupatta", "Stole"],
         "The finishing touch."),
    ]),
    ("western-wear", "Western wear", [
        ("dresses", "Dresses", "dress", "apparel", (799, 4999),
         ["Midi Dress", "Maxi Dress", "Wrap Dress", "Shirt Dress", "Tiered Dress"],
         "Brunch, work, date night."),
        ("tops", "Tops", "top", "apparel", (399, 1999),
         ["Top", "Peplum Top", "Crop Top", "Shirt", "Tunic"],
         "Easy tops for every day."),
        ("jeans", "Jeans", "jeans", "waist", (899, 3299),
         ["Straight Jeans", "Mom Jeans", "Wide-leg Jeans", "Skinny Jeans", "Bootcut Jeans"],
         "Denim that fits."),
    ]),
    ("accessories", "Accessories", [
        ("footwear", "Footwear", "footwear", "shoe", (499, 3999),
         ["Juttis", "Kolhapuris", "Block Heels", "Flats", "Sneakers", "Wedges"],
         "From juttis to sneakers."),
        ("bags", "Bags", "bag", "free", (599, 4999),
         ["Tote Bag", "Potli Bag", "Sling Bag", "Clutch", "Handbag"],
         "Carry it all, beautifully."),
        ("jewellery", "Jewellery", "jewellery", "free", (199, 2999),
         ["Jhumkas", "Kundan Necklace Set", "Oxidised Earrings", "Bangles", "Maang Tikka", "Nose Pin"],
         "Jhumkas, kundan and everyday silver."),
    ]),
]

COLOURS = [
    ("Rani Pink", "#e91e63"), ("Blush", "#f8bbd0"), ("Maroon", "#7b1e3a"), ("Mustard", "#e1ad01"),
    ("Teal", "#00897b"), ("Indigo", "#3f51b5"), ("Ivory", "#f5f0e1"), ("Black", "#222222"),
    ("Mint", "#98d8c8"), ("Peach", "#ffb38a"), ("Emerald", "#2e7d32"), ("Navy", "#1f2a56"),
    ("Lavender", "#b39ddb"), ("Coral", "#ff6f61"), ("Denim Blue", "#4a6fa5"), ("Gold", "#c9a227"),
]

SIZE_SETS = {
    "apparel": ["XS", "S", "M", "L", "XL", "XXL"],
    "free": ["Free size"],
    "waist": ["26", "28", "30", "32", "34", "36"],
    "shoe": ["UK 3", "UK 4", "UK 5", "UK 6", "UK 7", "UK 8"],
}

STYLES = ["Block-print", "Chikankari", "Mirror-work", "Bandhani", "Ikat", "Zari", "Floral", "Gota Patti",
          "Embroidered", "Printed", "Solid", "Striped", "Kalamkari", "Leheriya", "Ajrakh", "Sequinned"]
FABRICS = ["Cotton", "Rayon", "Chanderi", "Georgette", "Silk", "Linen", "Chiffon", "Crepe", "Muslin",
           "Organza", "Denim", "Velvet", "Modal", "Khadi"]
NON_FABRIC = {"footwear": ["Leather", "Vegan leather", "Suede"], "bags": ["Vegan leather", "Jute", "Canvas", "Silk"],
              "jewellery": ["Oxidised silver", "Gold-plated brass", "Kundan", "Pearl"]}
OCCASIONS = ["everyday wear", "the office", "festive evenings", "weddings", "college", "brunch",
             "Diwali parties", "haldi and mehendi", "weekend getaways"]
PAIRINGS = ["juttis", "jhumkas", "a potli bag", "white sneakers", "a bright dupatta"]


async def ensure_reference_data(conn) -> tuple[list[dict], dict[str, int], dict[str, int]]:
    """Categories and colours (idempotent). Returns leaf categories and name -> id maps."""
    for position, (parent_slug, parent_name, children) in enumerate(CATEGORIES):
        await execute(conn, "INSERT IGNORE INTO categories (slug, name, position) VALUES (%s, %s, %s)",
                      (parent_slug, parent_name, position))
        parent_id = await fetch_val(conn, "SELECT id FROM categories WHERE slug = %s", (parent_slug,))
        for child_position, (slug, name, art, size_group, *_rest, blurb) in enumerate(children):
            await execute(conn, "INSERT IGNORE INTO categories (parent_id, slug, name, blurb, art_kind, size_group, "
                                "position) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                          (parent_id, slug, name, blurb, art, size_group, child_position))
    await execute_many(conn, "INSERT IGNORE INTO colours (name, hex) VALUES (%s, %s)", COLOURS)
    category_ids = {r["slug"]: r["id"] for r in await fetch_all(conn, "SELECT id, slug FROM categories")}
    leaves = []
    for _parent_slug, _parent_name, children in CATEGORIES:
        for slug, _name, art, sizes_kind, price_range, nouns, _blurb in children:
            leaves.append(dict(id=category_ids[slug], slug=slug, art=art, sizes=sizes_kind,
                               price_range=price_range, nouns=nouns))
    colour_ids = {r["name"]: r["id"] for r in await fetch_all(conn, "SELECT id, name FROM colours")}
    size_ids = {r["label"]: r["id"] for r in await fetch_all(conn, "SELECT id, label FROM sizes")}
    return leaves, colour_ids, size_ids


def make_stock(rng: random.Random) -> int:
    """A believable stock level: some sold out, some nearly, most plenty."""
    roll = rng.random()
    if roll < 0.12:
        return 0  # sold out
    if roll < 0.30:
        return rng.randint(1, 5)  # "Only 3 left"
    return rng.randint(6, 60)


def make_product(rng: random.Random, product_id: int, leaf: dict, colours: list[tuple[str, str]],
                 large: bool) -> tuple[tuple, list[tuple], list[tuple]]:
    """One product row, its variant rows and its image rows (ids of colours/sizes resolved later)."""
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
        sizes = sizes[start:start + rng.randint(3, 4) if large else len(sizes)]
    description = (f"A {style.lower()} {noun.lower()} in {fabric.lower()}, made for {rng.choice(OCCASIONS)}. "
                   f"Pairs beautifully with {rng.choice(PAIRINGS)}. "
                   "Gentle hand wash recommended.")
    variants: list[tuple] = []
    images: list[tuple] = []
    for colour_name, colour_hex in chosen:
        for size in sizes:
            price = price_rupees * 100 + (20000 if size == "XXL" else 0)  # XXL uses more fabric
            sku = f"MC{product_id:07d}-{slugify(colour_name)[:6].upper()}-{slugify(size).upper()}"
            variants.append((product_id, size, colour_name, sku, price, make_stock(rng)))
        images.append((product_id, colour_name, len(images), f"art/{leaf['art']}/{colour_hex[1:]}.svg",
                       f"{name} in {colour_name.lower()}"))
    min_price = min(v[4] for v in variants)
    product = (product_id, leaf["id"], f"{slugify(name)}-{product_id}", name, description, fabric, min_price)
    return product, variants, images


async def seed_demo(conn, products: int = 200, seed: int = 7, batch_size: int = 2000, quiet: bool = False) -> int:
    """Add `products` demo products (with variants, pictures and an 'initial' ledger row per
    stocked variant). Returns the number of products written."""
    rng = random.Random(seed)  # nosec B311 # jitter, demo data: not security
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
                product, variants, images = make_product(rng, product_id, rng.choice(leaves), COLOURS, large)
                product_rows.append(product)
                variant_rows.extend((pid, size_ids[s], colour_ids[c], sku, price, stock)
                                    for pid, s, c, sku, price, stock in variants)
                image_rows.extend((pid, colour_ids[c], pos, path, alt) for pid, c, pos, path, alt in images)
            async with transaction(conn):
                await execute_many(conn, "INSERT INTO products (id, category_id, slug, name, description, fabric, "
                                         "from_price_paise) VALUES (%s, %s, %s, %s, %s, %s, %s)", product_rows)
                await execute_many(conn, "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, "
                                         "stock) VALUES (%s, %s, %s, %s, %s, %s)", variant_rows)
                await execute_many(conn, "INSERT INTO product_images (product_id, colour_id, position, path, alt) "
                                         "VALUES (%s, %s, %s, %s, %s)", image_rows)
                await execute(conn, "INSERT INTO stock_movements (variant_id, delta, stock_after, reason, note) "
                                    "SELECT id, stock, stock, 'initial', 'demo catalogue' FROM variants "
                                    "WHERE product_id BETWEEN %s AND %s AND stock > 0",
                              (next_id, next_id + count - 1))
            next_id += count
            written += count
            bar.update(count)
    return written
