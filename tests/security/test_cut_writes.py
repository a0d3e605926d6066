"""Writes cut short by the client change nothing: all or nothing, over a raw socket.

A body shorter than its Content-Length, or a chunked body that never sends its
last chunk, is a client that gave up (or a connection that broke). What arrived
may still parse (N-Triples cut at a line end, an update cut after ``DROP …;``), so
the server must compare what it read with what was announced and refuse with 400.
"""

import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests

from tests.live import LiveServer
from tests.security.bulk import ntriples
from tests.security.conftest import AUTH
from tests.security.rawhttp import chunked, head, send

GRAPH = "http://example.org/cut-short"
TARGET = f"/store?graph={quote(GRAPH, safe='')}"
NT = "Content-Type: application/n-triples"
AUTHZ = f"Authorization: {AUTH['Authorization']}"
OLD = ntriples(1000, "old")
NEW = ntriples(1000, "new")
#: Two parts of this stay under the test server's upload limit.
PART = ntriples(400, "new")
#: A body refused at its head: smaller than what the server drains before it closes,
#: so the refusal is not lost to a reset while the client still sends.
REFUSED = ntriples(10, "new")
#: An update whose first operation alone would empty the graph.
UPDATE = (
    f"DROP GRAPH <{GRAPH}> ;\nINSERT DATA {{ GRAPH <{GRAPH}> {{ <{GRAPH}/s> <{GRAPH}/p> 1 }} }}"
).encode()
BOUNDARY = "cut-boundary"
MULTIPART = f"Content-Type: multipart/form-data; boundary={BOUNDARY}"


def _at_line_end(body: bytes, fraction: float = 0.4) -> bytes:
    """A prefix of ``body`` that ends at a line end, so that it still parses."""
    return body[: body.index(b"\n", int(len(body) * fraction)) + 1]


def _part(name: str, content: bytes) -> bytes:
    return (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name={name}; filename={name}.nt\r\n"
        f"Content-Type: application/n-triples\r\n\r\n"
    ).encode() + content


def _multipart(*contents: bytes) -> bytes:
    parts = [_part(f"f{i}", c) + b"\r\n" for i, c in enumerate(contents)]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


@pytest.fixture
def graph(guarded_server: LiveServer) -> Iterator[str]:
    """The target graph holding 1,000 triples; the whole store's N-Quads are the reference."""
    url = f"{guarded_server.url}{TARGET}"
    headers = {**AUTH, "Content-Type": "application/n-triples"}
    assert requests.put(url, data=OLD, headers=headers, timeout=30).status_code in (201, 204)
    yield _dump(guarded_server)
    requests.delete(url, headers=AUTH, timeout=30)


def _dump(server: LiveServer) -> str:
    """The whole store's N-Quads, sorted. This server's limits are small (3 s, 1 s on
    the last free process): on a busy machine the dump may be stopped with a 503, which
    says nothing of the writes under test, so it is asked again."""
    for pause in (0.5, 1.0, 2.0, None):
        response = requests.get(
            f"{server.url}/store", headers={"Accept": "application/n-quads"}, timeout=30
        )
        if response.status_code != 503 or pause is None:
            break
        time.sleep(pause)
    assert response.status_code == 200, response.text
    return "\n".join(sorted(response.text.splitlines()))


def _count(server: LiveServer) -> int:
    """The target graph's triples, read through the Graph Store (no query worker involved)."""
    response = requests.get(
        f"{server.url}{TARGET}", headers={"Accept": "application/n-triples"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return len(response.text.splitlines())


def _length(n: int) -> str:
    return f"Content-Length: {n}"


def _form(text: bytes) -> bytes:
    return b"update=" + quote(text, safe="").encode()


CUT = {
    "put-short-length": head("PUT", TARGET, NT, AUTHZ, _length(len(NEW))) + _at_line_end(NEW),
    "post-short-length": head("POST", TARGET, NT, AUTHZ, _length(len(NEW))) + _at_line_end(NEW),
    "put-chunked-no-last-chunk": head("PUT", TARGET, NT, AUTHZ, "Transfer-Encoding: chunked")
    + chunked(_at_line_end(NEW), last=False),
    "post-chunked-no-last-chunk": head("POST", TARGET, NT, AUTHZ, "Transfer-Encoding: chunked")
    + chunked(_at_line_end(NEW, 0.2), _at_line_end(NEW, 0.2), last=False),
    "put-multipart-cut-mid-part": head(
        "PUT", TARGET, MULTIPART, AUTHZ, _length(len(_multipart(PART, PART)))
    )
    + _at_line_end(_multipart(PART, PART), 0.7),
    "put-multipart-chunked-cut": head("PUT", TARGET, MULTIPART, AUTHZ, "Transfer-Encoding: chunked")
    + chunked(_at_line_end(_multipart(PART)), last=False),
    "put-multipart-without-closing-boundary": head(
        "PUT", TARGET, MULTIPART, AUTHZ, _length(len(_part("a", PART)))
    )
    + _part("a", PART),
    "update-short-length": head(
        "POST", "/update", "Content-Type: application/sparql-update", AUTHZ, _length(len(UPDATE))
    )
    + UPDATE[: UPDATE.index(b";") + 1],
    "update-form-short-length": head(
        "POST",
        "/update",
        "Content-Type: application/x-www-form-urlencoded",
        AUTHZ,
        _length(len(_form(UPDATE))),
    )
    + _form(UPDATE[: UPDATE.index(b";") + 1]),
    "update-chunked-no-last-chunk": head(
        "POST",
        "/update",
        "Content-Type: application/sparql-update",
        AUTHZ,
        "Transfer-Encoding: chunked",
    )
    + chunked(UPDATE[: UPDATE.index(b";") + 1], last=False),
    "update-chunk-cut-before-its-line-end": head(
        "POST",
        "/update",
        "Content-Type: application/sparql-update",
        AUTHZ,
        "Transfer-Encoding: chunked",
    )
    + chunked(UPDATE[: UPDATE.index(b";") + 1], last=False)[:-2],
}


MALFORMED = {
    "chunk-size-not-hex": head("PUT", TARGET, NT, AUTHZ, "Transfer-Encoding: chunked")
    + b"zz\r\n"
    + REFUSED
    + b"\r\n0\r\n\r\n",
    "chunk-longer-than-its-size": head("PUT", TARGET, NT, AUTHZ, "Transfer-Encoding: chunked")
    + f"{len(REFUSED) - 10:x}\r\n".encode()
    + REFUSED
    + b"\r\n0\r\n\r\n",
}


#: Each write refused, with the error it is refused with.
REFUSED_WRITES = {
    **{name: (sent, "Incomplete body") for name, sent in CUT.items()},
    **{name: (sent, "Malformed body") for name, sent in MALFORMED.items()},
}


@pytest.mark.server
@pytest.mark.parametrize(
    ("request_bytes", "error"), list(REFUSED_WRITES.values()), ids=list(REFUSED_WRITES)
)
def test_a_write_cut_short_or_framed_wrong_is_400_and_changes_nothing(
    guarded_server: LiveServer, graph: str, request_bytes: bytes, error: str
) -> None:
    answer = send(guarded_server.port, request_bytes)
    assert answer.status == 400, answer
    assert answer.json()["error"] == error
    assert _count(guarded_server) == 1000
    assert _dump(guarded_server) == graph


def _http10_put(body: bytes) -> bytes:
    lines = [f"PUT {TARGET} HTTP/1.0", "Host: 127.0.0.1", NT, AUTHZ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.mark.server
@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (_http10_put(REFUSED), 411),
        (
            head("PUT", TARGET, NT, AUTHZ, "Transfer-Encoding: gzip, chunked") + chunked(REFUSED),
            501,
        ),
    ],
    ids=["body-without-length-or-chunks", "transfer-coding-other-than-chunked"],
)
def test_a_body_without_framing_we_read_is_refused_and_changes_nothing(
    guarded_server: LiveServer, graph: str, request_bytes: bytes, status: int
) -> None:
    """HTTP/1.0 without Content-Length means an empty body: the PUT would empty the graph."""
    answer = send(guarded_server.port, request_bytes)
    assert answer.status == status, answer
    assert _dump(guarded_server) == graph


@pytest.mark.server
@pytest.mark.timed
def test_a_body_that_stops_arriving_is_408_after_the_idle_time(
    guarded_server: LiveServer, graph: str
) -> None:
    """The client keeps the connection open but sends no more: the master, which
    gathers the body, gives up on it; no serving process ever waited for it."""
    started = time.monotonic()
    request_bytes = head("PUT", TARGET, NT, AUTHZ, _length(len(NEW))) + _at_line_end(NEW)
    answer = send(guarded_server.port, request_bytes, close_writing=False)
    assert answer.status == 408, answer
    assert answer.json()["error"] == "Request timeout"
    assert time.monotonic() - started < 15
    assert _dump(guarded_server) == graph


@pytest.mark.server
def test_the_same_writes_sent_whole_do_apply(guarded_server: LiveServer, graph: str) -> None:
    """The refusals above are about the cut, not the request: whole, each one writes."""
    put = head("PUT", TARGET, MULTIPART, AUTHZ, _length(len(_multipart(PART, PART))))
    assert send(guarded_server.port, put + _multipart(PART, PART)).status == 204
    assert _count(guarded_server) == 400
    update = head(
        "POST",
        "/update",
        "Content-Type: application/sparql-update",
        AUTHZ,
        "Transfer-Encoding: chunked",
    )
    assert send(guarded_server.port, update + chunked(UPDATE)).status == 204
    assert _count(guarded_server) == 1
