"""Start-up faults that used to make `mooncart serve` restart its workers forever: a bad
MOONCART_METRICS_ALLOW stops it at once; a database that is down at start-up is waited for
while the shop answers /healthz (200), /readyz (503) and pages with the 503 page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.shop_server import running_shop


def test_mooncart_serve_refuses_a_wrong_metrics_allow_before_starting_hypercorn():
    result = subprocess.run(
        [sys.executable, "-m", "mooncart", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, MOONCART_METRICS_ALLOW="10.0.0.0/8,prometheus"),
    )
    assert result.returncode == 1
    assert "MOONCART_METRICS_ALLOW: 'prometheus' is not an address or network" in result.stderr
    assert "serving" not in result.stdout


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_with_the_database_down_at_start_up_the_shop_serves_healthz_and_a_503_page(tmp_path: Path):
    log_path = tmp_path / "shop.log"
    url = f"mysql://root@127.0.0.1:{closed_port()}/mooncart"
    with running_shop(url, 1, log_path, supervised=True) as (base, process):
        deadline = time.monotonic() + 60
        while True:  # the port answers as soon as hypercorn listens; the worker's lifespan follows
            try:
                healthz = httpx.get(base + "/healthz", timeout=10)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log_path.read_text()[-2000:]
                time.sleep(0.2)
        assert healthz.status_code == 200
        assert httpx.get(base + "/readyz", timeout=10).status_code == 503
        home = httpx.get(base + "/", timeout=10)
        assert home.status_code == 503 and "right back" in home.text
        assert "<html" in home.text.lower()
        assert process.poll() is None
    log = log_path.read_text()
    assert "does not answer at start-up" in log
    # one worker, started once: no restart loop
    assert log.count("does not answer at start-up") == 1, log[-3000:]
    assert "starting it again" not in log, log[-3000:]
