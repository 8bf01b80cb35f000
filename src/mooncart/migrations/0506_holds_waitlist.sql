-- Issue 14: timed stock holds (checkout and waitlist) and the size waitlist.
-- A hold belongs to a shopper (her account), one row per variant. Its expires_at is UTC and is
-- compared with UTC_TIMESTAMP(6) everywhere: a hold past it counts nowhere, whether or not the
-- background tidy has deleted it yet.
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
