-- Issue 13 parts 5 and 7: where we deliver (PIN prefixes), size charts per category and a fit
-- note per product. Forward DDL from the schema before it (the new tables are as in schema.sql).
ALTER TABLE products ADD COLUMN fit_note VARCHAR(200) NOT NULL DEFAULT '' AFTER fabric;

-- Where we deliver (issue 13.5): a row per PIN code prefix; a PIN's row is the one with the
-- LONGEST prefix it starts with ('560' Bengaluru beats '5' rest of India), so an exception is one
-- more row. delivery_days NULL: not delivered there. cod_limit_paise NULL: no limit. Staff replace
-- the whole table from a CSV (delivery/import_csv.py).
CREATE TABLE IF NOT EXISTS pin_serviceability (
    pin_prefix       VARCHAR(6)       NOT NULL PRIMARY KEY,
    zone             VARCHAR(60)      NOT NULL,
    delivery_days    TINYINT UNSIGNED NULL,
    cod_allowed      TINYINT(1)       NOT NULL DEFAULT 0,
    cod_limit_paise  INT UNSIGNED     NULL,
    CONSTRAINT ck_pin_serviceability_prefix CHECK (pin_prefix REGEXP '^[1-9][0-9]{0,5}$'),
    CONSTRAINT ck_pin_serviceability_days CHECK (delivery_days IS NULL OR delivery_days BETWEEN 1 AND 30),
    CONSTRAINT ck_pin_serviceability_cod CHECK (cod_allowed = 0 OR delivery_days IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO pin_serviceability (pin_prefix, zone, delivery_days, cod_allowed, cod_limit_paise) VALUES
    ('11', 'Delhi NCR', 2, 1, 5000000), ('12', 'Delhi NCR', 3, 1, 5000000), ('400', 'Mumbai', 2, 1, 5000000),
    ('401', 'Mumbai', 3, 1, 5000000), ('411', 'Pune', 3, 1, 5000000), ('560', 'Bengaluru', 1, 1, 5000000),
    ('600', 'Chennai', 2, 1, 5000000), ('700', 'Kolkata', 3, 1, 5000000), ('500', 'Hyderabad', 2, 1, 5000000),
    ('380', 'Ahmedabad', 3, 1, 3000000), ('302', 'Jaipur', 4, 1, 3000000), ('737', 'Sikkim', 8, 0, NULL),
    ('194', 'Ladakh', 9, 0, NULL), ('78', 'Assam', 7, 1, 500000), ('1', 'Rest of India', 6, 1, 2000000),
    ('2', 'Rest of India', 6, 1, 2000000), ('3', 'Rest of India', 6, 1, 2000000), ('4', 'Rest of India', 6, 1, 2000000),
    ('5', 'Rest of India', 6, 1, 2000000), ('6', 'Rest of India', 6, 1, 2000000), ('7', 'Rest of India', 6, 1, 2000000),
    ('8', 'Rest of India', 6, 1, 2000000), ('9', 'Rest of India', 6, 1, 2000000), ('744', 'Andaman and Nicobar Islands', NULL, 0, NULL),
    ('790', 'Arunachal Pradesh', NULL, 0, NULL), ('791', 'Arunachal Pradesh', NULL, 0, NULL), ('792', 'Arunachal Pradesh', NULL, 0, NULL),
    ('795', 'Manipur', NULL, 0, NULL), ('796', 'Mizoram', NULL, 0, NULL), ('797', 'Nagaland', NULL, 0, NULL),
    ('798', 'Nagaland', NULL, 0, NULL), ('799', 'Tripura', NULL, 0, NULL), ('682559', 'Lakshadweep', NULL, 0, NULL);

-- Size charts (issue 13.7): body measurements in cm per category and size; a category without
-- rows shows its parent's chart. Inches are worked out when shown.
CREATE TABLE IF NOT EXISTS size_chart_rows (
    category_id  INT UNSIGNED      NOT NULL,
    size_id      SMALLINT UNSIGNED NOT NULL,
    measure      ENUM('bust','waist','hip','length','inseam','foot_length') NOT NULL,
    cm           DECIMAL(5,1)      NOT NULL,
    PRIMARY KEY (category_id, size_id, measure),
    KEY ix_size_chart_rows_size (size_id),
    CONSTRAINT fk_size_chart_rows_category FOREIGN KEY (category_id) REFERENCES categories (id) ON DELETE CASCADE,
    CONSTRAINT fk_size_chart_rows_size FOREIGN KEY (size_id) REFERENCES sizes (id) ON DELETE CASCADE,
    CONSTRAINT ck_size_chart_rows_cm CHECK (cm > 0 AND cm < 300)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The size guide that was written into catalog/size_guide.py, now per category: every category
-- gets the rows of its own size family, so each product page shows what it showed before.
INSERT IGNORE INTO size_chart_rows (category_id, size_id, measure, cm)
SELECT c.id, s.id, old.measure, old.cm FROM categories c JOIN sizes s ON s.size_group = c.size_group JOIN (
    SELECT 'XS' AS label, 'bust' AS measure, 81.3 AS cm UNION ALL SELECT 'XS', 'waist', 66.0 UNION ALL SELECT 'XS', 'hip', 88.9 UNION ALL
    SELECT 'S', 'bust', 86.4 UNION ALL SELECT 'S', 'waist', 71.1 UNION ALL SELECT 'S', 'hip', 94.0 UNION ALL
    SELECT 'M', 'bust', 91.4 UNION ALL SELECT 'M', 'waist', 76.2 UNION ALL SELECT 'M', 'hip', 99.1 UNION ALL
    SELECT 'L', 'bust', 96.5 UNION ALL SELECT 'L', 'waist', 81.3 UNION ALL SELECT 'L', 'hip', 104.1 UNION ALL
    SELECT 'XL', 'bust', 101.6 UNION ALL SELECT 'XL', 'waist', 86.4 UNION ALL SELECT 'XL', 'hip', 109.2 UNION ALL
    SELECT 'XXL', 'bust', 106.7 UNION ALL SELECT 'XXL', 'waist', 91.4 UNION ALL SELECT 'XXL', 'hip', 114.3 UNION ALL
    SELECT '26', 'waist', 66.0 UNION ALL SELECT '26', 'hip', 88.9 UNION ALL SELECT '26', 'inseam', 76.2 UNION ALL
    SELECT '28', 'waist', 71.1 UNION ALL SELECT '28', 'hip', 94.0 UNION ALL SELECT '28', 'inseam', 76.2 UNION ALL
    SELECT '30', 'waist', 76.2 UNION ALL SELECT '30', 'hip', 99.1 UNION ALL SELECT '30', 'inseam', 76.2 UNION ALL
    SELECT '32', 'waist', 81.3 UNION ALL SELECT '32', 'hip', 104.1 UNION ALL SELECT '32', 'inseam', 78.7 UNION ALL
    SELECT '34', 'waist', 86.4 UNION ALL SELECT '34', 'hip', 109.2 UNION ALL SELECT '34', 'inseam', 78.7 UNION ALL
    SELECT '36', 'waist', 91.4 UNION ALL SELECT '36', 'hip', 114.3 UNION ALL SELECT '36', 'inseam', 78.7 UNION ALL
    SELECT 'UK 3', 'foot_length', 22.2 UNION ALL SELECT 'UK 4', 'foot_length', 23.0 UNION ALL SELECT 'UK 5', 'foot_length', 23.8 UNION ALL
    SELECT 'UK 6', 'foot_length', 24.6 UNION ALL SELECT 'UK 7', 'foot_length', 25.4 UNION ALL SELECT 'UK 8', 'foot_length', 26.2
) old ON old.label = s.label;
