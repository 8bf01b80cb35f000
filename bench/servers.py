"""hypercorn against Granian, each run by `mooncart serve --server X` with bench/run's settings
(2 workers with uvloop, wrk -t2 -c32), alternately, several rounds, on mooncart_bench_10k.

    .venv/bin/python bench/servers.py                  # 3 rounds, 10 s per endpoint
    .venv/bin/python bench/servers.py --rounds 5 --duration 5
(Granian is in the test extra: run scripts/test once, or pip install -e '.[granian]'.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from benchmark import SECRET, Signers, ensure_catalogue, free_port, log, measure, prepare_bag_requests, sync_connect  # noqa: E402


class ServedBy:
    """`mooncart serve --server <server>` on a free port (the same attributes as benchmark.Server)."""

    def __init__(self, server: str, settings, workers: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 -- the server writes to it while it runs
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mooncart",
                "serve",
                "--server",
                server,
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=dict(os.environ, MOONCART_DATABASE_URL=settings.url, MOONCART_SECRET_KEY=SECRET),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/static/favicon.svg", timeout=2):  # nosec B310
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.log.seek(0)
                    raise RuntimeError(f"{server} did not start: {self.log.read().decode()[-2000:]}") from None
                time.sleep(0.2)

    def stop(self) -> float:
        """SIGTERM; the seconds it took to exit."""
        started = time.monotonic()
        self.process.terminate()
        self.process.wait(60)
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    settings = asyncio.run(ensure_catalogue("mooncart_bench_10k", 10_000))
    workdir = Path(tempfile.mkdtemp(prefix="mooncart-servers-"))
    signers = Signers(settings)
    conn = sync_connect(settings)
    with conn.cursor() as cur:
        cur.execute("SELECT p.slug FROM products p WHERE p.id = 5000")
        product = cur.fetchone()["slug"]
    conn.close()
    endpoints = [
        ("home", "/", None),
        ("category listing", "/c/kurtis", None),
        ("product page", f"/products/{product}", None),
        ("add to bag (htmx)", "", "add"),
    ]
    results: dict[tuple[str, str], list[dict]] = {}
    for round_number in range(args.rounds):
        for server_name in ("hypercorn", "granian") if round_number % 2 == 0 else ("granian", "hypercorn"):
            log(f"round {round_number + 1}: {server_name}")
            bag_files = prepare_bag_requests(settings, signers, workdir)  # fresh bags: no line reaches its cap
            server = ServedBy(server_name, settings, args.workers)
            try:
                for name, path, lines in endpoints:
                    row = measure(
                        name,
                        server,
                        settings,
                        args.duration,
                        args.connections,
                        path,
                        bag_files[lines] if lines else None,
                    )
                    results.setdefault((server_name, name), []).append(row)
            finally:
                log(f"  stopped in {server.stop():.1f} s after SIGTERM")
    print(
        f"\n{args.rounds} rounds, alternating; wrk -t2 -c{args.connections}, {args.duration} s per row; "
        f"{args.workers} workers with uvloop; median (min-max) req/s, median p50 and p99 ms\n"
    )
    print("| endpoint | server | req/s | p50 ms | p99 ms | non-2xx/3xx |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, _, _ in endpoints:
        for server_name in ("hypercorn", "granian"):
            rows = results[(server_name, name)]
            rps = [r["rps"] for r in rows]
            print(
                f"| {name} | {server_name} | {statistics.median(rps):.0f} ({min(rps):.0f}-{max(rps):.0f}) | "
                f"{statistics.median(r['p50'] for r in rows):.1f} | {statistics.median(r['p99'] for r in rows):.1f} | "
                f"{sum(r['errors'] for r in rows)} |"
            )


if __name__ == "__main__":
    main()
