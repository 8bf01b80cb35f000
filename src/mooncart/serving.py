"""`mooncart serve`: the shop's process manager, for hypercorn (the default) or Granian.

With hypercorn, this process is the master: it opens the listening socket, starts N worker
processes that share it (`python -m mooncart.serving`: hypercorn's own server loop with uvloop,
one app each), starts again any worker that dies, and on SIGTERM or SIGINT drains and exits:

1. every worker is told (SIGTERM) at once; each begins draining: live-stock streams end with a
   `retry:` hint, so browsers reconnect (through the balancer, to another instance), and after
   --drain-seconds (time for a balancer's health check to notice; 0 by default) it stops
   accepting; the listening socket closes when the last worker has let go of it, so a balancer
   dialling this instance is refused and tries the next one;
2. requests in flight finish (up to --graceful-seconds), then the pool closes;
3. the master exits with 0 once every worker has, and never starts them again.

We do not use `hypercorn --workers N` for this: on SIGTERM its master waits until the FIRST
worker has exited and then terminates the rest, whose requests in flight (a checkout waiting on
a payment) are cut off; and it stops every worker when one dies.

With Granian, `granian` is the master (it has its own graceful shutdown and worker respawn);
this process starts it, forwards SIGTERM/SIGINT to it and exits when it has."""

from __future__ import annotations

import signal
import socket
import subprocess  # nosec B404 # fixed argv, no shell
import sys
import time

SERVERS = ("hypercorn", "granian")


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(host: str, port: int, workers: int, access_log: bool, server: str = "hypercorn",
          graceful_seconds: float = 30, drain_seconds: float = 0) -> int:
    """Run the shop until SIGTERM/SIGINT; returns the exit code."""
    stopping = False
    children: dict[int, subprocess.Popen] = {}

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for child in list(children.values()):
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if server == "granian":
        args = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", host, "--port", str(port),
                "--workers", str(workers), "--loop", "uvloop", "--workers-kill-timeout", str(int(graceful_seconds)),
                "--respawn-failed-workers", "mooncart.asgi:app"]
        if access_log:
            args.append("--access-log")
        print(f"Mooncart is serving on http://{host}:{port}/ with {workers} Granian worker(s)", flush=True)
        return supervise(lambda slot: args, 1, children, lambda: stopping)

    sock = listening_socket(host, port)
    args = [sys.executable, "-m", "mooncart.serving", "--fd", str(sock.fileno()),
            "--graceful-seconds", str(graceful_seconds), "--drain-seconds", str(drain_seconds)]
    if access_log:
        args.append("--access-log")
    print(f"Mooncart is serving on http://{host}:{port}/ with {workers} worker(s)", flush=True)
    return supervise(lambda slot: args, workers, children, lambda: stopping, sock)


def supervise(argv, count: int, children: dict, stopping, sock: socket.socket | None = None) -> int:
    """Keep `count` children running until told to stop, then wait for them all."""
    pass_fds = (sock.fileno(),) if sock is not None else ()
    started: dict[int, float] = {}
    code = 0

    def start(slot: int) -> None:
        if time.monotonic() - started.get(slot, -10) < 2:
            time.sleep(1)  # a crash at start-up: do not spin
        started[slot] = time.monotonic()
        children[slot] = subprocess.Popen(argv(slot), pass_fds=pass_fds)  # nosec B603 # fixed argv, no shell

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
                code = code or exit_code
            else:
                print(f"mooncart serve: worker {child.pid} exited with {exit_code}; starting it again",
                      file=sys.stderr, flush=True)
                start(slot)
        if not children:
            return code
        time.sleep(0.05)


def run_worker(fd: int, graceful_seconds: float, drain_seconds: float, access_log: bool) -> None:
    """One hypercorn worker on the master's socket, draining on SIGTERM (see the module's doc)."""
    import asyncio

    import uvloop
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    from . import begin_draining
    from .asgi import app

    config = Config()
    config.bind = [f"fd://{fd}"]
    config.graceful_timeout = graceful_seconds
    if access_log:
        config.accesslog = "-"

    async def main() -> None:
        stop = asyncio.Event()

        async def drain() -> None:
            begin_draining(app)
            await asyncio.sleep(drain_seconds)
            stop.set()

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, lambda: loop.create_task(drain()))
        await hypercorn_serve(app, config, shutdown_trigger=stop.wait)

    uvloop.run(main())


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="one worker of `mooncart serve` (started by it)")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--graceful-seconds", type=float, default=30)
    parser.add_argument("--drain-seconds", type=float, default=0)
    parser.add_argument("--access-log", action="store_true")
    options = parser.parse_args()
    run_worker(options.fd, options.graceful_seconds, options.drain_seconds, options.access_log)
