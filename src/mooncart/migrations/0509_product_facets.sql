-- 0509: facet rows (issue 13, part 2: facet counts fast on a million products). Forward only.

-- One narrow row per product and colour it comes in: its category, which sizes exist in that
-- colour and which of them are in stock (bit n is the size with id n, so size ids stay below 64:
-- the sizes are fixed rows of schema.sql), and the product's listing price and discount. A
-- deliberate denormalisation of variants and products: counting a category's facets reads only
-- these rows, in primary-key order (about 40 bytes a row, so a million products' rows stay in a
-- small buffer pool), instead of joining every product of the category to its variants. Kept in
-- step in the same transaction by inventory.queries.refresh_product_facets: a stock change that
-- makes a variant sold out or back in stock (inventory.stock.move_stock), a new product
-- (admin.queries.insert_product), a new variant or a price (admin.queries.refresh_from_price), a
-- product's category (admin.queries.update_product) and the
-- demo catalogue (demo.seed_demo); a deleted product's rows go with it (the foreign key). A
-- product without variants has one row with colour 0 and no sizes, so that the price bands still
-- count it as the listing shows it.
CREATE TABLE IF NOT EXISTS product_facets (
    category_id      INT UNSIGNED      NOT NULL,
    product_id       INT UNSIGNED      NOT NULL,
    colour_id        SMALLINT UNSIGNED NOT NULL,
    sizes_any        BIGINT UNSIGNED   NOT NULL,
    sizes_in_stock   BIGINT UNSIGNED   NOT NULL,
    price_paise      INT UNSIGNED      NOT NULL,
    discount_percent TINYINT UNSIGNED  NOT NULL,
    PRIMARY KEY (category_id, product_id, colour_id),
    KEY ix_product_facets_product (product_id),
    CONSTRAINT fk_product_facets_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Facet counts of a category with nothing chosen (the listing's most common request), with and
-- without "in stock only": per size and colour, the products that come in it (in stock), and per
-- price in paise the products at that price (with stock), which the price bands add up. Moved by
-- the same writers as the facet rows, in the same transaction, by the difference each change
-- makes (inventory.queries.refresh_product_facets), so reading them is a few hundred rows however
-- big the category.
CREATE TABLE IF NOT EXISTS category_facet_counts (
    category_id    INT UNSIGNED NOT NULL,
    in_stock_only  BOOLEAN      NOT NULL,
    facet          ENUM('size','colour','price') NOT NULL,
    -- a size id, a colour id or a price in paise
    facet_value    INT UNSIGNED NOT NULL,
    product_count  INT          NOT NULL,
    PRIMARY KEY (category_id, in_stock_only, facet, facet_value)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- the rows of the products already there
INSERT IGNORE INTO product_facets
    (category_id, product_id, colour_id, sizes_any, sizes_in_stock, price_paise, discount_percent)
SELECT p.category_id, p.id, COALESCE(v.colour_id, 0), BIT_OR(1 << v.size_id), BIT_OR(IF(v.stock > 0, 1 << v.size_id, 0)),
       p.from_price_paise, p.discount_percent
FROM products p LEFT JOIN variants v ON v.product_id = p.id
GROUP BY p.id, v.colour_id;

-- the counts of the products already there
INSERT INTO category_facet_counts (category_id, in_stock_only, facet, facet_value, product_count)
SELECT f.category_id, 0, 'size', s.id, COUNT(DISTINCT f.product_id)
FROM product_facets f JOIN sizes s ON (f.sizes_any & (1 << s.id)) <> 0 GROUP BY f.category_id, s.id;

INSERT INTO category_facet_counts (category_id, in_stock_only, facet, facet_value, product_count)
SELECT f.category_id, 1, 'size', s.id, COUNT(DISTINCT f.product_id)
FROM product_facets f JOIN sizes s ON (f.sizes_in_stock & (1 << s.id)) <> 0 GROUP BY f.category_id, s.id;

INSERT INTO category_facet_counts (category_id, in_stock_only, facet, facet_value, product_count)
SELECT f.category_id, 0, 'colour', f.colour_id, COUNT(*)
FROM product_facets f WHERE f.sizes_any <> 0 GROUP BY f.category_id, f.colour_id;

INSERT INTO category_facet_counts (category_id, in_stock_only, facet, facet_value, product_count)
SELECT f.category_id, 1, 'colour', f.colour_id, COUNT(*)
FROM product_facets f WHERE f.sizes_in_stock <> 0 GROUP BY f.category_id, f.colour_id;

INSERT INTO category_facet_counts (category_id, in_stock_only, facet, facet_value, product_count)
SELECT f.category_id, 0, 'price', f.price_paise, COUNT(DISTINCT f.product_id)
FROM product_facets f GROUP BY f.category_id, f.price_paise;

INSERT INTO category_facet_counts (category_id, in_stock_only, facet, facet_value, product_count)
SELECT f.category_id, 1, 'price', f.price_paise, COUNT(DISTINCT f.product_id)
FROM product_facets f WHERE f.sizes_in_stock <> 0 GROUP BY f.category_id, f.price_paise;
