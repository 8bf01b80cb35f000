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
    -- which family of sizes this category's products come in (see sizes.size_group)
    size_group  VARCHAR(10)  NOT NULL DEFAULT 'apparel',
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
    label       VARCHAR(16) NOT NULL,
    size_group  VARCHAR(10) NOT NULL,
    position    SMALLINT    NOT NULL,
    UNIQUE KEY uq_sizes_label (label)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO sizes (label, size_group, position) VALUES
    ('XS', 'apparel', 1), ('S', 'apparel', 2), ('M', 'apparel', 3), ('L', 'apparel', 4),
    ('XL', 'apparel', 5), ('XXL', 'apparel', 6), ('Free size', 'free', 7),
    ('UK 3', 'shoe', 11), ('UK 4', 'shoe', 12), ('UK 5', 'shoe', 13), ('UK 6', 'shoe', 14),
    ('UK 7', 'shoe', 15), ('UK 8', 'shoe', 16),
    ('26', 'waist', 21), ('28', 'waist', 22), ('30', 'waist', 23), ('32', 'waist', 24),
    ('34', 'waist', 25), ('36', 'waist', 26);

CREATE TABLE IF NOT EXISTS products (
    id               INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    category_id      INT UNSIGNED NOT NULL,
    slug             VARCHAR(180) NOT NULL,
    name             VARCHAR(160) NOT NULL,
    description      TEXT         NOT NULL,
    fabric           VARCHAR(80)  NOT NULL DEFAULT '',
    -- a line on fit near the size picker: "Regular fit; the model is 5'6\" and wears S"
    fit_note         VARCHAR(200) NOT NULL DEFAULT '',
    -- The lowest variant price. A deliberate, documented denormalisation: listings sort and
    -- filter by it on a million products, which needs an index; catalog.queries keeps it
    -- in step whenever a variant price is written.
    from_price_paise INT UNSIGNED NOT NULL,
    -- The MRP of the from-price's variant (the lowest MRP among several at that price, so a card
    -- never overstates a discount) and the discount they make, in whole percent rounded down;
    -- written with from_price_paise (admin.queries.refresh_from_price) and checked below. A
    -- plain column, not a generated one: MariaDB refuses division in an indexed generated column.
    from_mrp_paise   INT UNSIGNED NOT NULL DEFAULT (from_price_paise),
    discount_percent TINYINT UNSIGNED NOT NULL DEFAULT 0,
    -- units sold in the last 30 days ("Popular"), rebuilt by build-recommendations
    -- (catalog.queries.refresh_units_sold says why it is precomputed)
    units_sold_30d   INT UNSIGNED NOT NULL DEFAULT 0,
    -- "Loved by buyers": product_review_scores.loved_score x 1000 (an integer, so a keyset cursor
    -- compares exactly), 0 without reviews; kept in step by reviews.queries.sync_loved_points
    loved_points     SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    created_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_products_slug (slug),
    -- listings: newest first is id order inside a category; price order needs its own index
    KEY ix_products_category_id (category_id, id),
    KEY ix_products_category_price (category_id, from_price_paise, id),
    KEY ix_products_category_discount (category_id, discount_percent, id),
    KEY ix_products_category_popular (category_id, units_sold_30d, id),
    KEY ix_products_category_loved (category_id, loved_points, id),
    CONSTRAINT fk_products_category FOREIGN KEY (category_id) REFERENCES categories (id) ON DELETE RESTRICT,
    CONSTRAINT ck_products_price CHECK (from_price_paise > 0),
    CONSTRAINT ck_products_mrp CHECK (from_price_paise <= from_mrp_paise),
    CONSTRAINT ck_products_discount CHECK (discount_percent = (from_mrp_paise - from_price_paise) * 100 DIV from_mrp_paise)
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
    -- the MRP printed on the tag (taxes included); the price is never above it. A row written
    -- without one has its price as MRP: no discount
    mrp_paise            INT UNSIGNED NOT NULL DEFAULT (price_paise),
    stock                INT          NOT NULL DEFAULT 0,
    low_stock_threshold  SMALLINT UNSIGNED NOT NULL DEFAULT 5,
    -- derived, so that the back office's low-stock list is an index range even on millions of variants
    is_low_stock         TINYINT AS (stock <= low_stock_threshold) STORED,
    UNIQUE KEY uq_variants_sku (sku),
    KEY ix_variants_low_stock (is_low_stock, stock),
    UNIQUE KEY uq_variants_product_size_colour (product_id, size_id, colour_id),
    KEY ix_variants_size (size_id),
    -- listing filters: a rare colour-and-size choice is found from the variant side
    KEY ix_variants_colour_size (colour_id, size_id, product_id, stock),
    -- facet counts (migration 0503): a listing's products joined to their variants, covered
    KEY ix_variants_product_facets (product_id, size_id, colour_id, stock),
    CONSTRAINT fk_variants_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT fk_variants_size FOREIGN KEY (size_id) REFERENCES sizes (id) ON DELETE RESTRICT,
    CONSTRAINT fk_variants_colour FOREIGN KEY (colour_id) REFERENCES colours (id) ON DELETE RESTRICT,
    CONSTRAINT ck_variants_stock CHECK (stock >= 0),
    CONSTRAINT ck_variants_price CHECK (price_paise > 0),
    CONSTRAINT ck_variants_mrp CHECK (price_paise <= mrp_paise)
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

-- Server-side log-in sessions: the signed cookie carries a random token, the table its SHA-256,
-- so a session can be revoked (log-out, password change, staff) and a copied cookie dies with it.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash    CHAR(64)     NOT NULL PRIMARY KEY,
    user_id       INT UNSIGNED NOT NULL,
    created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    last_seen_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    revoked_at    DATETIME(6)  NULL,
    ip            VARCHAR(45)  NOT NULL DEFAULT '',
    KEY ix_sessions_user (user_id),
    CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed log-ins, counted per account and per address to throttle guessing before any hashing.
-- two-step sign-in (TOTP, RFC 6238): a secret is pending until the first code confirms it;
-- last_step is the newest 30-second step used, so no code works twice
CREATE TABLE IF NOT EXISTS two_step_secrets (
    user_id       INT UNSIGNED NOT NULL PRIMARY KEY,
    secret        VARCHAR(64)  NOT NULL,
    confirmed_at  DATETIME(6)  NULL,
    last_step     BIGINT       NOT NULL DEFAULT 0,
    CONSTRAINT fk_two_step_secrets_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
-- one-time recovery codes for a lost phone, stored as SHA-256 (they are random, 60 bits each)
CREATE TABLE IF NOT EXISTS recovery_codes (
    user_id    INT UNSIGNED NOT NULL,
    code_hash  CHAR(64)     NOT NULL,
    PRIMARY KEY (user_id, code_hash),
    CONSTRAINT fk_recovery_codes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS login_failures (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email       VARCHAR(254) NOT NULL,
    ip          VARCHAR(45)  NOT NULL,
    failed_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY ix_login_failures_email (email, failed_at),
    KEY ix_login_failures_ip (ip, failed_at)
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

-- "My size everywhere" (migration 0503): a signed-in shopper's sizes (a guest's live in a cookie)
-- and whether listings show only products with one of them in stock.
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
    -- the checkout form's key, so a re-sent form places one order; NULL once a payment failed and the
    -- order was released, so the shopper can try again with the same page
    idempotency_key  CHAR(32)     NULL,
    -- awaiting_payment: stock reserved, the gateway not yet heard from (see payments)
    status           ENUM('awaiting_payment','placed','packed','shipped','delivered','cancelled','returned') NOT NULL DEFAULT 'placed',
    payment_method   VARCHAR(20)  NOT NULL,
    payment_status   ENUM('pending','paid','partly_refunded','refunded','failed') NOT NULL DEFAULT 'pending',
    payment_reference VARCHAR(64) NOT NULL DEFAULT '',
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
    -- a voucher's discount off the goods (its redemption: voucher_redemptions); the order's
    -- total is subtotal - discount + shipping
    discount_paise   INT UNSIGNED NOT NULL DEFAULT 0,
    -- GST included in the goods after the discount (Indian retail prices include tax); shown, not added
    gst_paise        INT UNSIGNED NOT NULL,
    placed_at        DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    -- when staff marked it delivered: the 15-day return window counts from here
    delivered_at     DATETIME(6)  NULL,
    updated_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_orders_number (number),
    UNIQUE KEY uq_orders_user_idempotency (user_id, idempotency_key),
    KEY ix_orders_user_placed (user_id, placed_at),
    KEY ix_orders_status_placed (status, placed_at),
    KEY ix_orders_placed (placed_at),
    CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT ck_orders_discount CHECK (discount_paise <= subtotal_paise)
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
    -- release: an order whose payment failed gives its reservation back; exchange: the new size
    -- reserved for (or given back from) a shopper's exchange
    reason       ENUM('initial','received','damaged','correction','order','cancel','return','release','exchange') NOT NULL,
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

-- A review. Only a shopper who received the product may write one (reviews.queries checks it), so
-- every new review is from a verified buyer; `verified` stays 0 on reviews written before that rule.
CREATE TABLE IF NOT EXISTS reviews (
    id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id  INT UNSIGNED NOT NULL,
    user_id     INT UNSIGNED NOT NULL,
    rating      TINYINT UNSIGNED NOT NULL,
    title       VARCHAR(120) NOT NULL DEFAULT '',
    body        TEXT         NOT NULL,
    -- the shopper's answer to "How did it fit?"; NULL: not asked (bags, jewellery) or not answered
    fit         ENUM('small','true','large') NULL,
    verified    TINYINT(1)   NOT NULL DEFAULT 0,
    -- "Was this helpful?": kept in step with review_votes in the same transaction, so sorting by it needs no join
    helpful_count INT UNSIGNED NOT NULL DEFAULT 0,
    -- staff moderation: a hidden review leaves the shop's pages; the reason stays in the back office
    hidden_at   DATETIME(6)  NULL,
    hidden_reason VARCHAR(200) NOT NULL DEFAULT '',
    hidden_by   INT UNSIGNED NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    -- what `mooncart analyse-reviews` compares with review_analysis.source_updated_at
    updated_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_reviews_product_user (product_id, user_id),
    KEY ix_reviews_user (user_id),
    KEY ix_reviews_product_created (product_id, created_at),
    KEY ix_reviews_updated (updated_at),
    CONSTRAINT fk_reviews_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT fk_reviews_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_reviews_hidden_by FOREIGN KEY (hidden_by) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT ck_reviews_rating CHECK (rating BETWEEN 1 AND 5)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- one "Was this helpful?" vote per shopper per review
CREATE TABLE IF NOT EXISTS review_votes (
    review_id   INT UNSIGNED NOT NULL,
    user_id     INT UNSIGNED NOT NULL,
    voted_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (review_id, user_id),
    KEY ix_review_votes_user (user_id),
    CONSTRAINT fk_review_votes_review FOREIGN KEY (review_id) REFERENCES reviews (id) ON DELETE CASCADE,
    CONSTRAINT fk_review_votes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What `mooncart analyse-reviews` read in a review (offline; pages only read these rows).
CREATE TABLE IF NOT EXISTS review_analysis (
    review_id         INT UNSIGNED NOT NULL PRIMARY KEY,
    sentiment         FLOAT        NOT NULL,
    -- VADER's compound score alone, kept to compare with
    vader             FLOAT        NOT NULL,
    fit_signal        ENUM('small','true','large') NULL,
    -- the key phrases, as a JSON list of {"phrase", "polarity", "score"}
    phrases           TEXT         NOT NULL,
    model             VARCHAR(40)  NOT NULL,
    -- reviews.updated_at when it was analysed: a review changed since is analysed again
    source_updated_at DATETIME(6)  NOT NULL,
    analysed_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    CONSTRAINT fk_review_analysis_review FOREIGN KEY (review_id) REFERENCES reviews (id) ON DELETE CASCADE,
    CONSTRAINT ck_review_analysis_sentiment CHECK (sentiment BETWEEN -1 AND 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The phrases most buyers of a product mention, good and bad, rebuilt by analyse-reviews.
CREATE TABLE IF NOT EXISTS product_phrases (
    product_id  INT UNSIGNED NOT NULL,
    polarity    ENUM('positive','negative') NOT NULL,
    position    TINYINT UNSIGNED NOT NULL,
    phrase      VARCHAR(80)  NOT NULL,
    mentions    SMALLINT UNSIGNED NOT NULL,
    PRIMARY KEY (product_id, polarity, position),
    CONSTRAINT fk_product_phrases_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- "Loved by buyers": a sentiment-weighted rating shrunk towards the shop's mean (a Bayesian
-- prior), so one 5-star review does not beat forty 4.6-star ones. Rebuilt by analyse-reviews.
CREATE TABLE IF NOT EXISTS product_review_scores (
    product_id    INT UNSIGNED NOT NULL PRIMARY KEY,
    review_count  INT UNSIGNED NOT NULL,
    avg_rating    FLOAT        NOT NULL,
    avg_sentiment FLOAT        NOT NULL,
    loved_score   FLOAT        NOT NULL,
    KEY ix_product_review_scores_loved (loved_score, product_id),
    CONSTRAINT fk_product_review_scores_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Recommendation rows built by `mooncart build-recommendations`: for each product, up to a
-- dozen per kind in order, so a product page reads all three rows in one statement.
CREATE TABLE IF NOT EXISTS product_recommendations (
    product_id      INT UNSIGNED NOT NULL,
    kind            ENUM('similar','bought_together','viewed_together') NOT NULL,
    position        TINYINT UNSIGNED NOT NULL,
    recommended_id  INT UNSIGNED NOT NULL,
    score           FLOAT        NOT NULL,
    PRIMARY KEY (product_id, kind, position),
    UNIQUE KEY uq_product_recommendations_pair (product_id, kind, recommended_id),
    KEY ix_product_recommendations_recommended (recommended_id),
    CONSTRAINT fk_product_recommendations_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    -- never the product itself: build-recommendations leaves it out (a CHECK cannot name a cascading key's column in MySQL 8)
    CONSTRAINT fk_product_recommendations_recommended FOREIGN KEY (recommended_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Personal picks for a signed-in shopper's home page, from what she bought.
CREATE TABLE IF NOT EXISTS user_recommendations (
    user_id      INT UNSIGNED NOT NULL,
    position     TINYINT UNSIGNED NOT NULL,
    product_id   INT UNSIGNED NOT NULL,
    score        FLOAT        NOT NULL,
    PRIMARY KEY (user_id, position),
    UNIQUE KEY uq_user_recommendations_pair (user_id, product_id),
    KEY ix_user_recommendations_product (product_id),
    CONSTRAINT fk_user_recommendations_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_recommendations_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The clickstream, recorded by the server (no tracking script): a random visitor id from a
-- first-party cookie and no personal data. No foreign keys: it is a log, written in batches off
-- the request path, and it outlives products and orders until MOONCART_EVENTS_RETENTION_DAYS.
CREATE TABLE IF NOT EXISTS events (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    occurred_at  DATETIME(6)  NOT NULL,
    visitor_id   CHAR(22)     NOT NULL,
    kind         ENUM('view','search','add','checkout','order') NOT NULL,
    device       ENUM('mobile','tablet','desktop') NOT NULL,
    product_id   INT UNSIGNED NULL,
    category_id  INT UNSIGNED NULL,
    variant_id   INT UNSIGNED NULL,
    order_id     BIGINT UNSIGNED NULL,
    quantity     SMALLINT UNSIGNED NULL,
    -- a search's words and how many products it found; a checkout's step
    query        VARCHAR(100) NULL,
    results      INT UNSIGNED NULL,
    step         VARCHAR(30)  NULL,
    KEY ix_events_occurred (occurred_at),
    KEY ix_events_kind_occurred (kind, occurred_at),
    KEY ix_events_product_kind (product_id, kind, occurred_at),
    KEY ix_events_visitor (visitor_id, occurred_at)
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

-- One payment per card or UPI order, through the gateway: the gateway's order and payment ids,
-- and how far it got. 'capturing' is claimed under the order's row lock before the capture call,
-- so a release (reconcile, a failed return) never races a capture.
CREATE TABLE IF NOT EXISTS payments (
    id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id            BIGINT UNSIGNED NOT NULL,
    provider            VARCHAR(20)  NOT NULL,
    amount_paise        INT UNSIGNED NOT NULL,
    status              ENUM('created','authorised','capturing','captured','failed') NOT NULL DEFAULT 'created',
    gateway_order_id    VARCHAR(64)  NULL,
    gateway_payment_id  VARCHAR(64)  NULL,
    failure             VARCHAR(200) NOT NULL DEFAULT '',
    created_at          DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at          DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_payments_order (order_id),
    UNIQUE KEY uq_payments_gateway_order (gateway_order_id),
    KEY ix_payments_status_created (status, created_at),
    CONSTRAINT fk_payments_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Shopper returns and exchanges within the 15-day window: requested from the order page,
-- approved and received by staff. An exchange reserves the new size when it is requested.
CREATE TABLE IF NOT EXISTS returns (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id      BIGINT UNSIGNED NOT NULL,
    kind          ENUM('return','exchange') NOT NULL,
    status        ENUM('requested','approved','received','rejected') NOT NULL DEFAULT 'requested',
    reason        VARCHAR(40)  NOT NULL,
    note          VARCHAR(500) NOT NULL DEFAULT '',
    requested_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    KEY ix_returns_order (order_id),
    KEY ix_returns_status_requested (status, requested_at),
    CONSTRAINT fk_returns_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS return_items (
    id                   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    return_id            BIGINT UNSIGNED NOT NULL,
    order_item_id        BIGINT UNSIGNED NOT NULL,
    quantity             SMALLINT UNSIGNED NOT NULL,
    -- the size sent instead (an exchange); NULL for a return
    exchange_variant_id  INT UNSIGNED NULL,
    UNIQUE KEY uq_return_items_return_item (return_id, order_item_id),
    KEY ix_return_items_order_item (order_item_id),
    KEY ix_return_items_exchange_variant (exchange_variant_id),
    CONSTRAINT fk_return_items_return FOREIGN KEY (return_id) REFERENCES returns (id) ON DELETE CASCADE,
    CONSTRAINT fk_return_items_order_item FOREIGN KEY (order_item_id) REFERENCES order_items (id) ON DELETE CASCADE,
    CONSTRAINT fk_return_items_exchange_variant FOREIGN KEY (exchange_variant_id) REFERENCES variants (id) ON DELETE SET NULL,
    CONSTRAINT ck_return_items_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Money sent back through the provider: one row per cancel or per received return (reason_key
-- 'cancel' or 'return-<id>'), so a retried refund asks the gateway once (its idempotency key).
CREATE TABLE IF NOT EXISTS refunds (
    id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id           BIGINT UNSIGNED NOT NULL,
    reason_key         VARCHAR(40)  NOT NULL,
    amount_paise       INT UNSIGNED NOT NULL,
    status             ENUM('requested','processed','failed') NOT NULL DEFAULT 'requested',
    gateway_refund_id  VARCHAR(64)  NULL,
    created_at         DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at         DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_refunds_order_reason (order_id, reason_key),
    KEY ix_refunds_status_created (status, created_at),
    CONSTRAINT fk_refunds_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
    CONSTRAINT ck_refunds_amount CHECK (amount_paise > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Gateway webhooks already handled, by the gateway's event id: a duplicate is answered and ignored.
CREATE TABLE IF NOT EXISTS payment_events (
    event_id     VARCHAR(64) NOT NULL PRIMARY KEY,
    event        VARCHAR(40) NOT NULL,
    received_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Vouchers: a code that takes a percentage or a flat amount off the goods, with a minimum order,
-- dates, a total and a per-shopper limit, and optionally only for some categories (a parent
-- category covers its subcategories). `used` is counted inside the order's transaction by a
-- conditional UPDATE (used < usage_limit), so a limit is never exceeded however many buy at once.
-- Times are UTC; codes are stored in upper case.
CREATE TABLE IF NOT EXISTS vouchers (
    id                  INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code                VARCHAR(32)  NOT NULL,
    description         VARCHAR(200) NOT NULL DEFAULT '',
    kind                ENUM('percent','flat') NOT NULL,
    -- percent: 1-100; flat: paise
    amount              INT UNSIGNED NOT NULL,
    -- a percentage voucher's cap ("10% off, up to ₹500"); NULL: none
    max_discount_paise  INT UNSIGNED NULL,
    -- the least the goods it covers must cost
    min_order_paise     INT UNSIGNED NOT NULL DEFAULT 0,
    starts_at           DATETIME(6)  NULL,
    expires_at          DATETIME(6)  NULL,
    -- NULL: no limit
    usage_limit         INT UNSIGNED NULL,
    per_shopper_limit   SMALLINT UNSIGNED NULL DEFAULT 1,
    used                INT UNSIGNED NOT NULL DEFAULT 0,
    active              BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at          DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_vouchers_code (code),
    CONSTRAINT ck_vouchers_amount CHECK (amount > 0 AND (kind <> 'percent' OR amount <= 100)),
    CONSTRAINT ck_vouchers_used CHECK (usage_limit IS NULL OR used <= usage_limit),
    CONSTRAINT ck_vouchers_dates CHECK (starts_at IS NULL OR expires_at IS NULL OR starts_at < expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- the categories a voucher is limited to; none: the whole shop
CREATE TABLE IF NOT EXISTS voucher_categories (
    voucher_id   INT UNSIGNED NOT NULL,
    category_id  INT UNSIGNED NOT NULL,
    PRIMARY KEY (voucher_id, category_id),
    KEY ix_voucher_categories_category (category_id),
    CONSTRAINT fk_voucher_categories_voucher FOREIGN KEY (voucher_id) REFERENCES vouchers (id) ON DELETE CASCADE,
    CONSTRAINT fk_voucher_categories_category FOREIGN KEY (category_id) REFERENCES categories (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- the voucher a bag carries (one at a time), from the bag page or checkout
CREATE TABLE IF NOT EXISTS cart_vouchers (
    cart_id     BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    voucher_id  INT UNSIGNED    NOT NULL,
    applied_at  DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY ix_cart_vouchers_voucher (voucher_id),
    CONSTRAINT fk_cart_vouchers_cart FOREIGN KEY (cart_id) REFERENCES carts (id) ON DELETE CASCADE,
    CONSTRAINT fk_cart_vouchers_voucher FOREIGN KEY (voucher_id) REFERENCES vouchers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- every use of a voucher: one per order, written in the order's transaction; counted per shopper
-- under the voucher row's lock
CREATE TABLE IF NOT EXISTS voucher_redemptions (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    voucher_id      INT UNSIGNED    NOT NULL,
    user_id         INT UNSIGNED    NOT NULL,
    order_id        BIGINT UNSIGNED NOT NULL,
    discount_paise  INT UNSIGNED    NOT NULL,
    redeemed_at     DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_voucher_redemptions_order (order_id),
    KEY ix_voucher_redemptions_voucher_user (voucher_id, user_id),
    KEY ix_voucher_redemptions_user (user_id),
    CONSTRAINT fk_voucher_redemptions_voucher FOREIGN KEY (voucher_id) REFERENCES vouchers (id) ON DELETE RESTRICT,
    CONSTRAINT fk_voucher_redemptions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_voucher_redemptions_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Issue 14: timed stock holds. expires_at is UTC, compared with UTC_TIMESTAMP(6) everywhere: a hold
-- past it counts nowhere, whether or not the background tidy has deleted it yet.
CREATE TABLE IF NOT EXISTS stock_holds (
    user_id     INT UNSIGNED NOT NULL,
    variant_id  INT UNSIGNED NOT NULL,
    quantity    SMALLINT UNSIGNED NOT NULL,
    kind        ENUM('checkout','waitlist') NOT NULL,
    expires_at  DATETIME(6)  NOT NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (user_id, variant_id),
    -- what others hold of a variant: an index range, with the quantity in the index
    KEY ix_stock_holds_variant (variant_id, expires_at, quantity),
    KEY ix_stock_holds_expires (expires_at),
    CONSTRAINT fk_stock_holds_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_stock_holds_variant FOREIGN KEY (variant_id) REFERENCES variants (id) ON DELETE CASCADE,
    CONSTRAINT ck_stock_holds_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- shoppers waiting for a sold-out variant, served in join order (id); served_at is set when a
-- restock (or a lapsed waitlist hold) gives her a hold on one unit
CREATE TABLE IF NOT EXISTS waitlist_entries (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    variant_id  INT UNSIGNED NOT NULL,
    user_id     INT UNSIGNED NOT NULL,
    joined_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    served_at   DATETIME(6)  NULL,
    UNIQUE KEY uq_waitlist_entries_variant_user (variant_id, user_id),
    KEY ix_waitlist_entries_waiting (variant_id, served_at, id),
    KEY ix_waitlist_entries_user (user_id),
    CONSTRAINT fk_waitlist_entries_variant FOREIGN KEY (variant_id) REFERENCES variants (id) ON DELETE CASCADE,
    CONSTRAINT fk_waitlist_entries_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- what the shop tells a shopper in her account ("Your size M is back and held for you until ...")
CREATE TABLE IF NOT EXISTS notifications (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     INT UNSIGNED NOT NULL,
    variant_id  INT UNSIGNED NULL,
    message     VARCHAR(300) NOT NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    read_at     DATETIME(6)  NULL,
    KEY ix_notifications_user (user_id, id),
    CONSTRAINT fk_notifications_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_notifications_variant FOREIGN KEY (variant_id) REFERENCES variants (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- E-mail waiting to go out: a row is written in the same transaction as the change it tells of
-- (an order placed, shipped, cancelled; a size back in stock), so a rolled-back change sends
-- nothing and a committed one is never lost. A background sender claims rows (claimed_by,
-- claimed_until: a lease, so a sender that died lets go by itself), sends them, then marks them
-- sent. message_key names the event ("order-placed:MC-123"): UNIQUE, so the same event never
-- queues twice. message_id is derived from it, so a message sent again after a sender died
-- between sending and marking carries the same Message-ID and mail clients show it once.
CREATE TABLE IF NOT EXISTS outbox_messages (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    message_key      VARCHAR(191) NOT NULL,
    message_id       VARCHAR(191) NOT NULL,
    to_address       VARCHAR(320) NOT NULL,
    subject          VARCHAR(300) NOT NULL,
    body_text        MEDIUMTEXT   NOT NULL,
    body_html        MEDIUMTEXT   NOT NULL,
    status           ENUM('queued','sent','failed') NOT NULL DEFAULT 'queued',
    attempts         SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    claimed_by       VARCHAR(100) NULL,
    claimed_until    DATETIME(6)  NULL,
    last_error       VARCHAR(500) NOT NULL DEFAULT '',
    created_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    sent_at          DATETIME(6)  NULL,
    UNIQUE KEY uq_outbox_messages_key (message_key),
    KEY ix_outbox_messages_due (status, next_attempt_at),
    KEY ix_outbox_messages_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

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
-- Search (issue 13): the words a product is found by, one row per product with FULLTEXT indexes
-- (search.queries keeps it in step wherever a product, a variant or a category name is written)
CREATE TABLE IF NOT EXISTS product_search (
    product_id  INT UNSIGNED  NOT NULL PRIMARY KEY,
    -- the product's name, category, colours and fabric: a match here ranks above one in the words
    title       VARCHAR(1000) NOT NULL,
    body        TEXT          NOT NULL,
    FULLTEXT KEY ft_product_search_title (title),
    FULLTEXT KEY ft_product_search_all (title, body),
    CONSTRAINT fk_product_search_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- search's own index (migration 0512): one row per word of a product's search text with its weight
-- (4 a time in the title, 1 a time in the description; search.rules.product_terms), kept in step by
-- product_search's writers; processes read a word's rows into memory once (search.index)
CREATE TABLE IF NOT EXISTS search_terms (
    term        VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    product_id  INT UNSIGNED      NOT NULL,
    weight      SMALLINT UNSIGNED NOT NULL,
    PRIMARY KEY (term, product_id),
    KEY ix_search_terms_product (product_id),
    CONSTRAINT fk_search_terms_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- what shoppers type (term, lower case, one or more words) and the group it belongs to (canonical):
-- every term of a group finds what any of them finds
CREATE TABLE IF NOT EXISTS search_synonyms (
    id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    term        VARCHAR(60)  NOT NULL,
    canonical   VARCHAR(60)  NOT NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_search_synonyms_term (term),
    KEY ix_search_synonyms_canonical (canonical)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO search_synonyms (term, canonical) VALUES
    ('saree', 'saree'), ('sari', 'saree'), ('saari', 'saree'), ('sarees', 'saree'), ('saris', 'saree'),
    ('lehenga', 'lehenga'), ('lehnga', 'lehenga'), ('lehanga', 'lehenga'), ('lengha', 'lehenga'),
    ('lehnga choli', 'lehenga'), ('lehenga choli', 'lehenga'), ('ghagra', 'lehenga'),
    ('kurti', 'kurti'), ('kurta', 'kurti'), ('kurtis', 'kurti'), ('kurtas', 'kurti'), ('kurthi', 'kurti'),
    ('dupatta', 'dupatta'), ('chunni', 'dupatta'), ('chunri', 'dupatta'), ('odhni', 'dupatta'),
    ('dupata', 'dupatta'),
    ('jutti', 'jutti'), ('juttis', 'jutti'), ('jooti', 'jutti'), ('mojari', 'jutti'), ('mojaris', 'jutti'),
    ('salwar', 'salwar'), ('shalwar', 'salwar'), ('salvar', 'salwar'),
    ('jhumka', 'jhumka'), ('jhumkas', 'jhumka'), ('jhumki', 'jhumka');
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

-- Facet rows (issue 13, part 2; migration 0509).
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

-- One row per writer's transaction that changed what a product shows in listings or search (its
-- facet rows: stock sold out or back, prices, variants, category, deletion; its search text): the
-- range of product ids it touched. Written in the writer's own transaction, so a row is visible
-- exactly when the change is. Processes that keep an index of the catalogue in memory (the facet
-- and search indexes) read the rows after the last one they applied (changes.CatalogFeed)
-- and re-read those products; rows are deleted after a day (changes.purge). No foreign
-- key: a deleted product's row must stay, to say it is gone.
CREATE TABLE IF NOT EXISTS catalog_changes (
    seq              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    first_product_id INT UNSIGNED    NOT NULL,
    last_product_id  INT UNSIGNED    NOT NULL,
    changed_at       TIMESTAMP       NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (seq),
    KEY ix_catalog_changes_time (changed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
