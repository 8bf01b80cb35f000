-- Issue 14, part 3: "Complete the look". Staff put products together as a look (a kurti, a
-- dupatta and juttis); the product page of each piece offers the whole look in one add.
-- A look is shown only when published and when at least two of its pieces are still for sale;
-- a deleted product leaves every look it was in (the piece's row goes with it).
CREATE TABLE IF NOT EXISTS looks (
    id           INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slug         VARCHAR(120) NOT NULL,
    name         VARCHAR(120) NOT NULL,
    description  VARCHAR(1000) NOT NULL DEFAULT '',
    published    BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_looks_slug (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- the pieces of a look, in the order staff set; a product is in a look at most once
CREATE TABLE IF NOT EXISTS look_pieces (
    look_id     INT UNSIGNED      NOT NULL,
    product_id  INT UNSIGNED      NOT NULL,
    position    SMALLINT UNSIGNED NOT NULL,
    PRIMARY KEY (look_id, product_id),
    -- the product page finds the looks a product is in
    KEY ix_look_pieces_product (product_id, look_id),
    CONSTRAINT fk_look_pieces_look FOREIGN KEY (look_id) REFERENCES looks (id) ON DELETE CASCADE,
    CONSTRAINT fk_look_pieces_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
