-- 0510: the catalogue's change feed (issue 13: facets and search on a million products). Forward only.

-- One row per writer's transaction that changed what a product shows in listings or search (its
-- facet rows: stock sold out or back, prices, variants, category, deletion; its search text): the
-- range of product ids it touched. Written in the writer's own transaction, so a row is visible
-- exactly when the change is. Processes that keep an index of the catalogue in memory (the facet
-- and search indexes) read the rows after the last one they applied (catalog.changes.CatalogFeed)
-- and re-read those products; rows are deleted after a day (catalog.changes.purge). No foreign
-- key: a deleted product's row must stay, to say it is gone.
CREATE TABLE IF NOT EXISTS catalog_changes (
    seq              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    first_product_id INT UNSIGNED    NOT NULL,
    last_product_id  INT UNSIGNED    NOT NULL,
    changed_at       TIMESTAMP       NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (seq),
    KEY ix_catalog_changes_time (changed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
