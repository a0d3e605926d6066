"""How a serving process reads a request: what arrived whole never makes it wait long."""

import socket
import threading
import time

import pytest

from civicgraph.webapp.worker import HEAD_SECONDS, KEPT_SECONDS, ClientSocket
from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer

pytestmark = pytest.mark.timed


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


def test_bytes_the_keeper_gathered_count_as_read() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        client = ClientSocket(ours, None)
        client.unread(b"0123456789")  # what the keeper read of the body
        client.head_read(gathered=10)
        assert client.recv(100) == b"0123456789"
        late = threading.Timer(HEAD_SECONDS + 0.5, theirs.sendall, [b"rest"])
        late.start()
        try:
            assert client.recv(100) == b"rest"  # past what was gathered: it may pause
        finally:
            late.join()


WHOLE = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n"


def _after_a_pause(sent: bytes, *, elsewhere: bool = False) -> tuple[bool, float]:
    """Close an answered, kept connection while, 0.2 s later, its client sends ``sent``
    (or other work arrives ``elsewhere``); whether its next request is served here, and
    how long the process waited to know."""
    ours, theirs = socket.socketpair()
    work, arriving = socket.socketpair()
    with ours, theirs, work, arriving:
        client = ClientSocket(ours, None, [work])
        client.keep = True
        later = threading.Timer(0.2, (arriving if elsewhere else theirs).sendall, [sent])
        later.start()
        started = time.monotonic()
        try:
            client.shutdown(socket.SHUT_RDWR)
        finally:
            later.join()
        return client.reused, time.monotonic() - started


def test_a_client_that_pauses_between_requests_is_served_here() -> None:
    """The process that answered waits on the connection while it has nothing else to
    do: the next request comes to it directly, not through the master."""
    reused, waited = _after_a_pause(WHOLE)
    assert reused
    assert waited < KEPT_SECONDS


def test_other_work_ends_the_wait_for_a_kept_connection_at_once() -> None:
    reused, waited = _after_a_pause(b"c", elsewhere=True)
    assert not reused  # the connection goes to the master; the process takes the work
    assert waited < KEPT_SECONDS * 0.9


def test_a_kept_connection_whose_next_request_is_not_whole_is_not_waited_for() -> None:
    reused, waited = _after_a_pause(WHOLE[:20])
    assert not reused  # the master's keeper gathers the rest
    assert waited < KEPT_SECONDS * 0.9


@pytest.mark.server
def test_a_token_holders_chunked_upload_may_pause_past_what_was_gathered(
    writable_server: LiveServer,
) -> None:
    """An upload larger than the keeper gathers goes on to a serving process with its
    rest still coming: a pause of seconds there is the route's to judge, not a cut."""
    rows = [f'<urn:s{i}> <urn:p> "value {i} {"x" * 40}" .\n'.encode() for i in range(30_000)]
    body = b"".join(rows)
    first, rest = body[: len(body) // 2], body[len(body) // 2 :]
    head = (
        "PUT /store?graph=urn:paused-upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {WRITE_TOKEN}\r\nContent-Type: application/n-triples\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", writable_server.port)) as conn:
        conn.sendall(head + b"%x\r\n" % len(first) + first + b"\r\n")
        conn.sendall(b"%x\r\n" % len(rest) + rest[:1000])  # past the keeper's cap
        time.sleep(HEAD_SECONDS * 2.5)  # well within the body's pause limit
        conn.sendall(rest[1000:] + b"\r\n0\r\n\r\n")
        conn.settimeout(60)
        answer = conn.recv(100)
    assert answer.startswith(b"HTTP/1.1 201 "), answer
