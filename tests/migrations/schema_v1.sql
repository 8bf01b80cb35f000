-- Mooncart schema: InnoDB, utf8mb4, third normal form.
-- Runs on MariaDB >= 10.11 and MySQL 8. Every statement is idempotent, so `mooncart init-db`
-- may be run again safely. Money is integer paise; stock can never go below zero (CHECK).
-- Statements are separated by a semicolon at the end of a line (see mooncart.db.split_sql).

CREATE TABLE IF NOT EXISTS categories (
    id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    parent_id   INT UNSIGNED NULL,
    slug        VARCHAR(80)  NOT NULL,
    name        VARCHAR(80)  NOT NULL,
    blurb       VARCHAR(255) NOT NULL DEFAULT '',
    -- which generated garment drawing stands for this category's products
    art_kind    VARCHAR(20)  NOT NULL DEFAULT 'kurti',
    position    SMALLINT     NOT NULL DEFAULT 0,
    UNIQUE KEY uq_categories_slug (slug),
    KEY ix_categories_parent_position (parent_id, position),
    CONSTRAINT fk_categories_parent FOREIGN KEY (parent_id) REFERENCES categories (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS colours (
    id    SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name  VARCHAR(40) NOT NULL,
    hex   CHAR(7)     NOT NULL,
    UNIQUE KEY uq_colours_name (name),
    CONSTRAINT ck_colours_hex CHECK (hex REGEXP '^#[0-9a-f]{6}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sizes (
    id        SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    label     VARCHAR(16) NOT NULL,
    position  SMALLINT    NOT NULL,
    UNIQUE KEY uq_sizes_label (label)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO sizes (label, position) VALUES
    ('XS', 1), ('S', 2), ('M', 3), ('L', 4), ('XL', 5), ('XXL', 6), ('Free size', 7),
    ('UK 3', 11), ('UK 4', 12), ('UK 5', 13), ('UK 6', 14), ('UK 7', 15), ('UK 8', 16),
    ('26', 21), ('28', 22), ('30', 23), ('32', 24), ('34', 25), ('36', 26);

CREATE TABLE IF NOT EXISTS products (
    id               INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    category_id      INT UNSIGNED NOT NULL,
    slug             VARCHAR(180) NOT NULL,
    name             VARCHAR(160) NOT NULL,
    description      TEXT         NOT NULL,
    fabric           VARCHAR(80)  NOT NULL DEFAULT '',
    -- The lowest variant price. A deliberate, documented denormalisation: listings sort and
    -- filter by it on a million products, which needs an index; catalog.queries keeps it
    -- in step whenever a variant price is written.
    from_price_paise INT UNSIGNED NOT NULL,
    created_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_products_slug (slug),
    -- listings: newest first is id order inside a category; price order needs its own index
    KEY ix_products_category_id (category_id, id),
    KEY ix_products_category_price (category_id, from_price_paise, id),
    CONSTRAINT fk_products_category FOREIGN KEY (category_id) REFERENCES categories (id) ON DELETE RESTRICT,
    CONSTRAINT ck_products_price CHECK (from_price_paise > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS product_images (
    id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id  INT UNSIGNED NOT NULL,
    colour_id   SMALLINT UNSIGNED NULL,
    position    SMALLINT     NOT NULL DEFAULT 0,
    -- relative to the media root: "art/<kind>/<hex>.svg" (generated) or "uploads/..." (staff)
    path        VARCHAR(255) NOT NULL,
    alt         VARCHAR(200) NOT NULL,
    KEY ix_product_images_product (product_id, position),
    KEY ix_product_images_colour (colour_id),
    CONSTRAINT fk_product_images_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT fk_product_images_colour FOREIGN KEY (colour_id) REFERENCES colours (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS variants (
    id                   INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id           INT UNSIGNED NOT NULL,
    size_id              SMALLINT UNSIGNED NOT NULL,
    colour_id            SMALLINT UNSIGNED NOT NULL,
    sku                  VARCHAR(40)  NOT NULL,
    price_paise          INT UNSIGNED NOT NULL,
    stock                INT          NOT NULL DEFAULT 0,
    low_stock_threshold  SMALLINT UNSIGNED NOT NULL DEFAULT 5,
    UNIQUE KEY uq_variants_sku (sku),
    UNIQUE KEY uq_variants_product_size_colour (product_id, size_id, colour_id),
    KEY ix_variants_size (size_id),
    KEY ix_variants_colour (colour_id),
    CONSTRAINT fk_variants_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT fk_variants_size FOREIGN KEY (size_id) REFERENCES sizes (id) ON DELETE RESTRICT,
    CONSTRAINT fk_variants_colour FOREIGN KEY (colour_id) REFERENCES colours (id) ON DELETE RESTRICT,
    CONSTRAINT ck_variants_stock CHECK (stock >= 0),
    CONSTRAINT ck_variants_price CHECK (price_paise > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS users (
    id             INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email          VARCHAR(254) NOT NULL,
    name           VARCHAR(120) NOT NULL,
    mobile         CHAR(10)     NOT NULL,
    password_hash  VARCHAR(255) NOT NULL,
    is_staff       BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at     DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS addresses (
    id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     INT UNSIGNED NOT NULL,
    full_name   VARCHAR(120) NOT NULL,
    line1       VARCHAR(200) NOT NULL,
    line2       VARCHAR(200) NOT NULL DEFAULT '',
    city        VARCHAR(80)  NOT NULL,
    state       VARCHAR(60)  NOT NULL,
    pin_code    CHAR(6)      NOT NULL,
    mobile      CHAR(10)     NOT NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY ix_addresses_user (user_id),
    CONSTRAINT fk_addresses_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT ck_addresses_pin CHECK (pin_code REGEXP '^[1-9][0-9]{5}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A bag. A guest's is found by the opaque token in a signed cookie; a signed-in shopper's by user_id.
CREATE TABLE IF NOT EXISTS carts (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token       CHAR(32)     NOT NULL,
    user_id     INT UNSIGNED NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_carts_token (token),
    UNIQUE KEY uq_carts_user (user_id),
    CONSTRAINT fk_carts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS cart_items (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    cart_id     BIGINT UNSIGNED NOT NULL,
    variant_id  INT UNSIGNED    NOT NULL,
    quantity    SMALLINT UNSIGNED NOT NULL,
    added_at    DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_cart_items_cart_variant (cart_id, variant_id),
    KEY ix_cart_items_variant (variant_id),
    CONSTRAINT fk_cart_items_cart FOREIGN KEY (cart_id) REFERENCES carts (id) ON DELETE CASCADE,
    -- a deleted variant leaves every bag it was in
    CONSTRAINT fk_cart_items_variant FOREIGN KEY (variant_id) REFERENCES variants (id) ON DELETE CASCADE,
    CONSTRAINT ck_cart_items_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS orders (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    number           VARCHAR(20)  NOT NULL,
    user_id          INT UNSIGNED NOT NULL,
    idempotency_key  CHAR(32)     NOT NULL,
    status           ENUM('placed','packed','shipped','delivered','cancelled','returned') NOT NULL DEFAULT 'placed',
    payment_method   VARCHAR(20)  NOT NULL,
    payment_status   ENUM('pending','paid','refunded','failed') NOT NULL DEFAULT 'pending',
    -- the delivery address as it was when the order was placed
    ship_name        VARCHAR(120) NOT NULL,
    ship_line1       VARCHAR(200) NOT NULL,
    ship_line2       VARCHAR(200) NOT NULL DEFAULT '',
    ship_city        VARCHAR(80)  NOT NULL,
    ship_state       VARCHAR(60)  NOT NULL,
    ship_pin_code    CHAR(6)      NOT NULL,
    ship_mobile      CHAR(10)     NOT NULL,
    subtotal_paise   INT UNSIGNED NOT NULL,
    shipping_paise   INT UNSIGNED NOT NULL,
    -- GST included in the subtotal (Indian retail prices include tax); shown, not added
    gst_paise        INT UNSIGNED NOT NULL,
    placed_at        DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_orders_number (number),
    UNIQUE KEY uq_orders_user_idempotency (user_id, idempotency_key),
    KEY ix_orders_user_placed (user_id, placed_at),
    KEY ix_orders_status_placed (status, placed_at),
    KEY ix_orders_placed (placed_at),
    CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS order_items (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id          BIGINT UNSIGNED NOT NULL,
    -- NULL once the variant is deleted; the snapshot below keeps the history readable
    variant_id        INT UNSIGNED    NULL,
    product_name      VARCHAR(160)    NOT NULL,
    size_label        VARCHAR(16)     NOT NULL,
    colour_name       VARCHAR(40)     NOT NULL,
    sku               VARCHAR(40)     NOT NULL,
    unit_price_paise  INT UNSIGNED    NOT NULL,
    quantity          SMALLINT UNSIGNED NOT NULL,
    KEY ix_order_items_order (order_id),
    KEY ix_order_items_variant (variant_id),
    CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
    CONSTRAINT fk_order_items_variant FOREIGN KEY (variant_id) REFERENCES variants (id) ON DELETE SET NULL,
    CONSTRAINT ck_order_items_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The stock ledger: one row for every change of a variant's stock, with its reason.
CREATE TABLE IF NOT EXISTS stock_movements (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    variant_id   INT UNSIGNED    NOT NULL,
    delta        INT             NOT NULL,
    stock_after  INT             NOT NULL,
    reason       ENUM('initial','received','damaged','correction','order','cancel','return') NOT NULL,
    order_id     BIGINT UNSIGNED NULL,
    staff_id     INT UNSIGNED    NULL,
    note         VARCHAR(200)    NOT NULL DEFAULT '',
    created_at   DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY ix_stock_movements_variant_created (variant_id, created_at),
    KEY ix_stock_movements_order (order_id),
    KEY ix_stock_movements_staff (staff_id),
    CONSTRAINT fk_stock_movements_variant FOREIGN KEY (variant_id) REFERENCES variants (id) ON DELETE CASCADE,
    CONSTRAINT fk_stock_movements_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE SET NULL,
    CONSTRAINT fk_stock_movements_staff FOREIGN KEY (staff_id) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT ck_stock_movements_delta CHECK (delta <> 0),
    CONSTRAINT ck_stock_movements_after CHECK (stock_after >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS reviews (
    id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id  INT UNSIGNED NOT NULL,
    user_id     INT UNSIGNED NOT NULL,
    rating      TINYINT UNSIGNED NOT NULL,
    title       VARCHAR(120) NOT NULL DEFAULT '',
    body        TEXT         NOT NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_reviews_product_user (product_id, user_id),
    KEY ix_reviews_user (user_id),
    KEY ix_reviews_product_created (product_id, created_at),
    CONSTRAINT fk_reviews_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT fk_reviews_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT ck_reviews_rating CHECK (rating BETWEEN 1 AND 5)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS wishlist_items (
    user_id     INT UNSIGNED NOT NULL,
    product_id  INT UNSIGNED NOT NULL,
    added_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (user_id, product_id),
    KEY ix_wishlist_items_product (product_id),
    CONSTRAINT fk_wishlist_items_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_wishlist_items_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
