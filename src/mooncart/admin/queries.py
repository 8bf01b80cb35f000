"""The back office's SQL: catalogue editing, stock history, orders, and the dashboard's numbers."""

from __future__ import annotations

from typing import Any

from ..catalog.queries import FIRST_IMAGE_SQL
from ..db import execute, fetch_all, fetch_one, fetch_val, transaction
from ..formatting import discount_percent
from ..inventory.queries import forget_product_facets, refresh_product_facets
from ..orders.queries import ORDER_COLUMNS

# ---- catalogue ---------------------------------------------------------------------------


async def search_products(conn, query: str, limit: int = 50) -> list[dict]:
    """Newest first; a query matches the name or a variant's SKU."""
    base = (
        "SELECT p.id, p.name, p.slug, p.from_price_paise, c.name AS category, "  # nosec B608 # values are %s parameters
        + FIRST_IMAGE_SQL
        + " AS image_path, "
        "(SELECT COALESCE(SUM(v.stock), 0) FROM variants v WHERE v.product_id = p.id) AS stock "
        "FROM products p JOIN categories c ON c.id = p.category_id "
    )
    if not query:
        return await fetch_all(conn, base + "ORDER BY p.id DESC LIMIT %s", (limit,))
    like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return await fetch_all(
        conn,
        base + "WHERE p.name LIKE %s "  # nosec B608 # values are %s parameters
        "OR p.id IN (SELECT product_id FROM variants WHERE sku = %s) "
        "ORDER BY p.id DESC LIMIT %s",
        (like, query, limit),
    )


async def select_product(conn, product_id: int) -> dict | None:
    """One product's editable fields, or None (the view answers 404)."""
    return await fetch_one(
        conn,
        "SELECT id, category_id, slug, name, description, fabric, fit_note, from_price_paise, from_mrp_paise "
        "FROM products WHERE id = %s",
        (product_id,),
    )


async def insert_product(conn, values: dict, slug: str) -> int:
    """A new product without variants yet; its from-price and MRP are the typed ones until it has some."""
    price, mrp = values["price_paise"], values.get("mrp_paise") or values["price_paise"]
    async with transaction(conn):
        _, product_id = await execute(
            conn,
            "INSERT INTO products (category_id, slug, name, description, fabric, fit_note, from_price_paise, "
            "from_mrp_paise, discount_percent) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                values["category_id"],
                slug,
                values["name"],
                values["description"],
                values["fabric"],
                values.get("fit_note", ""),
                price,
                mrp,
                discount_percent(price, mrp),
            ),
        )
        await refresh_product_facets(conn, [product_id])  # its facet row (0509): a price, no sizes yet
    return product_id


async def update_product(conn, product_id: int, values: dict) -> None:
    """The product's words and category; prices live on variants. A new category moves its facet
    rows (migration 0509) in the same transaction."""
    async with transaction(conn):
        moved, _ = await execute(
            conn,
            "UPDATE products SET category_id = %s, name = %s, description = %s, fabric = %s, fit_note = %s "
            "WHERE id = %s",
            (
                values["category_id"],
                values["name"],
                values["description"],
                values["fabric"],
                values["fit_note"],
                product_id,
            ),
        )
        if moved and await fetch_val(
            conn,
            "SELECT 1 FROM product_facets WHERE product_id = %s AND category_id <> %s LIMIT 1",
            (product_id, values["category_id"]),
        ):
            await refresh_product_facets(conn, [product_id])


async def delete_product(conn, product_id: int) -> bool:
    """Delete the product; its variants, photos and bag lines go with it (foreign keys),
    while order lines keep their own copy. False when there was no such product."""
    async with transaction(conn):
        await forget_product_facets(conn, product_id)  # out of the categories' facet counts (0509)
        affected, _ = await execute(conn, "DELETE FROM products WHERE id = %s", (product_id,))
    return affected > 0


async def refresh_from_price(conn, product_id: int) -> None:
    """Keep the listing's columns equal to the lowest variant price, its MRP (the lowest among
    variants at that price: a card never overstates a discount) and their discount (see
    schema.sql, whose CHECK holds the discount to the same rounding down). A product without
    variants keeps what it has."""
    await execute(
        conn,
        "UPDATE products p JOIN (SELECT v.price_paise, MIN(v.mrp_paise) AS mrp_paise FROM variants v "
        "WHERE v.product_id = %(id)s GROUP BY v.price_paise ORDER BY v.price_paise LIMIT 1) cheapest "
        "SET p.from_price_paise = cheapest.price_paise, p.from_mrp_paise = cheapest.mrp_paise, "
        "p.discount_percent = (cheapest.mrp_paise - cheapest.price_paise) * 100 DIV cheapest.mrp_paise "
        "WHERE p.id = %(id)s",
        {"id": product_id},
    )
    # the facet rows carry the price and discount, and its sizes and colours (a new variant)
    await refresh_product_facets(conn, [product_id])


async def select_variants(conn, product_id: int) -> list[dict]:
    """The product's variants for its page, grouped by colour, sizes in their usual order."""
    return await fetch_all(
        conn,
        "SELECT v.id, v.product_id, v.sku, v.price_paise, v.mrp_paise, v.stock, v.low_stock_threshold, "
        "v.is_low_stock, "
        # issue 14.2: shoppers waiting for the size, which tells staff what to reorder
        "(SELECT COUNT(*) FROM waitlist_entries w WHERE w.variant_id = v.id AND w.served_at IS NULL) AS waiting, "
        "s.label AS size, co.name AS colour FROM variants v JOIN sizes s ON s.id = v.size_id "
        "JOIN colours co ON co.id = v.colour_id WHERE v.product_id = %s ORDER BY co.name, s.position",
        (product_id,),
    )


async def select_variant(conn, variant_id: int) -> dict | None:
    """One variant with its product's name, for its row and its stock history; or None."""
    return await fetch_one(
        conn,
        "SELECT v.id, v.product_id, v.sku, v.price_paise, v.mrp_paise, v.stock, v.low_stock_threshold, "
        "v.is_low_stock, "
        "(SELECT COUNT(*) FROM waitlist_entries w WHERE w.variant_id = v.id AND w.served_at IS NULL) AS waiting, "
        "s.label AS size, co.name AS colour, p.name AS product_name FROM variants v "
        "JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
        "JOIN products p ON p.id = v.product_id WHERE v.id = %s",
        (variant_id,),
    )


async def insert_variant(conn, product_id: int, values: dict) -> int:
    """A new variant with no stock: its opening stock is then added through the ledger."""
    _, variant_id = await execute(
        conn,
        "INSERT INTO variants (product_id, size_id, colour_id, sku, price_paise, mrp_paise, stock, "
        "low_stock_threshold) VALUES (%s, %s, %s, %s, %s, %s, 0, %s)",
        (
            product_id,
            values["size_id"],
            values["colour_id"],
            values["sku"],
            values["price_paise"],
            values["mrp_paise"],
            values["low_stock_threshold"],
        ),
    )
    return variant_id


async def update_variant(conn, variant_id: int, values: dict) -> None:
    """SKU, price, MRP and low-stock level; never the stock, which only moves through the ledger.
    One statement sets price and MRP together, so the CHECK (price <= MRP) sees the pair."""
    await execute(
        conn,
        "UPDATE variants SET sku = %s, price_paise = %s, mrp_paise = %s, low_stock_threshold = %s WHERE id = %s",
        (values["sku"], values["price_paise"], values["mrp_paise"], values["low_stock_threshold"], variant_id),
    )


async def select_ledger(conn, variant_id: int, limit: int = 200) -> list[dict]:
    """A variant's stock changes, newest first, with the order or staff member behind each."""
    return await fetch_all(
        conn,
        "SELECT m.created_at, m.delta, m.stock_after, m.reason, m.note, o.number AS order_number, "
        "u.name AS staff_name FROM stock_movements m LEFT JOIN orders o ON o.id = m.order_id "
        "LEFT JOIN users u ON u.id = m.staff_id WHERE m.variant_id = %s ORDER BY m.id DESC LIMIT %s",
        (variant_id, limit),
    )


async def select_low_stock(conn, limit: int = 100) -> list[dict]:
    """Variants at or under their low-stock level (a generated column), emptiest first."""
    return await fetch_all(
        conn,
        "SELECT v.id, v.sku, v.stock, v.low_stock_threshold, s.label AS size, co.name AS colour, "
        "(SELECT COUNT(*) FROM waitlist_entries w WHERE w.variant_id = v.id AND w.served_at IS NULL) AS waiting, "
        "p.id AS product_id, p.name AS product_name FROM variants v JOIN products p ON p.id = v.product_id "
        "JOIN sizes s ON s.id = v.size_id JOIN colours co ON co.id = v.colour_id "
        "WHERE v.is_low_stock = 1 ORDER BY v.stock, v.id LIMIT %s",
        (limit,),
    )


async def insert_image(conn, product_id: int, path: str, alt: str) -> int:
    """A photo after the product's others (position = last + 1)."""
    position = await fetch_val(
        conn, "SELECT COALESCE(MAX(position), -1) + 1 FROM product_images WHERE product_id = %s", (product_id,)
    )
    _, image_id = await execute(
        conn,
        "INSERT INTO product_images (product_id, position, path, alt) VALUES (%s, %s, %s, %s)",
        (product_id, position, path, alt),
    )
    return image_id


async def delete_image(conn, image_id: int) -> int | None:
    """Delete a photo; returns its product's id to go back to, or None if there was none."""
    product_id = await fetch_val(conn, "SELECT product_id FROM product_images WHERE id = %s", (image_id,))
    await execute(conn, "DELETE FROM product_images WHERE id = %s", (image_id,))
    return product_id


async def select_categories_flat(conn) -> list[dict]:
    """Every category, each top-level one followed by its children, with a product count."""
    return await fetch_all(
        conn,
        "SELECT c.id, c.name, c.slug, c.parent_id, p.name AS parent_name, "
        "(SELECT COUNT(*) FROM products x WHERE x.category_id = c.id) AS products "
        "FROM categories c LEFT JOIN categories p ON p.id = c.parent_id "
        "ORDER BY COALESCE(p.position, c.position), c.parent_id IS NOT NULL, c.position, c.name",
    )


async def insert_category(conn, name: str, slug: str, parent_id: int | None, size_group: str) -> int:
    """A new category, after the existing ones (position 99)."""
    _, category_id = await execute(
        conn,
        "INSERT INTO categories (parent_id, slug, name, size_group, position) VALUES (%s, %s, %s, %s, 99)",
        (parent_id, slug, name, size_group),
    )
    return category_id


async def rename_category(conn, category_id: int, name: str) -> bool:
    """A new name, same slug (links keep working); False when there is no such category."""
    affected, _ = await execute(conn, "UPDATE categories SET name = %s WHERE id = %s", (name, category_id))
    return affected > 0


async def select_product_count(conn) -> int:
    """How many products the shop has (seed-demo --if-empty leaves a stocked shop alone)."""
    return int(await fetch_val(conn, "SELECT COUNT(*) FROM products") or 0)


# ---- staff ---------------------------------------------------------------------------------


async def update_staff_password(conn, user_id: int, password_hash: str) -> None:
    """Make an account staff and give it a new password in one statement (mooncart create-admin)."""
    await execute(conn, "UPDATE users SET is_staff = TRUE, password_hash = %s WHERE id = %s", (password_hash, user_id))


# ---- orders --------------------------------------------------------------------------------


async def search_orders(conn, status: str | None, query: str, limit: int = 100) -> list[dict]:
    """Newest orders first, optionally of one status and matching an order number or a
    customer's email exactly (both indexed, so this stays fast on a big shop)."""
    where: list[str] = []
    params: list[Any] = []
    if status:
        where.append("o.status = %s")
        params.append(status)
    if query:
        where.append("(o.number = %s OR u.email = %s)")
        params += [query, query]
    params.append(limit)
    return await fetch_all(
        conn,
        "SELECT o.id, o.number, o.status, o.placed_at, o.payment_method, o.payment_status, "  # nosec B608 # values are %s parameters
        "o.subtotal_paise - o.discount_paise + o.shipping_paise AS total_paise, u.name AS customer, u.email "
        "FROM orders o JOIN users u ON u.id = o.user_id "
        + ("WHERE " + " AND ".join(where) + " " if where else "")
        + "ORDER BY o.placed_at DESC, o.id DESC LIMIT %s",
        params,
    )


async def select_order(conn, number: str) -> dict | None:
    """Any shopper's order by number, with the customer: staff see every order."""
    return await fetch_one(
        conn,
        "SELECT "
        + ORDER_COLUMNS  # nosec B608 # values are %s parameters
        + ", u.name AS customer, u.email, u.id AS customer_id FROM orders o "
        "JOIN users u ON u.id = o.user_id WHERE o.number = %s",
        (number,),
    )


# ---- dashboard -----------------------------------------------------------------------------

LIVE = "o.status NOT IN ('cancelled', 'returned')"


async def sales_summary(conn) -> dict:
    """Sales and order counts for today, the last 7 days and the last 30, cancelled and
    returned orders left out, in one statement (an aggregate without GROUP BY: always one row)."""
    row = await fetch_one(
        conn,
        "SELECT "  # nosec B608 # values are %s parameters
        "COALESCE(SUM(CASE WHEN o.placed_at >= CURDATE() THEN o.subtotal_paise - o.discount_paise END), 0) "
        "AS today_paise, "
        "COUNT(CASE WHEN o.placed_at >= CURDATE() THEN 1 END) AS today_orders, "
        "COALESCE(SUM(CASE WHEN o.placed_at >= CURDATE() - INTERVAL 6 DAY "
        "THEN o.subtotal_paise - o.discount_paise END), 0) "
        "AS week_paise, "
        "COUNT(CASE WHEN o.placed_at >= CURDATE() - INTERVAL 6 DAY THEN 1 END) AS week_orders, "
        "COALESCE(SUM(o.subtotal_paise - o.discount_paise), 0) AS month_paise, COUNT(*) AS month_orders "
        "FROM orders o WHERE o.placed_at >= CURDATE() - INTERVAL 29 DAY AND " + LIVE,
    )
    if row is None:
        raise LookupError("an aggregate without GROUP BY returned no row")
    return row


async def daily_sales(conn, days: int = 14) -> list[dict]:
    """Sales per day over the last `days` days (days without sales are simply absent)."""
    return await fetch_all(
        conn,
        "SELECT DATE(o.placed_at) AS day, SUM(o.subtotal_paise - o.discount_paise) AS paise, COUNT(*) AS orders "  # nosec B608 # values are %s parameters
        "FROM orders o "
        "WHERE o.placed_at >= CURDATE() - INTERVAL %s DAY AND " + LIVE + " GROUP BY DATE(o.placed_at)",
        (days - 1,),
    )


async def orders_by_status(conn) -> list[dict]:
    """How many orders are in each status, for the dashboard's chart."""
    return await fetch_all(conn, "SELECT status, COUNT(*) AS orders FROM orders GROUP BY status ORDER BY status")


async def top_sellers(conn, days: int = 30, limit: int = 10) -> list[dict]:
    """Best-selling products of the last `days` days by units, by the name they were sold under."""
    return await fetch_all(
        conn,
        "SELECT i.product_name, SUM(i.quantity) AS units, SUM(i.quantity * i.unit_price_paise) AS paise "  # nosec B608 # values are %s parameters
        "FROM order_items i JOIN orders o ON o.id = i.order_id "
        "WHERE o.placed_at >= CURDATE() - INTERVAL %s DAY AND " + LIVE + " "
        "GROUP BY i.product_name ORDER BY units DESC, paise DESC LIMIT %s",
        (days - 1, limit),
    )


async def inventory_rotation(conn, days: int = 30, limit: int = 20) -> list[dict]:
    """Per product sold in the window: units sold, stock now, sell-through and days of cover."""
    return await fetch_all(
        conn,
        "SELECT p.id, p.name, sold.units, (SELECT COALESCE(SUM(v.stock), 0) FROM variants v "  # nosec B608 # values are %s parameters
        "WHERE v.product_id = p.id) AS stock FROM (SELECT v.product_id, SUM(i.quantity) AS units "
        "FROM order_items i JOIN orders o ON o.id = i.order_id JOIN variants v ON v.id = i.variant_id "
        "WHERE o.placed_at >= CURDATE() - INTERVAL %s DAY AND " + LIVE + " GROUP BY v.product_id "
        "ORDER BY units DESC LIMIT %s) sold JOIN products p ON p.id = sold.product_id ORDER BY sold.units DESC",
        (days - 1, limit),
    )
