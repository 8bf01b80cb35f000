-- Issue 15: verified reviews with fit, votes and moderation; review analysis; recommendations;
-- the clickstream. Forward DDL from the schema before it (the new tables are as in schema.sql).
ALTER TABLE reviews
    ADD COLUMN fit ENUM('small','true','large') NULL AFTER body,
    ADD COLUMN verified TINYINT(1) NOT NULL DEFAULT 0 AFTER fit,
    ADD COLUMN helpful_count INT UNSIGNED NOT NULL DEFAULT 0 AFTER verified,
    ADD COLUMN hidden_at DATETIME(6) NULL AFTER helpful_count,
    ADD COLUMN hidden_reason VARCHAR(200) NOT NULL DEFAULT '' AFTER hidden_at,
    ADD COLUMN hidden_by INT UNSIGNED NULL AFTER hidden_reason,
    ADD COLUMN updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) AFTER created_at,
    ADD KEY ix_reviews_updated (updated_at),
    ADD CONSTRAINT fk_reviews_hidden_by FOREIGN KEY (hidden_by) REFERENCES users (id) ON DELETE SET NULL;
-- reviews written before the rule: verified when the reviewer did receive the product
UPDATE reviews r SET r.updated_at = r.created_at, r.verified = EXISTS (
    SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.id JOIN variants v ON v.id = i.variant_id
    WHERE o.user_id = r.user_id AND o.status = 'delivered' AND v.product_id = r.product_id);

CREATE TABLE IF NOT EXISTS review_votes (
    review_id   INT UNSIGNED NOT NULL,
    user_id     INT UNSIGNED NOT NULL,
    voted_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (review_id, user_id),
    KEY ix_review_votes_user (user_id),
    CONSTRAINT fk_review_votes_review FOREIGN KEY (review_id) REFERENCES reviews (id) ON DELETE CASCADE,
    CONSTRAINT fk_review_votes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

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

CREATE TABLE IF NOT EXISTS product_phrases (
    product_id  INT UNSIGNED NOT NULL,
    polarity    ENUM('positive','negative') NOT NULL,
    position    TINYINT UNSIGNED NOT NULL,
    phrase      VARCHAR(80)  NOT NULL,
    mentions    SMALLINT UNSIGNED NOT NULL,
    PRIMARY KEY (product_id, polarity, position),
    CONSTRAINT fk_product_phrases_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS product_review_scores (
    product_id    INT UNSIGNED NOT NULL PRIMARY KEY,
    review_count  INT UNSIGNED NOT NULL,
    avg_rating    FLOAT        NOT NULL,
    avg_sentiment FLOAT        NOT NULL,
    loved_score   FLOAT        NOT NULL,
    KEY ix_product_review_scores_loved (loved_score, product_id),
    CONSTRAINT fk_product_review_scores_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

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
