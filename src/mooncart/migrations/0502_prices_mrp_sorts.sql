-- 0502: MRP beside the selling price (issue 13, part 3), and what the listing's "Biggest discount",
-- "Popular" and "Loved by buyers" sorts and the discount filter read (issue 15). Forward only.

-- Each variant's MRP (Legal Metrology: the maximum retail price, taxes included). Rows that exist
-- get their own price as MRP (the column's default is the row's price), so nothing shows a
-- discount until staff set one; the UPDATE below says so in words for a reader of this file.
ALTER TABLE variants
    ADD COLUMN mrp_paise INT UNSIGNED NOT NULL DEFAULT (price_paise) AFTER price_paise,
    ADD CONSTRAINT ck_variants_mrp CHECK (price_paise <= mrp_paise);
UPDATE variants SET mrp_paise = price_paise WHERE mrp_paise <> price_paise;

-- The product's from-price's MRP and its whole-percent discount (rounded down), the units sold
-- in the last 30 days and the loved score, each in an index with the category for keyset listings.
ALTER TABLE products
    ADD COLUMN from_mrp_paise INT UNSIGNED NOT NULL DEFAULT (from_price_paise) AFTER from_price_paise,
    ADD COLUMN discount_percent TINYINT UNSIGNED NOT NULL DEFAULT 0 AFTER from_mrp_paise,
    ADD COLUMN units_sold_30d INT UNSIGNED NOT NULL DEFAULT 0 AFTER discount_percent,
    ADD COLUMN loved_points SMALLINT UNSIGNED NOT NULL DEFAULT 0 AFTER units_sold_30d,
    ADD KEY ix_products_category_discount (category_id, discount_percent, id),
    ADD KEY ix_products_category_popular (category_id, units_sold_30d, id),
    ADD KEY ix_products_category_loved (category_id, loved_points, id),
    ADD CONSTRAINT ck_products_mrp CHECK (from_price_paise <= from_mrp_paise),
    ADD CONSTRAINT ck_products_discount CHECK (discount_percent = (from_mrp_paise - from_price_paise) * 100 DIV from_mrp_paise);

UPDATE products p JOIN product_review_scores s ON s.product_id = p.id
    SET p.loved_points = LEAST(65535, GREATEST(0, ROUND(s.loved_score * 1000)));

UPDATE products p JOIN (
    SELECT v.product_id, SUM(i.quantity) AS units FROM orders o
    JOIN order_items i ON i.order_id = o.id JOIN variants v ON v.id = i.variant_id
    WHERE o.placed_at >= NOW(6) - INTERVAL 30 DAY AND o.status IN ('placed','packed','shipped','delivered')
    GROUP BY v.product_id) s ON s.product_id = p.id
    SET p.units_sold_30d = s.units;
