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
