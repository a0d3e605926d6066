"""When a request counts as arrived whole: the rule the keeper and serving processes share."""

import socket
import time

import pytest

from civicgraph.webapp.arrival import WINDOW, Arrival

RULE = Arrival.for_limits([1 << 20, 64 << 20])

GET = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n"


def _post(*headers: str) -> bytes:
    lines = ["POST /sparql HTTP/1.1", "Host: x", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", False),
        (b"GET /sparql?query=ASK", False),
        (GET[:-2], False),
        (GET, True),
        (GET + b"GET /", True),  # the next request need not be whole
        (_post("Content-Length: 8") + b"ASK {", False),
        (_post("Content-Length: 8") + b"ASK { } ", True),
        (_post("content-length:  8 ") + b"ASK { } ", True),
        (_post("Content-Length: 0"), True),
        (_post(f"Content-Length: {WINDOW}") + b"#" * 100, False),  # waits to fill the window
        (_post(f"Content-Length: {WINDOW}") + b"#" * WINDOW, True),  # then is read on
        (_post(f"Content-Length: {(64 << 20) + 1}"), True),  # over every limit: 413 at once
        (_post("Content-Length: x8"), True),  # malformed: the parser refuses it
        (_post("Transfer-Encoding: chunked") + b"4\r\nASK{\r\n", False),
        (_post("Transfer-Encoding: chunked") + b"4\r\nASK{\r\n1\r\n}\r\n0\r\n", False),
        (_post("Transfer-Encoding: chunked") + b"4\r\nASK{\r\n1\r\n}\r\n0\r\n\r\n", True),
        (_post("Transfer-Encoding: chunked") + b"4;x=y\r\nASK{\r\n0\r\nA: b\r\n\r\n", True),
        (_post("Transfer-Encoding: chunked") + b"5\r\nab0\r\n\r\n", False),  # data, not end
        (_post("Transfer-Encoding: chunked") + b"zz\r\n", True),  # malformed size
        (b"G" * WINDOW, True),  # a full window is read on, for the parser to refuse
    ],
)
def test_whole(data: bytes, expected: bool) -> None:
    assert RULE.whole(data[:WINDOW]) is expected


@pytest.mark.parametrize(
    "data",
    [
        _post("Transfer-Encoding: chunked") + b"1\r\nx\r\n" * ((WINDOW - 200) // 6),
        b"\r\n" * (WINDOW // 2 - 1),
        _post(*(["Content-Length: 1"] * ((WINDOW - 100) // 20))),
    ],
    ids=["tiny-chunks", "line-ends", "many-headers"],
)
def test_the_largest_adversarial_window_is_read_within_a_second(data: bytes) -> None:
    assert len(data) < WINDOW
    started = time.perf_counter()
    RULE.whole(data)
    assert time.perf_counter() - started < 1.0


def test_arrived_reads_nothing_and_waits_at_most_as_asked() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()) as client:
            accepted, _ = server.accept()
            with accepted:
                started = time.perf_counter()
                assert not RULE.arrived(accepted, 0.05)
                assert time.perf_counter() - started < 0.5
                client.sendall(GET)
                assert RULE.arrived(accepted, 1.0)
                assert accepted.recv(len(GET)) == GET  # still unread
                client.shutdown(socket.SHUT_WR)
                assert RULE.arrived(accepted)  # the end: reading it does not wait


def test_the_window_shrinks_to_the_smallest_body_limit() -> None:
    small = Arrival.for_limits([10_000, 64 << 20])
    assert small.window == 10_001
    assert RULE.window == WINDOW
    chunked = _post("Transfer-Encoding: chunked") + b"2710\r\n" + b"#" * 10_000
    assert not RULE.whole(chunked)
    assert small.whole(chunked)  # past the limit: refused without its end
