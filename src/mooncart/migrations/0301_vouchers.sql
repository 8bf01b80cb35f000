-- 0301: vouchers and discounts (issue 12, item 6). Forward only.

ALTER TABLE orders ADD COLUMN discount_paise INT UNSIGNED NOT NULL DEFAULT 0 AFTER shipping_paise;

ALTER TABLE orders ADD CONSTRAINT ck_orders_discount CHECK (discount_paise <= subtotal_paise);

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
