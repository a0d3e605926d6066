"""Requests whose heads the parser cannot take are answered 400 at once, in JSON.

A head that ends its lines with bare LFs never ends for a parser of CRLF lines, and
two lengths (or a length beside chunking) leave the body's end unknown: such requests
were answered 408 after the keeper's idle time, or with gunicorn's HTML page.
"""

import socket
import time

import pytest

from tests.live import LiveServer
from tests.security.rawhttp import send

ASK = "/sparql?query=ASK%7B%7D"
QUERY = b"ASK { }\n"

MALFORMED = {
    "bare-lf-head": f"GET {ASK} HTTP/1.1\nHost: 127.0.0.1\nAccept: application/json\n\n".encode(),
    "two-lengths-body-short": b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/sparql-query\r\nContent-Length: 8\r\nContent-Length: 20\r\n\r\n"
    + QUERY,
    "length-and-chunked": b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/sparql-query\r\nContent-Length: 8\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n8\r\n" + QUERY + b"\r\n0\r\n\r\n",
    "header-without-colon": f"GET {ASK} HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon\r\n\r\n".encode(),
    "lf-line-then-crlf-blank": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\n\r\n",
    "coding-not-plain-chunked-head-only": b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Transfer-Encoding: chunked, gzip\r\nContent-Type: application/sparql-query\r\n\r\n",
}
#: Refusals by the keeper and by gunicorn's parser, each with the status it gets.
REFUSED = {
    "bare-lf-head": (MALFORMED["bare-lf-head"], 400),
    "header-without-colon": (MALFORMED["header-without-colon"], 400),
    "request-line-too-long": (f"GET /sparql?query={'a' * 9000} HTTP/1.1\r\n\r\n".encode(), 414),
    "head-too-long": (f"GET / HTTP/1.1\r\nX-A: {'a' * 40_000}\r\n\r\n".encode(), 431),
}


@pytest.mark.server
@pytest.mark.parametrize("request_bytes", list(MALFORMED.values()), ids=list(MALFORMED))
@pytest.mark.timed
def test_a_malformed_head_is_400_in_json_at_once(
    live_server: LiveServer, request_bytes: bytes
) -> None:
    started = time.monotonic()
    answer = send(live_server.port, request_bytes, close_writing=False)
    assert time.monotonic() - started < 2  # not the keeper's idle time (5 s)
    assert answer.status in (400, 501), answer
    error = answer.json()
    assert error["status"] == answer.status
    assert error["detail"]


@pytest.mark.server
def test_the_parsers_refusal_names_its_own_status(live_server: LiveServer) -> None:
    unknown_coding = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: xchunked\r\n"
        b"Content-Type: application/sparql-query\r\n\r\n5\r\nASK{}\r\n0\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as conn:
        conn.sendall(unknown_coding)
        status_line = conn.recv(65536).split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 501 Not Implemented"


@pytest.mark.server
@pytest.mark.parametrize(("request_bytes", "status"), list(REFUSED.values()), ids=list(REFUSED))
def test_a_refusal_before_the_application_carries_the_security_headers(
    live_server: LiveServer, request_bytes: bytes, status: int
) -> None:
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as conn:
        conn.sendall(request_bytes)
        head = b""
        while b"\r\n\r\n" not in head and (piece := conn.recv(65536)):
            head += piece
    lines = head.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    assert lines[0].split()[1] == str(status), lines[0]
    names = {line.split(":", 1)[0].lower() for line in lines[1:]}
    assert {"content-security-policy", "x-content-type-options", "x-frame-options"} <= names
