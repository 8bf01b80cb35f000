"""The seed design, kept runnable as a yardstick: Flask and PyMySQL under gunicorn with 2 sync
workers, a new database connection for every request, and add to bag answering JSON
`{"ok": true, "cart_count": N}` for the page's script to show. This is what Mooncart started
from; bench/run reports Mooncart's add to bag against it (the target is at least 2x).

    MOONCART_DATABASE_URL=mysql://root@127.0.0.1:3306/mooncart_bench_10k \\
        gunicorn --workers 2 --worker-class sync --bind 127.0.0.1:8001 --chdir bench seed_app:app

Its two statements are the ones Mooncart's add to bag runs (look up the variant, the bag and the
line; grow the line, never past the stock or 10), written out for PyMySQL because the shop's query
functions are coroutines. The bag token comes in a plain `bare_bag` cookie, as for the bare app.
"""

from __future__ import annotations

import os

import pymysql
import pymysql.cursors
from flask import Flask, jsonify, request

from mooncart.config import DEFAULT_DATABASE_URL, DatabaseSettings

LOOK_UP = (
    "SELECT v.id, v.stock, c.id AS cart_id, COALESCE(ci.quantity, 0) AS in_bag, "
    "(SELECT COALESCE(SUM(b.quantity), 0) FROM cart_items b WHERE b.cart_id = c.id) AS bag_count "
    "FROM variants v LEFT JOIN carts c ON c.token = %s "
    "LEFT JOIN cart_items ci ON ci.cart_id = c.id AND ci.variant_id = v.id WHERE v.id = %s"
)
GROW_LINE = (
    "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, %s) "
    "ON DUPLICATE KEY UPDATE quantity = IF(quantity + %s <= %s, quantity + %s, quantity)"
)
MAX_PER_LINE = 10

app = Flask(__name__)
settings = DatabaseSettings.from_url(os.environ.get("MOONCART_DATABASE_URL", DEFAULT_DATABASE_URL))


def connect():
    kwargs = settings.connect_kwargs()
    kwargs["database"] = kwargs.pop("db")
    return pymysql.connect(**kwargs, cursorclass=pymysql.cursors.DictCursor)


@app.post("/bag/add")
def add():
    variant_id, quantity = request.form.get("variant_id", ""), request.form.get("quantity", "1")
    if not (variant_id.isdigit() and quantity.isdigit() and 0 < int(quantity) <= MAX_PER_LINE):
        return jsonify(ok=False, error="bad request"), 422
    quantity = int(quantity)
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.execute(LOOK_UP, (request.cookies.get("bare_bag", ""), int(variant_id)))
            row = cur.fetchone()
            if row is None or row["cart_id"] is None:
                return jsonify(ok=False, error="no such item or bag"), 422
            limit = min(row["stock"], MAX_PER_LINE)
            if row["in_bag"] + quantity > limit:
                return jsonify(ok=False, error="not enough stock"), 422
            cur.execute(GROW_LINE, (row["cart_id"], row["id"], quantity, quantity, limit, quantity))
        return jsonify(ok=True, cart_count=int(row["bag_count"]) + quantity)
    finally:
        conn.close()
