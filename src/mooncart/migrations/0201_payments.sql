-- Payments through a gateway (orders awaiting payment, payments, refunds, webhook events),
-- shopper returns and exchanges. Forward DDL for databases made before 0201.

ALTER TABLE orders
    MODIFY idempotency_key CHAR(32) NULL,
    MODIFY status ENUM('awaiting_payment','placed','packed','shipped','delivered','cancelled','returned') NOT NULL DEFAULT 'placed',
    MODIFY payment_status ENUM('pending','paid','partly_refunded','refunded','failed') NOT NULL DEFAULT 'pending',
    ADD COLUMN delivered_at DATETIME(6) NULL AFTER placed_at;

-- orders delivered before 0201: their last change is the best record of the delivery there is
UPDATE orders SET delivered_at = updated_at WHERE status = 'delivered' AND delivered_at IS NULL;

ALTER TABLE stock_movements
    MODIFY reason ENUM('initial','received','damaged','correction','order','cancel','return','release','exchange') NOT NULL;

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
