-- Issue 13: shop search. The words a product is found by, denormalised into one row per product
-- with FULLTEXT indexes (search.queries keeps it in step wherever staff write a product, a variant
-- or a category name), and the Indian spelling variants and synonyms staff can extend.
CREATE TABLE IF NOT EXISTS product_search (
    product_id  INT UNSIGNED  NOT NULL PRIMARY KEY,
    -- the product's name, category, colours and fabric: a match here ranks above one in the words
    title       VARCHAR(1000) NOT NULL,
    body        TEXT          NOT NULL,
    FULLTEXT KEY ft_product_search_title (title),
    FULLTEXT KEY ft_product_search_all (title, body),
    CONSTRAINT fk_product_search_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
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

-- the products there already are
INSERT INTO product_search (product_id, title, body)
SELECT p.id,
       LEFT(CONCAT_WS(' ', p.name, c.name, pc.name, p.fabric,
                      (SELECT GROUP_CONCAT(DISTINCT co.name SEPARATOR ' ') FROM variants v
                       JOIN colours co ON co.id = v.colour_id WHERE v.product_id = p.id)), 1000),
       p.description
FROM products p JOIN categories c ON c.id = p.category_id LEFT JOIN categories pc ON pc.id = c.parent_id
ON DUPLICATE KEY UPDATE title = VALUES(title), body = VALUES(body);
