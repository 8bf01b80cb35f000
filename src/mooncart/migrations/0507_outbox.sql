-- 0507: the transactional e-mail outbox (issue 14, parts 2 and 4). Forward only.

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
