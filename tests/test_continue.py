"""``100 Continue`` goes out as the application reads the body, not before it runs.

A client that waits for it before sending a large upload hears a refusal from the
head (no token, too large) before sending a byte of the body, and a token holder's
upload still arrives and applies.
"""

import socket

import pytest
import requests

from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer

GRAPH = "urn:civicgraph:test:continue"
#: More than the keeper gathers (1 MiB), so a serving process reads the body.
BODY = b"".join(b'<urn:s%d> <urn:p> "%d" .\n' % (i, i) for i in range(60_000))
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def _put_head(length: int | None, *headers: str) -> bytes:
    """A PUT's head announcing ``length`` bytes, or a chunked body (None)."""
    framing = "Transfer-Encoding: chunked" if length is None else f"Content-Length: {length}"
    lines = [
        f"PUT /store?graph={GRAPH} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/n-triples",
        framing,
        "Expect: 100-continue",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _first_answer(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        assert piece, data
        data += piece
    return data


@pytest.mark.server
@pytest.mark.parametrize(
    ("length", "headers", "status"),
    [
        (50_000_000, (), b"401"),
        (len(BODY), ("Authorization: Bearer wrong",), b"401"),
        (65 * 1024 * 1024, (f"Authorization: Bearer {WRITE_TOKEN}",), b"413"),
        (None, (), b"401"),  # chunked: the master would gather it, and told it to go on
        (5_000, (), b"401"),  # small enough for the master to gather
    ],
    ids=["no-token", "wrong-token", "too-large", "chunked-no-token", "small-no-token"],
)
def test_a_write_refused_from_its_head_is_answered_before_the_body(
    writable_server: LiveServer, length: int | None, headers: tuple[str, ...], status: bytes
) -> None:
    with socket.create_connection(("127.0.0.1", writable_server.port), timeout=10) as conn:
        conn.sendall(_put_head(length, *headers))
        assert _first_answer(conn).startswith(b"HTTP/1.1 " + status)


@pytest.mark.server
def test_a_token_holder_waiting_for_continue_gets_it_and_the_upload_applies(
    writable_server: LiveServer,
) -> None:
    with socket.create_connection(("127.0.0.1", writable_server.port), timeout=30) as conn:
        conn.sendall(_put_head(len(BODY), f"Authorization: Bearer {WRITE_TOKEN}"))
        assert _first_answer(conn) == CONTINUE
        conn.sendall(BODY)
        assert _first_answer(conn).startswith(b"HTTP/1.1 201")
    count = requests.get(
        f"{writable_server.url}/sparql",
        params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    ).json()["results"]["bindings"][0]["n"]["value"]
    assert int(count) == 60_000
