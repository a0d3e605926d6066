"""The plain request path reads requests as gunicorn does, or declines them."""

import socket
import struct
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.parser import RequestParser
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgraph.webapp.plainhttp import HEAD_BYTES, PlainRequest, PlainResponse
from tests.live import LiveServer

CLIENT = ("127.0.0.1", 50000)
SERVER = ("127.0.0.1", 8000)
#: Entries that are objects made per request, not values read from it.
OBJECTS = {"wsgi.input", "wsgi.errors", "wsgi.file_wrapper", "wsgi.early_hints", "gunicorn.socket"}
QUERY = "/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"})


def _gunicorn_environ(raw: bytes) -> dict[str, Any] | None:
    """gunicorn's environ for ``raw``, with its body under ``body``, or None when it
    refuses the request or bytes follow it."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.sendall(raw)
        ours.shutdown(socket.SHUT_WR)
        config = Config()
        config.set("limit_request_line", 8190)
        try:
            request = next(RequestParser(config, theirs, CLIENT))
            body = request.body.read()
            if request.unreader.buf.getvalue() or theirs.recv(1):
                return None
            _, environ = wsgi.create(request, theirs, CLIENT, SERVER, config)
        except Exception:  # any refusal of gunicorn's
            return None
    return {"body": body, **{k: v for k, v in environ.items() if k not in OBJECTS}}


def _ours(raw: bytes) -> dict[str, Any] | None:
    request = PlainRequest.read(raw)
    if request is None:
        return None
    environ = request.environ(wsgi.base_environ(Config()), None, CLIENT, SERVER, "")
    if environ is None:
        return None
    body = environ["wsgi.input"].read()
    return {"body": body, **{k: v for k, v in environ.items() if k not in OBJECTS}}


def _head(target: str, *headers: str, line_end: str = "\r\n", method: str = "GET") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", *headers]
    return (line_end.join(lines) + line_end + line_end).encode("latin-1")


def _post(body: bytes, *headers: str, length: str | None = None) -> bytes:
    """A POST of ``body`` to /sparql, its Content-Length ``length`` (by default, true)."""
    length = str(len(body)) if length is None else length
    return _head("/sparql", "Host: x", f"Content-Length: {length}", *headers, method="POST") + body


FORM = "Content-Type: application/x-www-form-urlencoded"
DIRECT = "Content-Type: application/sparql-query"
ASK = b"ASK { ?s ?p ?o }"
ACCEPTED = [
    _head(QUERY, "Host: example.org"),
    _head(QUERY, "Host: example.org:8000", "Accept: application/sparql-results+json"),
    _head(QUERY, "host:x", "Connection: Keep-Alive", "X-A: 1", "x-a: 2"),
    _head(QUERY, "Host: x", "Connection: close"),
    _head(QUERY, "Host: x", "Connection: Close", "connection: close"),
    _head("/", "Host: x", "User-Agent: curl/8.0 (a; b)\t"),
    _head("/sparql?query=a%20b&x=%ZZ", "Host: x"),
    _post(ASK, DIRECT),
    _post(b"query=ASK+%7B%7D", FORM, "Accept: text/csv"),
    _post(ASK),
    _post('ASK { ?s ?p "caf\u00e9" }'.encode(), DIRECT + "; charset=utf-8"),
]
DECLINED = [
    _head(QUERY, "Host: x", "Content-Length: 0"),
    _head(QUERY, "Host: x", "Transfer-Encoding: chunked"),
    _head(QUERY, "Host: x", "Connection: upgrade"),
    _head(QUERY, "Host: x", "Connection: close, te"),
    _head(QUERY, "Host: x", "Connection: close", "Connection: keep-alive"),
    _head(QUERY, "Host: x", "X-Forwarded-Proto: https"),
    _head(QUERY, "Host: x", "Forwarded: proto=https"),
    _head(QUERY, "Host: x", "Expect: 100-continue"),
    _head(QUERY, "Host: x", "Script_Name: /a"),
    _head(QUERY),
    _head(QUERY, "Host: x", "Host: y"),
    _head(QUERY, "Host: x", " folded"),
    _head(QUERY, "Host: x", "Bad Name: 1"),
    _head(QUERY, "Host: x", "X: caf\xe9"),
    _head(QUERY, "Host: x", line_end="\n"),
    _head("/a%2Fb", "Host: x"),
    _head("/a#b", "Host: x"),
    _head("//evil/sparql", "Host: x"),
    _head("http://x/sparql", "Host: x"),
    _head("/a b", "Host: x"),
    b"POST /sparql HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.0\r\nHost: x\r\n\r\n",
    _head(QUERY, "Host: x") + _head(QUERY, "Host: x"),
    _head(QUERY, "Host: x")[:-2],
    _head("/" + "a" * HEAD_BYTES, "Host: x"),
    _head(QUERY, "Host: x") + b"x",
    _head(QUERY, "Host: x", "Content-Type: text/plain"),
    _post(b""),
    _post(ASK, length="0" + str(len(ASK))),
    _post(ASK, length="+" + str(len(ASK))),
    _post(ASK, length=str(len(ASK) + 1)),
    _post(ASK, length=str(len(ASK) - 1)),
    _post(ASK, f"Content-Length: {len(ASK)}"),
    _post(ASK, DIRECT, DIRECT),
    _post(ASK, "Transfer-Encoding: chunked"),
    _post(ASK, "Expect: 100-continue"),
    _post(ASK, "Connection: upgrade"),
    _post(ASK) + _post(ASK),
    _head("/sparql", "Host: x", method="POST") + ASK,
    _post(b"a" * HEAD_BYTES),
]


@pytest.mark.parametrize("raw", ACCEPTED)
def test_an_accepted_request_has_gunicorns_environ(raw: bytes) -> None:
    ours = _ours(raw)
    assert ours is not None
    assert ours == _gunicorn_environ(raw)


@pytest.mark.parametrize("raw", DECLINED)
def test_anything_beyond_a_plain_request_is_left_to_gunicorn(raw: bytes) -> None:
    assert PlainRequest.read(raw) is None


@pytest.mark.parametrize(
    "header", ["X-Forwarded-Proto: https", "X-Forwarded-SSL: on", "X-Forwarded-Protocol: ssl"]
)
def test_a_forwarded_scheme_is_never_read_otherwise_than_gunicorn_reads_it(header: str) -> None:
    raw = _head(QUERY, "Host: x", header)
    assert _ours(raw) in (None, _gunicorn_environ(raw))


_NAMES = st.sampled_from(
    [
        *("Host", "host", "Accept", "X-Y", "Content-Length", "Transfer-Encoding", "Connection"),
        *("Expect", "X_Y", "Forwarded", "X-Forwarded-Proto", "X-Forwarded-SSL", "A B", "", "TE"),
    ]
)
_TEXT = st.one_of(
    st.sampled_from(["https", "on", "close", "keep-alive", "0", "6", "06", "chunked"]),
    st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=12),
)
_HEADERS = st.lists(st.tuples(_NAMES, st.sampled_from([":", ": ", ":\t", " :"]), _TEXT), max_size=6)
_TARGETS = st.one_of(
    st.just(QUERY),
    st.builds("/{}".format, _TEXT),
    st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=20),
)


@settings(max_examples=400, deadline=None)
@given(
    target=_TARGETS,
    headers=_HEADERS,
    end=st.sampled_from(["\r\n", "\n", "\r\n\r\n"]),
    tail=st.sampled_from(["", "x", "\r\n", "ASK {}", "ASK {}x"]),
    method=st.sampled_from(["GET", "POST"]),
)
def test_generated_requests_are_read_as_gunicorn_reads_them_or_declined(
    target: str, headers: list[tuple[str, str, str]], end: str, tail: str, method: str
) -> None:
    lines = ["Host: x", *(f"{name}{colon}{value}" for name, colon, value in headers)]
    raw = _head(target, *lines, line_end=end, method=method) + tail.encode()
    ours = _ours(raw)
    if ours is not None:
        assert ours == _gunicorn_environ(raw)


@pytest.mark.timed
def test_the_largest_head_is_read_at_once() -> None:
    worst = [_head("/" + "a." * 4000), _head("/", *["X:" + "\t" * 80] * 99)]
    started = time.monotonic()
    for raw in worst:
        for _ in range(100):
            PlainRequest.read(raw[:HEAD_BYTES])
    assert time.monotonic() - started < 2


def test_a_response_without_a_body_is_refused() -> None:
    with pytest.raises(ValueError, match="304"):
        PlainResponse().start_response("304 Not Modified", [])


def test_a_body_that_contradicts_its_length_is_refused() -> None:
    response = PlainResponse()
    response.start_response("200 OK", [("Content-Length", "5")])
    with pytest.raises(ValueError, match="Content-Length"):
        response.encode([b"abc"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with the bundled data."""
    live = LiveServer(tmp_path_factory.mktemp("plain") / "store", {}).start()
    yield live
    live.stop()


def _exchange(port: int, raw: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """Status line, headers (without Date) and body of the answer to ``raw``."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
        client.sendall(raw)
        received = b""
        while b"\r\n\r\n" not in received:
            received += client.recv(65536)
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        while len(body) < int(headers["Content-Length"]):
            body += client.recv(65536)
    headers.pop("Date")
    return lines[0].encode(), headers, body


@pytest.mark.parametrize(
    "target",
    [QUERY, "/sparql?" + urlencode({"query": "SELEC nothing"}), "/sparql?query=%FF"],
)
@pytest.mark.parametrize("connection", [(), ("Connection: close",)])
def test_a_plain_request_is_answered_as_gunicorn_answers_it(
    served: LiveServer, target: str, connection: tuple[str, ...]
) -> None:
    accept = "Accept: application/sparql-results+json"
    plain = _exchange(served.port, _head(target, "Host: x", accept, *connection))
    declined = _head(target, "Host: x", accept, *connection, "Content-Length: 0")
    assert plain == _exchange(served.port, declined)
    assert plain[1]["Connection"] == ("close" if connection else "keep-alive")


@pytest.mark.parametrize(
    ("body", "content_type", "kept"),
    [
        (ASK, DIRECT, "keep-alive"),
        (b"query=ASK+%7B+%3Fs+%3Fp+%3Fo+%7D", FORM, "keep-alive"),
        (b"SELEC nothing", DIRECT, "keep-alive"),
        (b"\xef\xbb\xbfASK {}", DIRECT, "keep-alive"),
        (b"ASK \xff", DIRECT, "close"),
        (b"query=%FF", FORM, "close"),
        (b"query=ASK+%7B%7D&format=csv", FORM, "keep-alive"),
        (b"query=ASK+%7B%7D&format=nothing", FORM, "close"),
        (ASK, "Content-Type: text/plain", "close"),
        (ASK, DIRECT + "; charset=latin-1", "close"),
    ],
)
def test_a_plain_post_is_answered_as_gunicorn_answers_it(
    served: LiveServer, body: bytes, content_type: str, kept: str
) -> None:
    """The same request, once whole in its first bytes and once with a length gunicorn
    reads and this reader declines (a leading zero): the same answer. The connection
    is kept when the plain path answered, which it leaves every request the fast
    path does not take to gunicorn."""
    accept = "Accept: application/sparql-results+json"
    status, headers, answer = _exchange(served.port, _post(body, content_type, accept))
    length = "0" + str(len(body))
    declined = _exchange(served.port, _post(body, content_type, accept, length=length))
    assert headers.pop("Connection") == kept
    assert declined[1].pop("Connection") == "close"
    assert (status, headers, answer) == declined


def test_a_client_that_asks_to_close_is_answered_and_closed(served: LiveServer) -> None:
    """urllib, and so SPARQLWrapper and rdflib's SPARQLStore, ask to close each time."""
    raw = _head(QUERY, "Host: x", "Accept: application/sparql-results+json", "Connection: close")
    assert PlainRequest.read(raw) is not None
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as client:
        client.sendall(raw)
        received = b""  # read to the end, which comes once the answer is sent
        while chunk := client.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 1
    assert b"\r\nConnection: close\r\n" in received


def test_a_request_that_arrives_in_pieces_is_answered(served: LiveServer) -> None:
    raw = _head(QUERY, "Host: x", "Accept: application/sparql-results+json")
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as client:
        for piece in (raw[:10], raw[10:40], raw[40:]):
            client.sendall(piece)
            time.sleep(0.05)
        assert client.recv(65536).startswith(b"HTTP/1.1 200 OK")


def _reset(port: int, request: bytes = b"") -> None:
    """Connect, optionally send, then close with a reset (SO_LINGER 0)."""
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    if request:
        client.sendall(request)
        client.recv(65536)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def test_a_reset_connection_does_not_end_a_serving_process(served: LiveServer) -> None:
    plain = _head(QUERY, "Host: x", "Accept: application/sparql-results+json")
    for _ in range(4):
        _reset(served.port)
        _reset(served.port, plain)
    time.sleep(0.5)
    assert _exchange(served.port, plain)[0] == b"HTTP/1.1 200 OK"
    logged = served.log.read_text(errors="replace")
    assert "ConnectionResetError" not in logged
    assert "Exception in worker process" not in logged


def test_a_head_read_again_gives_an_environ_of_its_own() -> None:
    """Heads are kept once read; each request still gets an environ of its own."""
    raw = _head(QUERY, "Host: example.org", "Accept: text/csv", "Accept: text/plain")
    first = _ours(raw)
    assert first is not None
    assert first["HTTP_ACCEPT"] == "text/csv,text/plain"
    first["HTTP_ACCEPT"] = "changed"
    assert _ours(raw) == _gunicorn_environ(raw)
