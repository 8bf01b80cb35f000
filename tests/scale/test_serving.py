"""`mooncart serve`'s first step on SIGTERM, alone: the listening socket stops taking new
connections (a balancer's dial fails, which it may always retry elsewhere) while a connection
already queued in it is still accepted and served."""

from __future__ import annotations

import socket

import pytest

from mooncart.serving import listening_socket, refuse_new_connections


def test_a_refusing_socket_takes_no_new_connection_but_serves_the_queued_one():
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    queued = socket.create_connection(("127.0.0.1", port), timeout=5)  # handshake done, not yet accepted
    try:
        refuse_new_connections(sock)
        with pytest.raises(OSError):  # its SYN is dropped: the dial times out (then the socket closes: refused)
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        accepted, _ = sock.accept()
        with accepted:
            queued.sendall(b"GET")
            assert accepted.recv(3) == b"GET"
            accepted.sendall(b"200")
            assert queued.recv(3) == b"200"
    finally:
        queued.close()
        sock.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


async def test_a_stream_waits_for_a_change_or_the_drain_and_leaves_no_waiter_behind():
    import asyncio

    from mooncart.draining import Draining, next_change

    queue, drain = asyncio.Queue(), asyncio.Event()
    queue.put_nowait({7})
    assert await next_change(queue, drain, 5) == {7}
    with pytest.raises(asyncio.TimeoutError):  # a quiet spell: the stream sends its heartbeat
        await next_change(queue, drain, 0.01)
    waiting = asyncio.create_task(next_change(queue, drain, 5))
    await asyncio.sleep(0.01)
    drain.set()  # SIGTERM: begin_draining()
    with pytest.raises(Draining):
        await waiting
    tab_queue, tab_drain = asyncio.Queue(), asyncio.Event()
    closed_tab = asyncio.create_task(next_change(tab_queue, tab_drain, 5))
    await asyncio.sleep(0.01)
    closed_tab.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closed_tab
    await asyncio.sleep(0)
    ours = {id(queue), id(drain), id(tab_queue), id(tab_drain)}
    left = [
        task
        for task in asyncio.all_tasks()
        if task.get_coro().cr_frame is not None and id(task.get_coro().cr_frame.f_locals.get("self")) in ours
    ]
    assert left == []  # no queue or drain waiter left running
