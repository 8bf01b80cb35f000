"""The SQL of the operations endpoints: only the readiness check's ping. (Here rather than in
db.py, which imports ops.metrics: the areas import each other in one direction only.)"""

from __future__ import annotations


async def ping(conn) -> None:
    """SELECT 1: the readiness check's proof that this connection (and the server) answers."""
    async with conn.cursor() as cur:
        await cur.execute("SELECT 1")
        await cur.fetchone()
