-- 0512: search's own index (issue 13: the results page for a common word on a million products).
-- Forward only.

-- One row per word of a product's search text (product_search's title and body, split and folded
-- as queries are: search.rules.product_terms) with its weight (4 a time in the title, 1 a time in
-- the description). Kept in step by the writers of product_search, in the same transaction.
-- Processes read a word's rows (every word a query's prefix begins: `term LIKE 'kurti%'`, one range
-- of the primary key) into memory once, and patch them from the catalogue's change feed. Filled for
-- an existing catalogue by `mooncart build-search-terms` after this migration.
CREATE TABLE IF NOT EXISTS search_terms (
    term        VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    product_id  INT UNSIGNED      NOT NULL,
    weight      SMALLINT UNSIGNED NOT NULL,
    PRIMARY KEY (term, product_id),
    KEY ix_search_terms_product (product_id),
    CONSTRAINT fk_search_terms_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
