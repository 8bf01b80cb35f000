"""`mooncart serve`: the shop's process manager, for hypercorn (the default) or Granian.

With hypercorn, this process is the master: it opens the listening socket, starts N worker
processes that share it (`python -m mooncart.serving`: hypercorn's own server loop with uvloop,
one app each), starts again any worker that dies, and on SIGTERM or SIGINT drains and exits:

1. the listening socket stops taking new connections at once (refuse_new_connections): a
   balancer's dial fails and it tries another instance; connections already queued are served;
2. every worker is told (SIGTERM); each begins draining: live-stock streams end with a `retry:`
   hint, so browsers reconnect (through the balancer, to another instance), and every response
   closes its connection, so the balancer stops reusing its keep-alive connections to us;
3. after --drain-seconds (1 s by default) each worker closes its idle connections; requests in
   flight finish (up to --graceful-seconds), then the pool closes;
4. the master exits with 0 once every worker has, and never starts them again.

We do not use `hypercorn --workers N` for this: on SIGTERM its master waits until the FIRST
worker has exited and then terminates the rest, whose requests in flight (a checkout waiting on
a payment) are cut off; and it stops every worker when one dies.

With Granian, `granian` is the master (it has its own graceful shutdown and worker respawn);
this process starts it and, on SIGTERM/SIGINT, first sends its workers SIGUSR1 (the app drains:
Granian does not tell an ASGI app that it is stopping until its connections have ended, so an
open live-stock stream would hold the stop until the kill timeout), then forwards the signal
and exits when Granian has."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess  # nosec B404 # fixed argv, no shell
import sys
import tempfile
import time
from pathlib import Path


def listening_socket(host: str, port: int) -> socket.socket:
    """One socket the workers share, so a restart never refuses a connection."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def refuse_new_connections(sock: socket.socket) -> None:
    """From now on the listening socket drops every packet it is sent (a one-instruction classic
    BPF filter, "return 0"; no privileges needed), in every process that shares it. A balancer
    dialling this instance gets no answer and, when its dial times out or the socket has closed,
    tries another instance: a failed dial, which is always safe to retry, even for a POST.
    Connections already waiting in the socket's queue are still accepted and served. Closing
    the socket instead would reset those, after the balancer had sent them a request (a 502)."""
    import ctypes
    import struct

    instructions = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0))  # BPF_RET|BPF_K, 0
    program = struct.pack("HL", 1, ctypes.addressof(instructions))  # struct sock_fprog
    try:
        sock.setsockopt(socket.SOL_SOCKET, 26, program)  # SO_ATTACH_FILTER (Linux)
    except OSError as error:  # not Linux: the workers' own close stops the accepting
        print(f"mooncart serve: could not stop new connections early ({error})", file=sys.stderr, flush=True)


def fresh_metrics_dir() -> tuple[str, bool]:
    """The directory the workers keep their Prometheus numbers in, empty (a worker's numbers
    from a previous start would otherwise be added in forever). The one named by
    PROMETHEUS_MULTIPROC_DIR is emptied and kept; without it a temporary one is made.
    Returns (path, whether to remove it afterwards)."""
    named = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not named:
        return tempfile.mkdtemp(prefix="mooncart-metrics-"), True
    directory = Path(named)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    return str(directory), False


def serve(
    host: str,
    port: int,
    workers: int,
    access_log: bool,
    server: str = "hypercorn",
    graceful_seconds: float = 30,
    drain_seconds: float = 1,
) -> int:
    """Run the shop until SIGTERM/SIGINT; returns the exit code. The workers share one empty
    metrics directory (PROMETHEUS_MULTIPROC_DIR), so /metrics adds up exactly this start's workers."""
    metrics_dir, temporary = fresh_metrics_dir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # inherited by every worker
    try:
        return _serve(host, port, workers, access_log, server, graceful_seconds, drain_seconds)
    finally:
        if temporary:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve(
    host: str, port: int, workers: int, access_log: bool, server: str, graceful_seconds: float, drain_seconds: float
) -> int:
    stopping = False
    children: dict[int, subprocess.Popen] = {}

    def stop(signum, _frame) -> None:
        """SIGTERM or SIGINT: stop accepting, then tell every worker to drain and stop."""
        nonlocal stopping
        if not stopping and sock is not None:
            refuse_new_connections(sock)
        stopping = True
        for child in list(children.values()):
            if child.poll() is None:
                if server == "granian":  # its workers learn of the stop from us: Granian tells the app nothing
                    for worker in child_pids(child.pid, excluding="resource_tracker"):
                        os.kill(worker, signal.SIGUSR1)
                child.send_signal(signum)

    sock = None if server == "granian" else listening_socket(host, port)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if server == "granian":
        args = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--loop",
            "uvloop",
            "--workers-kill-timeout",
            str(int(graceful_seconds)),
            "--respawn-failed-workers",
            "mooncart.asgi:app",
        ]
        if access_log:
            args.append("--access-log")
        os.environ["MOONCART_DRAIN_ON_SIGUSR1"] = "1"
        print(f"Mooncart is serving on http://{host}:{port}/ with {workers} Granian worker(s)", flush=True)
        return supervise(lambda slot: args, 1, children, lambda: stopping)

    assert sock is not None  # hypercorn: this process opened the socket above
    args = [
        sys.executable,
        "-m",
        "mooncart.serving",
        "--fd",
        str(sock.fileno()),
        "--graceful-seconds",
        str(graceful_seconds),
        "--drain-seconds",
        str(drain_seconds),
    ]
    if access_log:
        args.append("--access-log")
    print(f"Mooncart is serving on http://{host}:{port}/ with {workers} worker(s)", flush=True)
    return supervise(lambda slot: args, workers, children, lambda: stopping, sock)


def child_pids(parent: int, excluding: str) -> list[int]:
    """The processes whose parent is `parent`, but those whose command line has `excluding`
    (Linux: read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) != parent:
                        continue
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    if excluding.encode() not in cmdline.read():
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue  # it ended while we looked
    return found


def supervise(argv, count: int, children: dict, stopping, sock: socket.socket | None = None) -> int:
    """Keep `count` children running until told to stop, then wait for them all."""
    pass_fds = (sock.fileno(),) if sock is not None else ()
    started: dict[int, float] = {}
    code = 0

    def start(slot: int) -> None:
        """Start (or restart) the worker in a slot, pausing after a crash at start-up."""
        if slot in started and time.monotonic() - started[slot] < 2:
            time.sleep(1)  # a crash at start-up: do not spin
        if stopping():  # told to stop meanwhile: nobody would signal this one
            children.pop(slot, None)
            return
        started[slot] = time.monotonic()
        child = children[slot] = subprocess.Popen(argv(slot), pass_fds=pass_fds)  # nosec B603 # fixed argv, no shell
        if stopping():  # the signal came while it was being started
            child.terminate()

    for slot in range(count):
        start(slot)
    while True:
        if stopping() and sock is not None and sock.fileno() != -1:
            sock.close()  # only the workers hold it now: it stops listening when they stop accepting
        for slot, child in list(children.items()):
            exit_code = child.poll()
            if exit_code is None:
                continue
            if stopping():
                del children[slot]
                if exit_code not in (-signal.SIGTERM, -signal.SIGINT):  # those died starting: nothing to drain
                    code = code or exit_code
            else:
                print(
                    f"mooncart serve: worker {child.pid} exited with {exit_code}; starting it again",
                    file=sys.stderr,
                    flush=True,
                )
                start(slot)
        if not children:
            return code
        time.sleep(0.05)


def run_worker(fd: int, graceful_seconds: float, drain_seconds: float, access_log: bool) -> None:
    """One hypercorn worker on the master's socket, draining on SIGTERM (see the module's doc)."""
    for signum in (signal.SIGTERM, signal.SIGINT):  # until it serves there is nothing to drain
        signal.signal(signum, lambda *_: sys.exit(0))
    try:  # if the master is killed (-9), drain and exit rather than hold its port forever
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    import asyncio

    import uvloop
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    from .asgi import app
    from .draining import begin_draining

    config = Config()
    config.bind = [f"fd://{fd}"]
    config.graceful_timeout = graceful_seconds
    if access_log:
        config.accesslog = "-"

    async def main() -> None:
        """Serve until told to stop, then drain before the server ends."""
        stop = asyncio.Event()

        async def drain() -> None:
            """Say draining, give the load balancer time to notice, then stop."""
            begin_draining(app)
            await asyncio.sleep(drain_seconds)
            stop.set()

        loop = asyncio.get_running_loop()
        draining: set[asyncio.Task] = set()  # the loop keeps only a weak reference to a task
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, lambda: draining.add(loop.create_task(drain())))
        await hypercorn_serve(app, config, shutdown_trigger=stop.wait)

    uvloop.run(main())


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="one worker of `mooncart serve` (started by it)")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--graceful-seconds", type=float, default=30)
    parser.add_argument("--drain-seconds", type=float, default=1)
    parser.add_argument("--access-log", action="store_true")
    options = parser.parse_args()
    run_worker(options.fd, options.graceful_seconds, options.drain_seconds, options.access_log)
