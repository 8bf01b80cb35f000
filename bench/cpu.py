"""CPU time per request, in-process: the shop and its bare reference (bench/bare_app.py) served by
Quart's test client (no hypercorn, no wrk), against the 10,000-product bench database. CPU time
(time.process_time) of this process is what the shop costs a core, and unlike wrk's throughput it
barely moves when other work shares the machine, so it shows a change's effect on a busy machine.

    .venv/bin/python bench/cpu.py add product listing                  # shop and bare, 3 rounds
    .venv/bin/python bench/cpu.py --compare /tmp/base/src add product  # an older src/ against this one

--compare runs the older src/ and this one in alternating processes, round by round, so that
drift in the machine's load falls on both alike; the median round is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS = ("add", "product", "listing", "home")


# Hooks that --ablate takes off the shop one at a time (for measuring only: never a way to run it)
HOOKS = {
    "request id (logs.py)": ("assign_request_id", "echo_request_id"),
    "CSRF and Origin check": ("check_request",),
    "rate limiter": ("_before_request", "_after_request"),
    "quart-auth cookie refresh": ("after_request",),
    "security headers and CSP nonce": ("security_headers",),
    "analytics event and visitor cookie": ("record_events",),
    "metrics (timer, counters)": ("start_timer", "record"),
    "compression, draining, cache's staff check": ("compress", "close_when_draining", "staff_changed_the_catalogue"),
}


def without(app, names: tuple[str, ...]):
    """Take the named before/after-request hooks off the app (inside its fused hooks too, hooks.py);
    returns a function to put them back."""
    saved = {}
    for registry in (app.before_request_funcs, app.after_request_funcs):
        for funcs in registry.values():
            for hooks in [funcs, *(getattr(f, "hooks", None) for f in funcs)]:
                if hooks is not None:
                    saved[id(hooks)] = (hooks, list(hooks))
                    hooks[:] = [f for f in hooks if getattr(f, "__name__", "") not in names]

    def restore():
        for funcs, original in saved.values():
            funcs[:] = original

    return restore


def measure(endpoints: list[str], requests: int, sides: list[str], profile: bool = False, ablate: int = 0) -> dict:
    """In this process: CPU ms per request for each (endpoint, side); with ablate=N rounds, the
    shop with each of HOOKS taken off, alternating with the whole shop."""
    import inprocess
    import uvloop

    bench = inprocess.set_up("mooncart-cpu-")
    shop = bench.apps["shop"]

    async def ablation(endpoint, one, results) -> None:
        variants = [("whole shop", ())] + list(HOOKS.items())
        for _ in range(ablate):
            for label, names in variants:
                if endpoint == "add":
                    bench.reset_bags()
                restore = without(shop, names)
                try:
                    await one(20)
                    started = time.process_time()
                    for i in range(20, 20 + requests):
                        await one(i)
                    results.setdefault(f"{endpoint}: {label}", []).append(
                        (time.process_time() - started) / requests * 1000
                    )
                finally:
                    restore()

    async def run() -> dict:
        contexts = {name: bench.apps[name].test_app() for name in sides}
        for context in contexts.values():
            await context.__aenter__()
        results = {}
        try:
            for endpoint in endpoints:
                for side in sides:
                    if side == "bare" and endpoint == "home":
                        continue
                    one = bench.sender(endpoint, side, contexts[side].test_client(), requests + 20)
                    for i in range(20):  # warm up: pool, caches, compiled templates
                        response = await one(i)
                        assert response.status_code == 200, (endpoint, side, response.status_code)
                    if profile:
                        import profile as shares

                        from pyinstrument import Profiler

                        profiler = Profiler(interval=0.0002, async_mode="disabled")
                        profiler.start()
                    started = time.process_time()
                    for i in range(20, 20 + requests):
                        await one(i)
                    results[f"{endpoint} {side}"] = (time.process_time() - started) / requests * 1000
                    if side == "shop" and ablate:
                        await ablation(endpoint, one, results)
                    if profile:
                        print(f"\n### {endpoint}, {side} (in-process, Quart's test client)\n", file=sys.stderr)
                        print(shares.analyse(profiler.stop(), requests), file=sys.stderr)
            bench.reset_bags()
        finally:
            for context in contexts.values():
                await context.__aexit__(None, None, None)
        return results

    return uvloop.run(run())


def child(src: Path, endpoints: list[str], requests: int, sides: list[str], env: dict | None = None) -> dict:
    environment = dict(os.environ, PYTHONPATH=f"{src}:{ROOT / 'bench'}", MOONCART_BENCH_SRC=str(src), **(env or {}))
    output = subprocess.run(
        [sys.executable, __file__, "--child", "--requests", str(requests), "--sides", ",".join(sides), *endpoints],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("endpoints", nargs="+", choices=ENDPOINTS)
    parser.add_argument("--requests", type=int, default=300, help="requests per measurement (default 300)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="an older src/ folder to run against this one")
    parser.add_argument("--sides", default="shop,bare")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--ablate",
        type=int,
        metavar="ROUNDS",
        help="the shop with each middleware hook taken off in turn, alternating with the "
        "whole shop, ROUNDS times: what each hook costs",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="one pass in this process under pyinstrument: where each request's time goes",
    )
    args = parser.parse_args()
    sides = args.sides.split(",")
    if args.profile:
        measure(args.endpoints, args.requests, sides, profile=True)
        return
    if args.ablate:
        results = measure(args.endpoints, args.requests, ["shop"], ablate=args.ablate)
        print("| endpoint: without | CPU ms per request, each round | median | saved |\n| --- | --- | ---: | ---: |")
        for endpoint in args.endpoints:
            whole = statistics.median(results[f"{endpoint}: whole shop"])
            for key, values in results.items():
                if isinstance(values, list) and key.startswith(endpoint + ":"):
                    median = statistics.median(values)
                    print(
                        f"| {key} | {' / '.join(f'{v:.3f}' for v in values)} | {median:.3f} | "
                        f"{whole - median:+.3f} ms ({(whole - median) / whole:+.1%}) |"
                    )
        return
    if args.child:
        print(json.dumps(measure(args.endpoints, args.requests, sides)))
        return
    variants = (
        [("before", args.compare, ["shop"], {}), ("after", ROOT / "src", sides, {})]
        if args.compare
        else [("now", ROOT / "src", sides, {})]
    )
    rounds: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for label, src, variant_sides, env in variants:
            for key, value in child(src, args.endpoints, args.requests, variant_sides, env).items():
                rounds.setdefault(f"{key} ({label})", []).append(value)
    print("| endpoint, side | CPU ms per request, each round | median |\n| --- | --- | ---: |")
    for key, values in rounds.items():
        print(f"| {key} | {' / '.join(f'{v:.3f}' for v in values)} | {statistics.median(values):.3f} |")
    medians = {key: statistics.median(values) for key, values in rounds.items()}
    for endpoint in args.endpoints:
        label = "after" if args.compare else "now"
        shop, bare = medians.get(f"{endpoint} shop ({label})"), medians.get(f"{endpoint} bare ({label})")
        if shop and bare:
            print(
                f"{endpoint}: shop {shop:.3f} ms vs bare {bare:.3f} ms per request: "
                f"{shop - bare:+.3f} ms, bare/shop {bare / shop:.2f}"
            )
        before = medians.get(f"{endpoint} shop (before)")
        if before and shop:
            print(f"{endpoint}: before {before:.3f} ms, after {shop:.3f} ms ({(shop - before) / before:+.1%})")
        patched = medians.get(f"{endpoint} shop (after, pages via htmx.render)")
        if before and patched:
            print(
                f"{endpoint}: before {before:.3f} ms, with pages via htmx.render {patched:.3f} ms "
                f"({(patched - before) / before:+.1%})"
            )


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT / "bench")] + ([] if "--child" in sys.argv else [str(ROOT / "src")])
    main()
