"""Draining: what a worker does between being told to stop (SIGTERM, by `mooncart serve`) and
stopping. Live-stock streams end with a hint to reconnect, which lands on another instance
behind the balancer, and every response closes its connection, so the balancer stops reusing
it. Imports nothing of the shop's, so the stream code and the app can both use it."""

from __future__ import annotations

import asyncio
import os
import signal

RECONNECT = "event: reconnect\nretry: 1000\ndata: this server is restarting\n\n"  # data: htmx ignores a bare retry


class Draining(Exception):
    """This server is shutting down: end the stream so it can, and so the browser reconnects elsewhere."""


def begin_draining(app) -> None:
    """Called by `mooncart serve`'s workers on SIGTERM (with Granian, on SIGUSR1), before they
    stop accepting."""
    app.extensions["draining"] = True
    app.extensions["drain"].set()


def init_app(app) -> None:
    """Start not draining; drain on SIGUSR1 when asked, and close keep-alive connections while draining."""
    app.extensions["draining"], app.extensions["drain"] = False, asyncio.Event()

    @app.before_serving
    async def drain_on_signal() -> None:
        """Under granian, SIGUSR1 means: begin draining."""
        if os.environ.get("MOONCART_DRAIN_ON_SIGUSR1"):  # `mooncart serve --server granian` sends it
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, begin_draining, app)

    @app.after_request
    async def close_when_draining(response):
        """While draining, ask the client to close the connection so it reconnects to a live worker."""
        if app.extensions["draining"]:
            response.headers["Connection"] = "close"
        return response


async def next_change(queue: asyncio.Queue, drain: asyncio.Event, heartbeat_seconds: float) -> set[int]:
    """The next set of changed variants from a stream's queue; TimeoutError after a quiet
    heartbeat; Draining once `drain` (the app's drain event, set by begin_draining) is set."""
    if drain.is_set():
        raise Draining
    get, drained = asyncio.ensure_future(queue.get()), asyncio.ensure_future(drain.wait())
    try:
        done, _ = await asyncio.wait((get, drained), timeout=heartbeat_seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:  # also when the stream itself is cancelled (a closed tab): leave no waiter behind
        get.cancel()
        drained.cancel()
    if get in done:
        return get.result()
    if drained in done:
        raise Draining
    raise TimeoutError
