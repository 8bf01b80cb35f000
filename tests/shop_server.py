"""A real shop for attack and fault tests: hypercorn with N workers on loopback against a test
database, plus shoppers made directly in the database with cookies signed as the app signs them."""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from itsdangerous import Signer, URLSafeSerializer

from mooncart import create_app

SECRET = "attack-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the shop did not start: " + log_path.read_text()[-2000:]) from None
            time.sleep(0.1)


class ShopProcess:
    """One shop instance on a fixed port that can be stopped (SIGTERM, as systemd does) and
    started again, for rolling restarts. `supervised`: `mooncart serve` (with `serve_args`),
    else hypercorn itself. The log is appended to across restarts."""

    def __init__(
        self,
        database_url: str,
        workers: int,
        log_path: Path,
        env: dict | None = None,
        supervised: bool = False,
        port: int | None = None,
        serve_args: tuple[str, ...] = (),
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.command = (
            [
                sys.executable,
                "-m",
                "mooncart",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                *serve_args,
            ]
            if supervised
            else [
                sys.executable,
                "-m",
                "hypercorn",
                "mooncart.asgi:app",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "uvloop",
            ]
        )
        self.env = dict(os.environ, MOONCART_DATABASE_URL=database_url, MOONCART_SECRET_KEY=SECRET, **(env or {}))
        self.process: subprocess.Popen | None = None

    def start(self, wait_for: str | None = None) -> None:
        """Start it; wait until the port answers, or (`wait_for`, a path) until that path answers 200."""
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=log_file, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, self.log_path)
        if wait_for is not None:
            wait_for_http(self.url + wait_for, self.process, self.log_path)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, and its exit code once it has exited (killed, and an error, after `timeout`)."""
        self.process.terminate()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"the shop on port {self.port} did not stop within {timeout} s of SIGTERM") from None


def wait_for_http(url: str, process, log_path: Path, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # nosec B310 # loopback test URL
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer: " + log_path.read_text()[-2000:])
        time.sleep(0.1)


@contextmanager
def running_shop(database_url: str, workers: int, log_path: Path, env: dict | None = None, supervised: bool = False):
    """hypercorn itself, or `mooncart serve` (which starts hypercorn again if it dies)."""
    shop = ShopProcess(database_url, workers, log_path, env, supervised)
    shop.start()
    try:
        yield shop.url, shop.process
    finally:
        shop.process.terminate()
        try:
            shop.process.wait(10)
        except subprocess.TimeoutExpired:
            shop.process.kill()


class Signers:
    def __init__(self, database_url: str):
        self.app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": database_url})
        self.session = self.app.session_interface.get_signing_serializer(self.app)
        self.bag = Signer(SECRET, salt="mooncart.bag")
        self.auth = self.app.extensions["mooncart_auth"]


def signed_confirmation(lines: list[tuple[int, int, int]], voucher: str = "", shares: list[int] | None = None) -> str:
    """The checkout page's signed record of what it showed (mooncart.checkout.confirmation), for
    lines of (variant id, quantity, unit price) and a voucher's shares of the discount."""
    from mooncart.checkout.confirmation import SALT
    from mooncart.checkout.pricing import order_totals

    ordered = sorted(lines)
    totals = order_totals([{"price_paise": p, "quantity": q} for _, q, p in ordered], shares)
    return URLSafeSerializer(SECRET, salt=SALT).dumps(
        {
            "l": [list(line) for line in ordered],
            "v": voucher,
            "d": totals.discount_paise,
            "s": totals.shipping_paise,
            "t": totals.total_paise,
        }
    )


def cookie_name(name: str, https: bool) -> str:
    """Over https (directly or behind a trusted proxy) the shop's cookies carry the __Host- prefix."""
    return "__Host-" + name if https else name


async def make_buyers(
    conn, signers: Signers, variant_id: int, count: int, quantity: int = 1, https: bool = False
) -> list[dict]:
    """Signed-in shoppers, each with `quantity` of the variant in the bag and a saved address
    (their cookies named for an https shop when `https`)."""
    from mooncart.db import execute, fetch_val

    price = await fetch_val(conn, "SELECT price_paise FROM variants WHERE id = %s", (variant_id,))
    buyers = []
    for _buyer in range(count):
        _, user_id = await execute(
            conn,
            "INSERT INTO users (email, name, mobile, password_hash) VALUES (%s, 'Flash Buyer', '9876543210', 'x')",
            (f"buyer.{secrets.token_hex(6)}@example.in",),
        )
        auth_token, bag_token, csrf = secrets.token_urlsafe(32), secrets.token_hex(16), secrets.token_urlsafe(32)
        await execute(
            conn,
            "INSERT INTO sessions (token_hash, user_id) VALUES (%s, %s)",
            (hashlib.sha256(auth_token.encode()).hexdigest(), user_id),
        )
        _, cart_id = await execute(conn, "INSERT INTO carts (token, user_id) VALUES (%s, %s)", (bag_token, user_id))
        await execute(
            conn,
            "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (%s, %s, %s)",
            (cart_id, variant_id, quantity),
        )
        _, address_id = await execute(
            conn,
            "INSERT INTO addresses (user_id, full_name, line1, city, state, pin_code, "
            "mobile) VALUES (%s, 'Flash Buyer', '1 MG Road', 'Pune', 'Maharashtra', "
            "'411001', '9876543210')",
            (user_id,),
        )
        cookies = {
            cookie_name("mooncart", https): signers.session.dumps({"csrf_token": csrf}),
            cookie_name("mooncart_bag", https): signers.bag.sign(bag_token).decode(),
            cookie_name("mooncart_session", https): signers.auth.dump_token(auth_token, app=signers.app),
        }
        buyers.append(
            {
                "user_id": user_id,
                "cart_id": cart_id,
                "cookies": cookies,
                "csrf": csrf,
                "form": {
                    "csrf_token": csrf,
                    "address_id": str(address_id),
                    "payment_method": "cod",
                    "idempotency_key": secrets.token_hex(16),
                    "confirmation": signed_confirmation([(variant_id, quantity, price)]),
                },
            }
        )
    return buyers


async def cleanup(conn, user_ids: list[int], product_ids: list[int], category_ids: list[int]) -> None:
    from mooncart.db import execute

    for chunk in range(0, len(user_ids), 500):
        ids = user_ids[chunk : chunk + 500]
        marks = ", ".join(["%s"] * len(ids))
        await execute(conn, "DELETE FROM orders WHERE user_id IN (" + marks + ")", ids)
        await execute(conn, "DELETE FROM users WHERE id IN (" + marks + ")", ids)
    for product_id in product_ids:
        await execute(conn, "DELETE FROM products WHERE id = %s", (product_id,))
    for category_id in category_ids:
        await execute(conn, "DELETE FROM categories WHERE id = %s", (category_id,))
