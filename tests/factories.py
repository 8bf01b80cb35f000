"""Make the rows and the shoppers a test needs (products, users, addresses, orders, a filled bag), with
fresh names so tests never depend on seed ids. Shared by every area's tests: no test module imports
another's helpers."""

from __future__ import annotations

import itertools
import secrets
import time
from urllib.parse import urlsplit

import httpx
import pyotp

from mooncart.accounts import two_step
from mooncart.accounts.two_step import CLOCK_DRIFT_STEPS
from mooncart.bag.summary import BagLine
from mooncart.checkout.placement import new_order_number
from mooncart.checkout.pricing import order_totals
from mooncart.db import execute, fetch_val
from mooncart.formatting import discount_percent
from mooncart.inventory.queries import refresh_product_facets
from mooncart.orders import queries as order_queries
from tests.conftest import HTMX, log_in, post, soup

_counter = itertools.count(1)


async def make_category(conn, name: str | None = None, parent_id: int | None = None) -> dict:
    n = next(_counter)
    name = name or f"Test Kurtis {n}"
    slug = f"test-category-{n}"
    _, category_id = await execute(
        conn,
        "INSERT INTO categories (parent_id, slug, name, art_kind) VALUES (%s, %s, %s, 'kurti')",
        (parent_id, slug, name),
    )
    return {"id": category_id, "slug": slug, "name": name}


async def make_colour(conn, name: str | None = None, hex_code: str = "#e91e63") -> int:
    name = name or f"Colour {next(_counter)}"
    existing = await fetch_val(conn, "SELECT id FROM colours WHERE name = %s", (name,))
    if existing:
        return existing
    _, colour_id = await execute(conn, "INSERT INTO colours (name, hex) VALUES (%s, %s)", (name, hex_code))
    return colour_id


async def size_id(conn, label: str) -> int:
    return await fetch_val(conn, "SELECT id FROM sizes WHERE label = %s", (label,))


async def make_size_chart(conn, category_id: int, chart: dict[str, dict[str, float]]) -> None:
    """A category's own size chart: {size label: {measure: cm}}."""
    for label, measures in chart.items():
        for measure, cm in measures.items():
            await execute(
                conn,
                "INSERT INTO size_chart_rows (category_id, size_id, measure, cm) VALUES (%s, %s, %s, %s)",
                (category_id, await size_id(conn, label), measure, cm),
            )


async def make_product(
    conn,
    *,
    category: dict | None = None,
    name: str | None = None,
    price_paise: int = 149900,
    variants: list[tuple[str, str, int]] | None = None,
    stock: int | None = None,
    description: str = "A test kurti.",
    fabric: str = "Cotton",
    mrp_paise: int | None = None,
) -> dict:
    """A product with variants given as (size, colour, stock); `stock=n` is one M/Rani Pink variant.
    `mrp_paise` is every variant's MRP (default: the price, no discount)."""
    n = next(_counter)
    category = category or await make_category(conn)
    name = name or f"Test Chikankari Kurti {n}"
    if variants is None:
        variants = [("M", "Rani Pink", 10 if stock is None else stock)]
    slug = f"test-product-{n}"
    _, product_id = await execute(
        conn,
        "INSERT INTO products (category_id, slug, name, description, fabric, from_price_paise, from_mrp_paise, "
        "discount_percent) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            category["id"],
            slug,
            name,
            description,
            fabric,
            price_paise,
            mrp_paise or price_paise,
            discount_percent(price_paise, mrp_paise),
        ),
    )
    made = []
    for size, colour, variant_stock in variants:
        colour_id = await make_colour(conn, colour)
        sku = f"T{n}-{size}-{colour_id}".replace(" ", "")
        _, variant_id = await execute(
            conn,
            "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, mrp_paise, stock) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                product_id,
                await size_id(conn, size),
                colour_id,
                sku,
                price_paise,
                mrp_paise or price_paise,
                variant_stock,
            ),
        )
        made.append({"id": variant_id, "size": size, "colour": colour, "stock": variant_stock, "sku": sku})
    await execute(
        conn,
        "INSERT INTO product_images (product_id, position, path, alt) VALUES (%s, 0, %s, %s)",
        (product_id, "art/kurti/e91e63.svg", name),
    )
    await refresh_product_facets(conn, [product_id])  # as the shop's writers do (migration 0509)
    return {
        "id": product_id,
        "slug": slug,
        "name": name,
        "category": category,
        "variants": made,
        "url": f"/products/{slug}",
    }


PASSWORD = "kurti-season-2026"
_password_hash: str | None = None


async def make_user(
    conn,
    *,
    email: str | None = None,
    name: str = "Asha Rao",
    password_hash: str | None = None,
    is_staff: bool = False,
    two_step: bool | None = None,
) -> dict:
    """A user whose password is PASSWORD (hashed once per test session with the real parameters).
    Staff get two-step sign-in (the back office requires it) unless two_step=False."""
    global _password_hash
    from mooncart.accounts.passwords import hash_password

    if password_hash is None:
        if _password_hash is None:
            _password_hash = await hash_password(PASSWORD)
        password_hash = _password_hash
    email = email or f"shopper{next(_counter)}@example.in"
    _, user_id = await execute(
        conn,
        "INSERT INTO users (email, name, mobile, password_hash, is_staff) VALUES (%s, %s, '9876543210', %s, %s)",
        (email, name, password_hash, is_staff),
    )
    user = {"id": user_id, "email": email, "name": name, "password": PASSWORD}
    if is_staff if two_step is None else two_step:
        await enrol_two_step(conn, user)
    return user


async def enrol_two_step(conn, user: dict) -> None:
    """Two-step sign-in, set up as a shopper would; the secret and recovery codes go in the user dict."""
    user["two_step_secret"] = two_step.new_secret()
    user["recovery_codes"] = two_step.new_recovery_codes()
    await execute(
        conn,
        "INSERT INTO two_step_secrets (user_id, secret, confirmed_at) VALUES (%s, %s, NOW(6))",
        (user["id"], user["two_step_secret"]),
    )
    for code in user["recovery_codes"]:
        await execute(
            conn,
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES (%s, %s)",
            (user["id"], two_step.recovery_code_hash(code)),
        )


def next_code(user: dict) -> str:
    """A code that logs this user in once: the app's code for the next unused 30-second step the
    shop accepts now, or (when tests log in faster than the steps go by) a recovery code."""
    totp = pyotp.TOTP(user["two_step_secret"])
    now = totp.timecode(time.time())
    used = user.setdefault("steps_used", set())
    # a past step is taken only with time to spare: a slow browser that sends it after the step
    # boundary would send a code the shop no longer accepts
    spare = totp.interval - time.time() % totp.interval
    for step in range(now - CLOCK_DRIFT_STEPS, now + CLOCK_DRIFT_STEPS + 1):
        if step < now and spare < 10:
            continue
        if step not in used and (not used or step > max(used)):
            used.add(step)
            return totp.generate_otp(step)
    return user["recovery_codes"].pop()


ADDRESS = {
    "full_name": "Asha Rao",
    "line1": "12, 4th Cross, Indiranagar",
    "line2": "Near the metro",
    "city": "Bengaluru",
    "state": "Karnataka",
    "pin_code": "560038",
    "mobile": "9876543210",
}


async def make_address(conn, user_id: int) -> int:
    from mooncart.accounts.queries import insert_address

    return await insert_address(conn, user_id, ADDRESS)


async def add(client, variant_id, quantity="1", htmx=True):
    """Add to the bag through the real form, over htmx unless htmx=False."""
    return await post(
        client,
        "/bag/add",
        form={"variant_id": str(variant_id), "quantity": str(quantity)},
        headers=HTMX if htmx else None,
    )


async def shopper_with_bag(app, conn, *quantities, stock=10, price_paise=49900):
    """A signed-in client whose bag holds one line per quantity, and a saved address."""
    product = await make_product(
        conn,
        price_paise=price_paise,
        variants=[(s, "Mustard", stock) for s in ("S", "M", "L", "XL")][: len(quantities)],
    )
    user = await make_user(conn)
    address_id = await make_address(conn, user["id"])
    client = app.test_client()
    await log_in(client, user)
    for variant, quantity in zip(product["variants"], quantities):
        response = await post(client, "/bag/add", form={"variant_id": str(variant["id"]), "quantity": str(quantity)})
        assert response.status_code == 303
    checkout = soup(await (await client.get("/checkout")).get_data())
    key = checkout.find("input", attrs={"name": "idempotency_key"})["value"]
    confirmation = checkout.find("input", attrs={"name": "confirmation"})["value"]  # what the page showed
    return (
        client,
        user,
        product["variants"],
        {"address_id": str(address_id), "payment_method": "cod", "idempotency_key": key, "confirmation": confirmation},
    )


async def make_order(conn, user: dict, product: dict, *quantities: int, payment_status: str = "pending") -> dict:
    """An order of `quantities[i]` of the product's i-th variant, written by the real queries."""
    lines = [
        BagLine(
            variant_id=v["id"],
            quantity=q,
            stock=v["stock"],
            sku=v["sku"],
            price_paise=149_900,
            size=v["size"],
            colour=v["colour"],
            product_name=product["name"],
            product_slug=product["slug"],
            image_path=None,
        )
        for v, q in zip(product["variants"], quantities)
    ]
    number, key = new_order_number(), secrets.token_hex(16)
    order_id = await order_queries.insert_order(
        conn,
        number=number,
        user_id=user["id"],
        idempotency_key=key,
        payment_method="cod",
        payment_status=payment_status,
        payment_reference="COD",
        address=ADDRESS,
        totals=order_totals(lines),
    )
    await order_queries.insert_order_items(conn, order_id, lines)
    return {"id": order_id, "number": number, "key": key}


async def make_delivered_order(
    conn, user: dict, product: dict, *, status: str = "delivered", variant: dict | None = None, placed_at=None
) -> int:
    """An order of one of the product's variants, already delivered (so the shopper may review
    it), written directly: checkout is not what such tests are about. Stock is not touched."""
    variant = variant or product["variants"][0]
    _, order_id = await execute(
        conn,
        "INSERT INTO orders (number, user_id, idempotency_key, status, payment_method, ship_name, ship_line1, "
        "ship_city, ship_state, ship_pin_code, ship_mobile, subtotal_paise, shipping_paise, gst_paise, "
        "placed_at) "
        "VALUES (%s, %s, %s, %s, 'cod', 'Asha Rao', '12 MG Road', 'Bengaluru', 'Karnataka', '560001', "
        "'9876543210', 149900, 0, 7138, COALESCE(%s, NOW(6)))",
        (f"T{secrets.token_hex(6).upper()}", user["id"], secrets.token_hex(16), status, placed_at),
    )
    await execute(
        conn,
        "INSERT INTO order_items (order_id, variant_id, product_name, size_label, colour_name, sku, "
        "unit_price_paise, quantity) VALUES (%s, %s, %s, %s, %s, %s, 149900, 1)",
        (order_id, variant["id"], product["name"], variant["size"], variant["colour"], variant["sku"]),
    )
    return order_id


async def make_review(
    conn,
    user: dict,
    product: dict,
    rating: int = 5,
    body: str = "Lovely soft fabric, fits well.",
    fit: str | None = None,
    title: str = "",
) -> int:
    """A verified review (with the delivered order it needs)."""
    from mooncart.reviews.queries import upsert_review

    await make_delivered_order(conn, user, product)
    await upsert_review(conn, product["id"], user["id"], rating, title, body, fit)
    return await fetch_val(
        conn, "SELECT id FROM reviews WHERE product_id = %s AND user_id = %s", (product["id"], user["id"])
    )


async def make_voucher(
    conn,
    code: str = "DIWALI10",
    *,
    kind: str = "percent",
    amount: int = 10,
    categories: list[int] | None = None,
    **columns,
) -> int:
    """A voucher row (percent of 10 unless told otherwise), limited to `categories` when given."""
    values = dict(code=code, kind=kind, amount=amount, **columns)
    names = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    _, voucher_id = await execute(conn, f"INSERT INTO vouchers ({names}) VALUES ({marks})", list(values.values()))
    for category_id in categories or []:
        await execute(
            conn, "INSERT INTO voucher_categories (voucher_id, category_id) VALUES (%s, %s)", (voucher_id, category_id)
        )
    return voucher_id


# ---- checkout and payments ------------------------------------------------------------------

CARD = {"card_expiry": "12/39", "card_cvv": "123"}  # with a card_number: a test card's other fields


async def stock_of(conn, variant_id):
    return await fetch_val(conn, "SELECT stock FROM variants WHERE id = %s", (variant_id,))


async def press(page_url: str, button: str) -> str:
    """The shopper presses Pay or Fail on the gateway's page; returns where it sends her back to."""
    async with httpx.AsyncClient() as browser:
        page = soup((await browser.get(page_url)).text)
        form = next(f for f in page.find_all("form") if f.find("button").get_text() == button)
        answer = await browser.post(
            gateway_base(page_url) + form["action"], data={i["name"]: i["value"] for i in form.find_all("input")}
        )
    assert answer.status_code == 303
    return answer.headers["Location"]


def gateway_base(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def make_look(conn, products: list[dict], *, name: str | None = None, published: bool = True) -> dict:
    """A look of these products in this order (written directly: the staff pages are not what such tests are about)."""
    n = next(_counter)
    name = name or f"Test Look {n}"
    slug = f"test-look-{n}"
    _, look_id = await execute(
        conn,
        "INSERT INTO looks (slug, name, description, published) VALUES (%s, %s, %s, %s)",
        (slug, name, "A kurti, a dupatta and juttis.", published),
    )
    for position, product in enumerate(products, 1):
        await execute(
            conn,
            "INSERT INTO look_pieces (look_id, product_id, position) VALUES (%s, %s, %s)",
            (look_id, product["id"], position),
        )
    return {"id": look_id, "slug": slug, "name": name, "url": f"/look/{slug}"}


async def make_searchable_products(conn, made: dict, specs: list[dict]) -> dict[str, dict]:
    """Products that search can find, on a `committed` connection (InnoDB's FULLTEXT index sees
    only committed rows), recorded in `made` for clean-up. Each spec: key, category (a name),
    and make_product's keyword arguments. Returns them by key."""
    from mooncart.search.queries import refresh_search_text

    categories: dict[str, dict] = {}
    products: dict[str, dict] = {}
    for spec in specs:
        spec = dict(spec)
        key, category_name = spec.pop("key"), spec.pop("category")
        if category_name not in categories:
            categories[category_name] = await make_category(conn, category_name)
            made["categories"].append(categories[category_name]["id"])
        products[key] = await make_product(conn, category=categories[category_name], **spec)
        made["products"].insert(0, products[key]["id"])  # deleted before their categories
    await refresh_search_text(conn, [p["id"] for p in products.values()])
    return products
