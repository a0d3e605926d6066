"""How a serving process reads a request: what arrived whole never makes it wait long."""

import socket
import threading
import time

from civicgraph.webapp.worker import HEAD_SECONDS, ClientSocket


def test_a_gathered_body_that_is_not_all_there_ends_at_the_head_time() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        client = ClientSocket(ours, None)
        theirs.sendall(b"HEAD")
        assert client.recv(100) == b"HEAD"
        client.head_read(gathered=10)
        theirs.sendall(b"12345")  # half of what the keeper said had arrived
        assert client.recv(100) == b"12345"
        started = time.monotonic()
        assert client.recv(100) == b""  # read as a client that left
        assert time.monotonic() - started < HEAD_SECONDS + 0.5


def test_past_the_gathered_bytes_reads_wait_as_the_route_says() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        client = ClientSocket(ours, None)
        client.head_read(gathered=4)
        ours.settimeout(HEAD_SECONDS * 5)  # a route's pause limit for its body
        theirs.sendall(b"1234")
        assert client.recv(100) == b"1234"
        assert ours.gettimeout() == HEAD_SECONDS * 5
        late = threading.Timer(HEAD_SECONDS + 0.5, theirs.sendall, [b"late"])
        late.start()
        try:
            assert client.recv(100) == b"late"  # a token holder's upload, still coming
        finally:
            late.join()
