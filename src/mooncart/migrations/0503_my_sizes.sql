-- 0503: "My size everywhere" (issue 13, part 4). Forward only. A signed-in shopper's sizes (a guest's
-- live in a cookie) and whether listings show only products with one of them in stock.
CREATE TABLE IF NOT EXISTS my_size_settings (
    user_id      INT UNSIGNED NOT NULL PRIMARY KEY,
    -- listings show only products with one of her sizes in stock; she may turn it off ("show all")
    only_mine    BOOLEAN      NOT NULL DEFAULT TRUE,
    -- when she last chose: at sign-in the newer of this and a guest cookie's choice is kept
    updated_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT fk_my_size_settings_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS my_sizes (
    user_id  INT UNSIGNED      NOT NULL,
    size_id  SMALLINT UNSIGNED NOT NULL,
    PRIMARY KEY (user_id, size_id),
    KEY ix_my_sizes_size (size_id),
    CONSTRAINT fk_my_sizes_settings FOREIGN KEY (user_id) REFERENCES my_size_settings (user_id) ON DELETE CASCADE,
    CONSTRAINT fk_my_sizes_size FOREIGN KEY (size_id) REFERENCES sizes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Facet counts (issue 13, part 2) join a listing's products to their variants and group by size or
-- colour with the stock condition: with this index that join never reads the variant rows
-- themselves (without it, "in stock" read every variant row of a category: 48 s and more on the
-- million-product catalogue with a small buffer pool).
ALTER TABLE variants ADD KEY ix_variants_product_facets (product_id, size_id, colour_id, stock);
