"""Python function calls per request, shop against its bare reference (cProfile, in-process,
Quart's test client): a count, so unlike CPU time it does not move with the machine's load. Each
call costs the interpreter roughly the same few hundred nanoseconds, so fewer calls is less CPU,
and the calls grouped by package show where the shop's extra work is.

    .venv/bin/python bench/calls.py add            # add to bag, shop and bare
    .venv/bin/python bench/calls.py --top 40 add   # and the 40 functions with the most extra calls
    .venv/bin/python bench/calls.py --dump /tmp/add add  # and save the profiles, for pstats' callers
    .venv/bin/python bench/calls.py --ablate add   # and what each group of hooks costs (bench/cpu.py HOOKS)
    .venv/bin/python bench/calls.py --pieces add   # and the calls by piece (PIECES): session, CSRF, reply...
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/profile.py would hide the standard library's profile module, which cProfile imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
import cProfile  # noqa: E402
import pstats  # noqa: E402

sys.path[:0] = [os.environ.get("MOONCART_BENCH_SRC", str(ROOT / "src")), str(ROOT / "bench")]


def group(filename: str) -> str:
    """The package a function belongs to (site-packages/<name>, mooncart/<module>, the stdlib's module)."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/mooncart/" in filename:
        return "mooncart/" + filename.split("/mooncart/", 1)[1]
    if filename.endswith("bare_app.py"):
        return "bare_app.py"
    if filename == "~":
        return "builtins"
    match = re.search(r"python3\.\d+/(.+)$", filename)
    return match.group(1).split("/", 1)[0] if match else filename


# Where a call belongs: the innermost function on its stack that is one of these pieces (the
# file's path ending, the function's name). A call under none of them is Quart's and the
# server's own machinery (the test client here), which the shop and the bare app share.
PIECES = [
    ("sessions.py", "open_session", "session cookie: open and verify (CSRF token)"),
    ("sessions.py", "save_session", "session cookie: save (unchanged: nothing sent)"),
    ("mooncart/security.py", "check_request", "CSRF token, Origin, Sec-Fetch-Site, body limit"),
    ("mooncart/logs.py", "assign_request_id", "request id (in and out)"),
    ("mooncart/logs.py", "echo_request_id", "request id (in and out)"),
    ("mooncart/ops/metrics.py", "start_timer", "Prometheus metrics (request timer and counters)"),
    ("mooncart/ops/metrics.py", "record", "Prometheus metrics (request timer and counters)"),
    ("mooncart/limits.py", "_before_request", "rate limiter (skips an unlimited view)"),
    ("mooncart/limits.py", "_after_request", "rate limiter (skips an unlimited view)"),
    ("mooncart/__init__.py", "security_headers", "security headers and CSP nonce"),
    ("mooncart/analytics/tracking.py", "record_events", "analytics event"),
    ("quart_auth/extension.py", "after_request", "quart-auth cookie refresh check"),
    ("mooncart/cache.py", "staff_changed_the_catalogue", "cache's staff check, compression, draining"),
    ("mooncart/compression.py", "compress", "cache's staff check, compression, draining"),
    ("mooncart/draining.py", "close_when_draining", "cache's staff check, compression, draining"),
    ("mooncart/hooks.py", "before_every_request", "the fused hooks' own dispatch"),
    ("mooncart/hooks.py", "after_every_request", "the fused hooks' own dispatch"),
    ("mooncart/bag/token.py", "read_bag_cookie", "bag cookie: read and verify its signature"),
    ("mooncart/accounts/auth.py", "shopper_id", "the shopper's log-in (quart-auth)"),
    ("mooncart/db.py", "get_conn", "database connection: acquire, release"),
    ("mooncart/db.py", "release_connection", "database connection: acquire, release"),
    ("bench/bare_app.py", "add", "the view's own code"),
    ("mooncart/bag/routes.py", "add", "the view's own code"),
    ("mooncart/bag/queries.py", "select_variant_in_bag", "the two statements"),
    ("mooncart/bag/queries.py", "add_to_line", "the two statements"),
    ("mooncart/htmx.py", "fragment_given", "the reply: status, header count, stock badge"),
    ("mooncart/htmx.py", "fragment", "the reply: status, header count, stock badge"),
    ("mooncart/htmx.py", "is_htmx", "the view's own code"),
    ("mooncart/bag/picker.py", "after_adding", "the view's own code"),
]


def piece_counter():
    """A profile function (sys.setprofile) and the Counter it fills: Python calls (as cProfile
    counts them: calls, coroutine resumes and C functions) by the piece of PIECES innermost on
    the stack."""
    labels: dict = {}

    def label_of(code) -> str | None:
        if code not in labels:
            labels[code] = next(
                (label for end, name, label in PIECES if code.co_name == name and code.co_filename.endswith(end)), None
            )
        return labels[code]

    counts: Counter = Counter()

    def tracer(frame, event, _arg):
        if event in ("call", "c_call"):
            while frame is not None:
                label = label_of(frame.f_code)
                if label is not None:
                    counts[label] += 1
                    return
                frame = frame.f_back
            counts["Quart and the server (shared)"] += 1

    return tracer, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("endpoints", nargs="+", choices=("add", "product", "listing"))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--dump", metavar="PREFIX", help="also save each profile (pstats) as PREFIX.<endpoint>.<side>")
    parser.add_argument("--pieces", action="store_true", help="also the calls a request by piece (PIECES)")
    parser.add_argument(
        "--ablate",
        action="store_true",
        help="also count the shop's calls with each of bench/cpu.py's HOOKS taken off in turn (measuring only)",
    )
    args = parser.parse_args()

    import inprocess
    import uvloop

    bench = inprocess.set_up("mooncart-calls-")

    async def run() -> dict:
        results = {}
        for endpoint in args.endpoints:
            for side in ("shop", "bare"):
                async with bench.apps[side].test_app() as test_app:
                    one = bench.sender(endpoint, side, test_app.test_client(), args.requests + 20)
                    for i in range(20):
                        response = await one(i)
                        assert response.status_code == 200, (endpoint, side, response.status_code)
                    profiler = cProfile.Profile()
                    profiler.enable()
                    for i in range(20, 20 + args.requests):
                        await one(i)
                    profiler.disable()
                    stats = pstats.Stats(profiler)
                    if args.dump:
                        stats.dump_stats(f"{args.dump}.{endpoint}.{side}")
                    by_group: Counter = Counter()
                    by_function: Counter = Counter()
                    for (filename, _line, name), (_cc, calls, _tt, _ct, _callers) in stats.stats.items():
                        by_group[group(filename)] += calls
                        by_function[f"{group(filename)}:{name}"] += calls
                    results[(endpoint, side)] = (by_group, by_function)
                    if args.pieces:
                        bench.reset_bags()
                        await one(20)
                        tracer, counts = piece_counter()
                        sys.setprofile(tracer)  # this thread's: the requests run on it
                        try:
                            for i in range(20, 20 + args.requests):
                                await one(i)
                        finally:
                            sys.setprofile(None)
                        results[(endpoint, side, "pieces")] = counts
                    if side == "shop" and args.ablate:
                        results[(endpoint, "ablated")] = await ablation(one)
            bench.reset_bags()
        return results

    async def ablation(one) -> dict[str, float]:
        """Calls a request of the whole shop, then with each group of hooks taken off."""
        import cpu

        counts = {}
        for label, names in [("whole shop", ())] + list(cpu.HOOKS.items()):
            bench.reset_bags()
            restore = cpu.without(bench.apps["shop"], names)
            try:
                await one(20)
                profiler = cProfile.Profile()
                profiler.enable()
                for i in range(20, 20 + args.requests):
                    await one(i)
                profiler.disable()
            finally:
                restore()
            counts[label] = sum(calls for _cc, calls, *_rest in pstats.Stats(profiler).stats.values()) / args.requests
        return counts

    results = uvloop.run(run())
    n = args.requests
    for endpoint in args.endpoints:
        shop_groups, shop_functions = results[(endpoint, "shop")]
        bare_groups, bare_functions = results[(endpoint, "bare")]
        shop_total, bare_total = sum(shop_groups.values()) / n, sum(bare_groups.values()) / n
        print(f"\n### {endpoint}: {shop_total:.0f} calls a request in the shop, {bare_total:.0f} in the bare app\n")
        print("| package or module | shop | bare | extra |\n| --- | ---: | ---: | ---: |")
        for name in sorted(set(shop_groups) | set(bare_groups), key=lambda k: bare_groups[k] - shop_groups[k]):
            shop_calls, bare_calls = shop_groups[name] / n, bare_groups[name] / n
            if abs(shop_calls - bare_calls) >= 1 or shop_calls >= 20:
                print(f"| {name} | {shop_calls:.0f} | {bare_calls:.0f} | {shop_calls - bare_calls:+.0f} |")
        if args.pieces:
            shop_pieces, bare_pieces = results[(endpoint, "shop", "pieces")], results[(endpoint, "bare", "pieces")]
            print(f"\n| {endpoint}: calls a request by piece | shop | bare | extra |\n| --- | ---: | ---: | ---: |")
            for label in sorted(set(shop_pieces) | set(bare_pieces), key=lambda k: bare_pieces[k] - shop_pieces[k]):
                shop_calls, bare_calls = shop_pieces[label] / n, bare_pieces[label] / n
                print(f"| {label} | {shop_calls:.0f} | {bare_calls:.0f} | {shop_calls - bare_calls:+.0f} |")
            shop_total, bare_total = sum(shop_pieces.values()) / n, sum(bare_pieces.values()) / n
            print(f"| all | {shop_total:.0f} | {bare_total:.0f} | {shop_total - bare_total:+.0f} |")
        if args.ablate:
            counts = results[(endpoint, "ablated")]
            whole = counts["whole shop"]
            print(f"\n| {endpoint}: the shop without | calls a request | its cost |\n| --- | ---: | ---: |")
            for label, calls in counts.items():
                print(f"| {label} | {calls:.0f} | {whole - calls:+.0f} |")
        if args.top:
            print("\n| function | shop | bare | extra |\n| --- | ---: | ---: | ---: |")
            names = set(shop_functions) | set(bare_functions)
            extra = Counter({k: shop_functions[k] - bare_functions[k] for k in names})
            for name, count in extra.most_common(args.top):
                shop_calls, bare_calls = shop_functions[name] / n, bare_functions[name] / n
                print(f"| {name} | {shop_calls:.1f} | {bare_calls:.1f} | {count / n:+.1f} |")


if __name__ == "__main__":
    main()
