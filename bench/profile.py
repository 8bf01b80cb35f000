"""Where a request's time goes, under load: one hypercorn worker in this process, sampled by
pyinstrument while wrk loads one endpoint, for Mooncart and for its bare reference (bench/bare_app.py).

    .venv/bin/python bench/profile.py add product listing     # Mooncart and the bare app, each endpoint
    .venv/bin/python bench/profile.py --seconds 20 --html /tmp/profiles add

For each run it prints the share of the worker's time in each kind of work (innermost match wins:
SQL driver, Jinja, cookie signing, form parsing, each piece of middleware, the views, the framework,
the event loop waiting), then the inclusive time of the functions the issue asks about, per request.
Shares stay meaningful on a busy machine; absolute milliseconds do not.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]

import benchmark  # noqa: E402

# (label, path fragment, function name or None for any); checked from the innermost frame outwards
KINDS = [
    ("SQL driver (aiomysql, PyMySQL)", ("/aiomysql/", "/pymysql/"), None),
    ("Jinja rendering", ("/jinja2/", "/markupsafe/", "quart/templating.py"), None),
    ("Babel formatting", ("/babel/",), None),
    ("cookie signing (itsdangerous)", ("/itsdangerous/",), None),
    ("form parsing", ("formparser.py",), None),
    ("CSRF and Origin check", ("mooncart/security.py",), None),
    ("session cookie (Quart)", ("quart/sessions.py",), None),
    ("quart-auth", ("/quart_auth/",), None),
    ("rate limiter", ("/quart_rate_limiter/",), None),
    ("request id and JSON logging", ("mooncart/logs.py", "/logging/"), None),
    ("security headers and nonce", ("mooncart/__init__.py",), "security_headers"),
    ("security headers and nonce", ("mooncart/__init__.py",), "csp_nonce"),
    ("bag cookie", ("mooncart/bag/token.py",), None),
    ("layout's shared data (render_page)", ("mooncart/pages.py",), None),
    ("Mooncart and bare views", ("/mooncart/", "bench/bare_app.py"), None),
    ("Quart, Werkzeug, hypercorn", ("/quart/", "/werkzeug/", "/hypercorn/", "/h11/", "/wsproto/", "/h2/"), None),
    ("asyncio (tasks, futures, locks)", ("asyncio/",), None),
]
IDLE_LABEL = "event loop waiting (for MariaDB or the network)"

# inclusive time of these (outermost occurrence), in ms per request
FUNCTIONS = [
    ("security.check_request (CSRF, Origin, body size)", "mooncart/security.py", "check_request"),
    ("Quart open_session (verify session cookie)", "quart/sessions.py", "open_session"),
    ("Quart save_session (sign, Set-Cookie)", "quart/sessions.py", "save_session"),
    ("quart-auth before/after request", "/quart_auth/", None),
    ("rate limiter before_request", "/quart_rate_limiter/", None),
    ("logs: request id in and out", "mooncart/logs.py", None),
    ("security_headers (CSP with nonce)", "mooncart/__init__.py", "security_headers"),
    ("render_page (layout data + template)", "mooncart/pages.py", "render_page"),
    ("render_template (Jinja)", "quart/templating.py", "render_template"),
    ("htmx.fragment", "mooncart/htmx.py", "fragment"),
    ("product_page_context (5 statements)", "mooncart/catalog/product_page.py", "product_page_context"),
    ("select_listing", "mooncart/catalog/queries.py", "select_listing"),
    ("reference_data (cached)", "mooncart/catalog/reference.py", "reference_data"),
    ("bag cookie read/set", "mooncart/bag/token.py", None),
    ("current_shopper", "mooncart/accounts/auth.py", "current_shopper"),
    ("aiomysql execute (SQL round trips)", "/aiomysql/cursors.py", "execute"),
    ("form parsing", "formparser.py", None),
    ("db release_connection (teardown)", "mooncart/db.py", "release_connection"),
]


def where(frame) -> str:
    return frame.file_path or frame.function or ""


IDLE = ("asyncio/runners.py", "uvloop/__init__.py", "selectors.py", "asyncio/base_events.py")


def kind_of(path: list) -> str:
    if any(f in where(path[-1]) for f in IDLE):
        return IDLE_LABEL
    for frame in reversed(path):
        for label, fragments, function in KINDS:
            if any(f in where(frame) for f in fragments) and (function is None or frame.function == function):
                return label
    return "other"


def walk(frame, path, visit):
    path.append(frame)
    visit(frame, path)
    for child in frame.children:
        walk(child, path, visit)
    path.pop()


def analyse(session, requests: int, top: int = 12) -> str:
    root = session.root_frame()
    total = root.time
    shares: dict[str, float] = defaultdict(float)
    inclusive: dict[str, float] = defaultdict(float)
    leaves: dict[str, float] = defaultdict(float)

    def visit(frame, path):
        # time spent in a frame itself: its synthetic "[self]" child, or the whole of a real leaf
        if frame.is_synthetic_leaf or not frame.children:
            owner = path[:-1] if frame.is_synthetic else path
            if owner:
                shares[kind_of(owner)] += frame.time
                leaves[
                    f"{owner[-1].function} ({where(owner[-1]).split('site-packages/')[-1]}:{owner[-1].line_no})"
                ] += frame.time
        if frame.is_synthetic:
            return
        for label, fragment, function in FUNCTIONS:
            if fragment in where(frame) and (function is None or frame.function == function):
                outer = [f for f in path[:-1] if fragment in where(f) and (function is None or f.function == function)]
                if not outer:
                    inclusive[label] += frame.time

    walk(root, [], visit)
    busy = total - shares.get(IDLE_LABEL, 0)
    lines = [
        f"{requests} requests, {total:.2f} s sampled, {busy / total:.0%} busy; "
        f"{busy / max(requests, 1) * 1000:.2f} ms of CPU per request in this worker",
        "",
        "| kind of work | share of busy time | ms per request |",
        "| --- | ---: | ---: |",
    ]
    for label, seconds in sorted(shares.items(), key=lambda kv: -kv[1]):
        if label == IDLE_LABEL:
            continue
        lines.append(f"| {label} | {seconds / busy:.1%} | {seconds / requests * 1000:.3f} |")
    lines += [
        "",
        "| function (inclusive, outermost call) | share of busy time | ms per request |",
        "| --- | ---: | ---: |",
    ]
    for label, _, _ in FUNCTIONS:
        if inclusive.get(label):
            lines.append(f"| {label} | {inclusive[label] / busy:.1%} | {inclusive[label] / requests * 1000:.3f} |")
    lines += [
        "",
        f"Top {top} frames by self time: "
        + "; ".join(
            f"{name} {seconds / total:.1%}" for name, seconds in sorted(leaves.items(), key=lambda kv: -kv[1])[:top]
        ),
    ]
    return "\n".join(lines)


async def serve_and_load(
    app_path: str,
    url_path: str,
    lines: Path | None,
    seconds: int,
    connections: int,
    interval: float,
    html: Path | None,
    label: str,
) -> str:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config
    from pyinstrument import Profiler

    module, name = app_path.split(":")
    app = getattr(importlib.import_module(module), name)
    port = benchmark.free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    shutdown = asyncio.Event()
    server = asyncio.ensure_future(serve(app, config, shutdown_trigger=shutdown.wait))
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.1)

    async def wrk(duration: int) -> dict:
        command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
        command += (
            ["-s", str(ROOT / "bench" / "requests.lua"), url, "--", str(lines), "2"] if lines else [url + url_path]
        )
        process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        output = (await process.communicate())[0].decode()
        import re

        return {
            "requests": int(re.search(r"(\d+) requests in", output).group(1)),
            "errors": int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1]),
        }

    await wrk(2)  # warm up: pool, caches, Jinja's compiled templates
    profiler = Profiler(interval=interval, async_mode="disabled")
    profiler.start()
    result = await wrk(seconds)
    session = profiler.stop()
    shutdown.set()
    await server
    if html is not None:
        html.mkdir(parents=True, exist_ok=True)
        (html / f"{label}.html").write_text(profiler.output_html())
    return f"errors (non-2xx/3xx): {result['errors']}\n" + analyse(session, result["requests"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("endpoints", nargs="+", choices=["add", "product", "listing"])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--interval", type=float, default=0.0005, help="sampling interval in seconds")
    parser.add_argument("--only", choices=["shop", "bare"], help="profile one side only")
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML reports into this folder")
    args = parser.parse_args()

    settings = asyncio.run(benchmark.ensure_catalogue(benchmark.SMALL_DATABASE, 10_000))
    os.environ.update(MOONCART_DATABASE_URL=settings.url, MOONCART_SECRET_KEY=benchmark.SECRET)
    signers = benchmark.Signers(settings)
    workdir = Path(tempfile.mkdtemp(prefix="mooncart-profile-"))
    files, guests = benchmark.prepare_bag_requests(settings, signers, workdir)
    conn = benchmark.sync_connect(settings)
    with conn.cursor() as cur:
        cur.execute("SELECT slug FROM products WHERE id = 5000")
        slug = cur.fetchone()["slug"]
    conn.close()
    targets = {
        "add": ("/bag/add", files["add"], files["bare"]),
        "product": (f"/products/{slug}", None, None),
        "listing": ("/c/kurtis", None, None),
    }
    import uvloop

    for endpoint in args.endpoints:
        path, shop_lines, bare_lines = targets[endpoint]
        for side, app_path, lines in (("shop", "mooncart.asgi:app", shop_lines), ("bare", "bare_app:app", bare_lines)):
            if args.only and side != args.only:
                continue
            benchmark.reset_bags(settings, guests)
            started = time.monotonic()
            report = uvloop.run(
                serve_and_load(
                    app_path,
                    path,
                    lines,
                    args.seconds,
                    args.connections,
                    args.interval,
                    args.html,
                    f"{endpoint}-{side}",
                )
            )
            print(
                f"\n### {endpoint}, {'Mooncart' if side == 'shop' else 'bare reference'} "
                f"(wrk -c{args.connections}, {time.monotonic() - started:.0f} s)\n\n{report}",
                flush=True,
            )
    benchmark.reset_bags(settings, guests)


if __name__ == "__main__":
    main()
