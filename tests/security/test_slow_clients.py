"""Clients that send nothing, part of a request, or read nothing never hold the server.

A serving process answers one request at a time, so each of these would once hold
one until gunicorn's timeout (two minutes) or the body's pause limit: one per serving
process stalled every other client. Now such connections wait in the master's keeper
until their request has arrived whole (the keeper gathers a body too large for the
kernel's buffer), and are answered 408 when it does not within the idle time; an
answer its client does not read is finished by the keeper as the client reads it.
"""

import contextlib
import os
import socket
import struct
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from civicgraph.webapp.arrival import MOST_CHUNKS
from civicgraph.webapp.keeper import IDLE_SECONDS
from civicgraph.webapp.worker import KEPT_SECONDS
from tests.live import LiveServer, quiet_windows
from tests.security.rawhttp import send, send_until_answered

pytestmark = pytest.mark.timed

#: More than the serving processes of any machine the suite runs on (one per core, plus one).
MANY = (os.cpu_count() or 1) + 8
JSON = "application/sparql-results+json"
JSON_POST = (
    b"POST /query/labels.json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
)
HEAD = b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
#: Nearly as many one-byte chunks as the keeper follows: 98 KB, most of it framing.
ONE_BYTE_CHUNKS = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"1\r\n \r\n" * (MOST_CHUNKS - 10)
STALLS = {
    "idle": b"",
    "half-a-head": HEAD,
    "half-a-body": HEAD + b"Content-Length: 12\r\n\r\nASK {",
    "half-a-chunked-body": HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nASK {\r\n",
    # Within the JSON APIs' limit, larger than a kernel buffer holds unread.
    "large-body-announced": JSON_POST + b"Content-Length: 200000\r\n\r\n",
    "large-body-half-sent": JSON_POST + b"Content-Length: 200000\r\n\r\n" + b"[" * 100_000,
    # Whole, answered, and then neither read nor closed by the client.
    "answered-never-closed": HEAD + b"Content-Length: 6\r\n\r\nASK {}",
    "refused-never-closed": b"X\r\n\r\n",
    # gunicorn reads the length as 5, whatever the zeros.
    "length-with-zeros": HEAD + b"Content-Length: 000000000000000000005\r\n\r\n",
    "chunk-size-with-zeros": HEAD + b"Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nASK",
    # gunicorn ends a chunk line at a CRLF only, and waits for one.
    "chunked-ending-in-bare-lfs": HEAD + b"Transfer-Encoding: chunked\r\n\r\n0\n\n",
}


@pytest.fixture(params=["guarded_server", "remote_served"])
def served(request: pytest.FixtureRequest) -> LiveServer:
    """A server over an on-disk store, or over a remote one: both keep slow clients."""
    server: LiveServer = request.getfixturevalue(request.param)
    return server


@pytest.fixture
def stalled(served: LiveServer, request: pytest.FixtureRequest) -> Iterator[list[socket.socket]]:
    """``MANY`` connections that sent one kind of stall, left open."""
    with ExitStack() as stack:
        held = []
        for _ in range(MANY):
            conn = stack.enter_context(socket.create_connection(("127.0.0.1", served.port)))
            conn.sendall(STALLS[request.param])
            held.append(conn)
        yield held


@pytest.mark.server
@pytest.mark.parametrize("stalled", list(STALLS), indirect=True)
def test_stalled_connections_do_not_hold_the_server(
    served: LiveServer, stalled: list[socket.socket]
) -> None:
    time.sleep(0.2)  # every stalled connection is accepted before the query
    _assert_a_cheap_query_is_answered_at_once(served)


@pytest.mark.server
def test_one_byte_chunks_sent_on_slowly_do_not_hold_the_server(
    guarded_server: LiveServer,
) -> None:
    """Nearly as many one-byte chunks as the keeper follows, then a chunk a second: the
    keeper gathers such a body on, and answers 400 once it has more chunks than
    gunicorn's parser should follow. (Such a body once went on to a serving process at
    a sixth of the cap, and its route read the rest as it came, a chunk every 29 s.)

    Nor do they hold the keeper, which follows such bodies a slice at a time, in turn:
    a kept connection's next request and a request the keeper gathers are answered at
    once while they send and just after they leave. (The keeper once followed all they
    had sent first: seconds, and a kept connection waited for half a minute.)
    """
    with requests.Session() as kept:
        _assert_answered_at_once(kept, guarded_server)
        with ExitStack() as stack:
            held = _senders(stack, guarded_server, MANY, ONE_BYTE_CHUNKS)
            for _ in range(4):
                time.sleep(1)  # the kept connection goes to the keeper meanwhile
                for conn in held:
                    conn.sendall(b"1\r\n \r\n")
                _assert_a_cheap_query_is_answered_at_once(guarded_server)
                _assert_answered_at_once(kept, guarded_server)
            for conn in held:
                conn.sendall(b"1\r\n \r\n" * 10)  # past ``MOST_CHUNKS``
                assert conn.recv(12) == b"HTTP/1.1 400"
        _assert_a_gathered_request_is_answered_at_once(guarded_server)
        _assert_answered_at_once(kept, guarded_server)


def _senders(stack: ExitStack, server: LiveServer, count: int, sent: bytes) -> list[socket.socket]:
    """``count`` new connections that each sent ``sent``, closed when ``stack`` is."""
    held = [
        stack.enter_context(socket.create_connection(("127.0.0.1", server.port), timeout=30))
        for _ in range(count)
    ]
    for conn in held:
        conn.sendall(sent)
    return held


def _assert_answered_at_once(session: requests.Session, server: LiveServer) -> None:
    """``ASK {}`` on a kept connection is answered within a second."""
    started = time.monotonic()
    answer = session.get(f"{server.url}/sparql", params={"query": "ASK {}"}, timeout=30)
    assert answer.status_code == 200
    assert time.monotonic() - started < 1.0


def _assert_a_gathered_request_is_answered_at_once(server: LiveServer) -> None:
    """A query whose body comes after its head, so that the keeper gathers it, is
    answered within a second of its last byte."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        conn.sendall(HEAD + b"Connection: close\r\nContent-Length: 6\r\n\r\n")
        time.sleep(0.3)
        started = time.monotonic()
        conn.sendall(b"ASK {}")
        assert conn.recv(12) == b"HTTP/1.1 200"
        assert time.monotonic() - started < 1.0


#: Connections in a flood: most of what the keeper holds.
FLOOD = 300
#: A chunked head and 5,000 one-byte chunks (30 KB), never ended.
CHUNKED_FLOOD = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"1\r\n \r\n" * 5_000


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own: a flood leaves its keeper seconds of work after the test."""
    server = LiveServer(tmp_path / "store").start()
    yield server
    server.stop()


@pytest.mark.server
def test_a_flood_of_one_byte_chunks_holds_no_serving_process(own_server: LiveServer) -> None:
    """A serving process follows at most a slice of a chunked body as it accepts a
    connection, and none follows what is left of a request whose client closed its
    side: the keeper reads it on, in turn, and answers 400. (Serving processes once
    followed 32 KiB of each such connection, and then all that a closed one had sent:
    a query waited 2.5 s.)"""
    with ExitStack() as stack:
        flood = _senders(stack, own_server, FLOOD, CHUNKED_FLOOD)
        _assert_a_new_connection_is_answered_at_once(own_server)
        for conn in flood:
            conn.shutdown(socket.SHUT_WR)
        _assert_a_new_connection_is_answered_at_once(own_server)
        flood[-1].settimeout(30)
        assert flood[-1].recv(12) == b"HTTP/1.1 400"  # once the keeper reaches its end


#: What a flood of kept connections sends at once when they wake: 16 KiB of one-byte
#: chunks, or a 32 KiB head of ten thousand tiny lines (with a body to come).
WAKING = {
    "one-byte-chunks": HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"1\r\n \r\n" * 2_700,
    "a-head-of-tiny-lines": HEAD + b"a\r\n" * 10_800 + b"Content-Length: 9\r\n\r\nASK",
}


@pytest.mark.server
@pytest.mark.parametrize("sent", list(WAKING.values()), ids=list(WAKING))
def test_kept_connections_waking_at_once_do_not_hold_another(
    own_server: LiveServer, sent: bytes
) -> None:
    """The keeper follows at most a slice of a chunked body as it wakes a kept
    connection, then gathers the rest in turn, and reads no head of more fields than
    the parser takes. (It once followed 16 KiB of each in the same turn: 450 such
    connections held a kept one's next request for 3 s; and read a head of tiny lines
    a line at a time, 5 ms each: 300 held it for 2.8 s.)"""
    with requests.Session() as kept, ExitStack() as stack:
        _assert_answered_at_once(kept, own_server)
        flood = [stack.enter_context(_kept_connection(own_server)) for _ in range(FLOOD)]
        time.sleep(KEPT_SECONDS + 0.5)  # all of them idle in the keeper
        for conn in flood:
            conn.sendall(sent)
        _assert_answered_at_once(kept, own_server)


@pytest.mark.server
def test_whole_bodies_of_one_byte_chunks_are_refused_before_a_parser_follows_them(
    own_server: LiveServer,
) -> None:
    """gunicorn's parser follows a chunk in microseconds of Python, so the keeper
    refuses a body of more than ``MOST_CHUNKS`` chunks. (Four bodies of a million
    one-byte chunks, each within the query limit, held every serving process: a query
    waited 7.8 s.)"""
    body = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"1\r\n \r\n" * (1 << 20)
    with ThreadPoolExecutor(4) as senders:
        answers = [senders.submit(_send_whole, own_server, body + b"0\r\n\r\n") for _ in range(4)]
        time.sleep(0.5)
        _assert_a_new_connection_is_answered_at_once(own_server)
        assert [answer.result() for answer in answers] == [b"HTTP/1.1 400"] * 4


def _send_whole(server: LiveServer, request: bytes) -> bytes:
    """Send ``request`` (as much as is read of it) and read its answer's status line."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        with contextlib.suppress(OSError):  # refused, and closed, before its end
            conn.sendall(request)
        return conn.recv(12)


def _kept_connection(server: LiveServer) -> socket.socket:
    """A connection that had a query answered and is kept open."""
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    conn.sendall(b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while b"true" not in answer:
        answer += conn.recv(4096)
    return conn


def _assert_a_new_connection_is_answered_at_once(server: LiveServer) -> None:
    """A query sent whole on a new connection is answered within a second."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        conn.sendall(HEAD + b"Connection: close\r\nContent-Length: 6\r\n\r\nASK {}")
        assert conn.recv(12) == b"HTTP/1.1 200"
    assert time.monotonic() - started < 1.0


@pytest.mark.server
def test_a_trailer_line_longer_than_the_keeper_follows_is_refused(
    guarded_server: LiveServer,
) -> None:
    """gunicorn takes trailers of 256 KiB and would wait for such a line's end, a byte
    at a time if its client likes: the keeper answers instead of passing it on."""
    body = b"Transfer-Encoding: chunked\r\n\r\n5\r\nASK {\r\n0\r\nX-A: " + b"a" * 20_000
    started = time.monotonic()
    answer = send(guarded_server.port, HEAD + body, close_writing=False)
    assert answer.status == 400, answer
    assert answer.json()["error"] == "Chunk line too long"
    assert time.monotonic() - started < 2


@pytest.mark.server
def test_a_body_mostly_of_chunk_framing_is_refused_by_the_keeper(
    guarded_server: LiveServer,
) -> None:
    chunk = b"1;" + b"e" * 8000 + b"\r\n \r\n"
    head = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    answer, sent = send_until_answered(guarded_server.port, head, [chunk * 10] * 200)
    assert answer.status == 400, answer
    assert sent < 10 * 1024 * 1024
    assert answer.json()["error"] == "Chunk framing too long"


@pytest.mark.server
def test_a_request_that_stops_halfway_is_answered_408_after_the_idle_time(
    guarded_server: LiveServer,
) -> None:
    started = time.monotonic()
    answer = send(guarded_server.port, STALLS["half-a-body"], close_writing=False)
    assert answer.status == 408, answer
    assert answer.json()["error"] == "Request timeout"
    assert IDLE_SECONDS <= time.monotonic() - started < IDLE_SECONDS + 3


@pytest.mark.server
def test_a_head_sent_a_byte_at_a_time_is_answered_408_after_the_idle_time(
    guarded_server: LiveServer,
) -> None:
    with socket.create_connection(("127.0.0.1", guarded_server.port)) as conn:
        started = time.monotonic()
        conn.sendall(b"GET /sparql?query=ASK")
        conn.settimeout(0.5)
        answer = b""
        while not answer and time.monotonic() - started < IDLE_SECONDS + 3:
            conn.sendall(b"A")  # never a pause as long as the idle time
            try:
                answer = conn.recv(4096)
            except TimeoutError:
                continue
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert IDLE_SECONDS <= time.monotonic() - started < IDLE_SECONDS + 3


#: An answer of several MB over the bundled data (every triple, forty times).
_FORTY = " ".join(map(str, range(40)))
LARGE = f"SELECT ?s ?p ?o ?x WHERE {{ ?s ?p ?o VALUES ?x {{ {_FORTY} }} }}"


def _assert_a_cheap_query_is_answered_at_once(server: LiveServer) -> None:
    """``ASK {}`` is answered within 2 s: no held connection holds the server."""
    started = time.monotonic()
    answer = requests.get(f"{server.url}/sparql", params={"query": "ASK {}"}, timeout=30)
    assert answer.status_code == 200
    assert time.monotonic() - started < 2.0


def _large_request() -> bytes:
    target = "/sparql?" + urlencode({"query": LARGE})
    head = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {JSON}\r\n\r\n"
    return head.encode()


@pytest.mark.server
def test_clients_that_never_read_a_large_answer_do_not_hold_the_server(
    guarded_server: LiveServer,
) -> None:
    expected = requests.get(
        f"{guarded_server.url}/sparql",
        params={"query": LARGE},
        headers={"Accept": JSON},
        timeout=60,
    )
    assert expected.status_code == 200
    assert len(expected.content) > 2_000_000
    with ExitStack() as stack:
        readers = []
        for _ in range(MANY):
            conn = stack.enter_context(socket.socket())
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            conn.connect(("127.0.0.1", guarded_server.port))
            conn.sendall(_large_request())
            readers.append(conn)
        # Every answer written, as far as the clients let it (a busy machine takes longer).
        assert guarded_server.process is not None
        quiet_windows(guarded_server.process.pid, window=0.5, busy=0.1, most=60)
        _assert_a_cheap_query_is_answered_at_once(guarded_server)
        readers[0].settimeout(30)
        received = bytearray()
        while chunk := readers[0].recv(1 << 20):
            received += chunk
    _head, _, body = bytes(received).partition(b"\r\n\r\n")
    assert body == expected.content  # read late, the answer is whole


@pytest.mark.server
def test_a_head_longer_than_32_kib_is_answered_431_by_the_keeper(
    guarded_server: LiveServer,
) -> None:
    padding = b"".join(b"X-Pad%d: %s\r\n" % (i, b"a" * 8000) for i in range(5))
    answer = send(
        guarded_server.port, b"GET / HTTP/1.1\r\nHost: x\r\n" + padding, close_writing=False
    )
    assert answer.status == 431, answer
    assert answer.json()["status"] == 431


@pytest.mark.server
def test_a_client_that_waits_for_100_continue_is_answered_at_once(
    guarded_server: LiveServer,
) -> None:
    with socket.create_connection(("127.0.0.1", guarded_server.port), timeout=5) as conn:
        started = time.monotonic()
        conn.sendall(HEAD + b"Content-Length: 6\r\nExpect: 100-continue\r\n\r\n")
        assert conn.recv(25).startswith(b"HTTP/1.1 100 Continue")
        conn.sendall(b"ASK {}")
        received = b""
        while b"HTTP/1.1 200" not in received:
            chunk = conn.recv(4096)
            assert chunk, received
            received += chunk
        assert time.monotonic() - started < 1.0


def _leave_early(port: int, request: bytes, *, reset: bool) -> None:
    """Send a request whole, and go before reading its answer."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(request)
        if request.endswith(b"100-continue\r\n\r\n"):
            conn.recv(100)  # the interim answer, then no body
        if reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.mark.server
def test_clients_that_leave_before_their_answer_leave_no_traceback(
    guarded_server: LiveServer,
) -> None:
    page = b"GET /search?q=code HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    waits = HEAD + b"Content-Length: 20\r\nExpect: 100-continue\r\n\r\n"
    logged = guarded_server.log.stat().st_size
    for _ in range(20):
        _leave_early(guarded_server.port, page, reset=True)
        _leave_early(guarded_server.port, waits, reset=False)
    time.sleep(1.0)  # the answers written, or failed
    assert requests.get(f"{guarded_server.url}/sparql", params={"query": "ASK {}"}).ok
    with guarded_server.log.open("rb") as log:
        log.seek(logged)
        assert b"Traceback" not in log.read()
