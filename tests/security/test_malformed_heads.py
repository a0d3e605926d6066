"""Requests whose heads the parser cannot take are answered 400 at once, in JSON.

A head that ends its lines with bare LFs never ends for a parser of CRLF lines, and
two lengths (or a length beside chunking) leave the body's end unknown: such requests
were answered 408 after the keeper's idle time, or with gunicorn's HTML page.
"""

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
}


@pytest.mark.server
@pytest.mark.parametrize("request_bytes", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_head_is_400_in_json_at_once(
    live_server: LiveServer, request_bytes: bytes
) -> None:
    started = time.monotonic()
    answer = send(live_server.port, request_bytes, close_writing=False)
    assert time.monotonic() - started < 2  # not the keeper's idle time (5 s)
    assert answer.status == 400, answer
    error = answer.json()
    assert error["status"] == 400
    assert error["detail"]
