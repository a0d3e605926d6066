"""Property-based fuzzing of ``/sparql``, ``/update`` and ``/store``.

Inputs are generated, or mutated from valid ones (slices cut, hostile tokens and
invalid UTF-8 spliced in), in every format the endpoint reads. Whatever comes in, the
answer is never a 500; a refusal is a 4xx in the one JSON error shape; and a refused
write leaves the store exactly as it was.
"""

import socket
import threading
from collections.abc import Iterator
from urllib.parse import quote_from_bytes

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode, Triple, serialize
from werkzeug.test import TestResponse

from civicgraph.formats import FORMATS, Kind
from tests.security.conftest import AUTH
from tests.security.snapshots import snapshot

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
QUERIES = [
    "SELECT ?s WHERE { ?s a ?t } LIMIT 5",
    "ASK { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3",
    "DESCRIBE <https://w3id.org/civicgraph/id/org/18f>",
    "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }",
    'PREFIX ex: <http://example.org/> SELECT * { ?s ?p "x"@en FILTER(REGEX(?s, "a")) } LIMIT 2',
]
UPDATES = [
    "INSERT DATA { GRAPH <http://example.org/f> "
    '{ <http://example.org/a> <http://example.org/b> "c" } }',
    "DELETE WHERE { GRAPH <http://example.org/f> { ?s ?p ?o } }",
    "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 } ; "
    "CLEAR GRAPH <http://example.org/missing>",
    "DROP SILENT GRAPH <http://example.org/f>",
    "INSERT DATA { <http://example.org/a> <http://example.org/b> 2 } ; "
    "LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <http://example.org/f>",
]
HOSTILE = [
    "{", "}", "<", ">", '"', "\\", "#", "\n", "\x00", "é", "😀", "?x", ";", "'''",
    "SERVICE <http://127.0.0.1:9/> { ?a ?b ?c }", "LOAD <http://127.0.0.1:9/>",
    "<script>alert(1)</script>", "GRAPH ../../etc/passwd", "%00", "\u202e",
]  # fmt: skip
INVALID_UTF8 = [b"\xff", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]
ACCEPTS = [
    "application/json",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/turtle",
    "application/n-triples;q=0.5, */*;q=0.1",
    "text/html",
    "*/*",
    "nonsense/type",
    "",
]
GRAPH_TARGETS = [
    "graph=http%3A%2F%2Fexample.org%2Fg",
    "default",
    "graph=..%2F..%2Fetc%2Fpasswd",
    "graph=not%20an%20iri",
    "graph=",
    "graph=http%3A%2F%2Fexa%00mple.org%2F",
    "graph=%FF%FE",
    "graph=file%3A%2F%2F%2Fetc%2Fpasswd",
    "graph=http%3A%2F%2Fexample.org%2Fg&default",
]
RDF_TYPES = [f.media_type for f in FORMATS if Kind.GRAPH in f.kinds]
MEDIA_TYPES = [
    *RDF_TYPES,
    "text/plain",
    "application/octet-stream",
    "",
    "text/turtle; charset=latin1",
]


@st.composite
def mutated(draw: st.DrawFn, valid: list[str]) -> bytes:
    """A valid text with up to three cuts, splices of hostile tokens, or bad bytes."""
    data = draw(st.sampled_from(valid)).encode()
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        choice = draw(st.integers(0, 3))
        if choice == 0:
            data = data[:at] + data[at + draw(st.integers(1, 20)) :]
        elif choice == 1:
            data = data[:at] + draw(st.sampled_from(HOSTILE)).encode() + data[at:]
        elif choice == 2:
            data = data[:at] + draw(st.sampled_from(INVALID_UTF8)) + data[at:]
        else:
            data = data[:at]
    return data


def texts(valid: list[str]) -> st.SearchStrategy[bytes]:
    """Mutations of valid texts, or arbitrary text, or arbitrary bytes."""
    return st.one_of(
        mutated(valid),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.binary(max_size=200),
    )


_TERMS = st.builds(lambda s: NamedNode(f"http://example.org/{s}"), st.text("abc", min_size=1))
_TRIPLES = st.lists(
    st.builds(Triple, _TERMS, _TERMS, st.one_of(_TERMS, st.text(max_size=20).map(Literal))),
    max_size=5,
)


@st.composite
def rdf_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    """A serialization of generated triples in some format, perhaps mutated, and a type."""
    fmt = draw(st.sampled_from([f for f in FORMATS if Kind.GRAPH in f.kinds]))
    body = serialize(draw(_TRIPLES), format=fmt.rdf_format) or b""
    if draw(st.booleans()):
        at = draw(st.integers(0, len(body)))
        splice = draw(st.sampled_from([*INVALID_UTF8, *(h.encode() for h in HOSTILE)]))
        body = body[:at] + splice + body[at + draw(st.integers(0, 10)) :]
    media_type = draw(st.one_of(st.just(fmt.media_type), st.sampled_from(MEDIA_TYPES)))
    return body, media_type


def _form(name: str, body: bytes) -> bytes:
    return f"{name}=".encode() + quote_from_bytes(body).encode()


def _send(
    client: FlaskClient, path: str, name: str, body: bytes, how: str, **kw: object
) -> TestResponse:
    """Send ``body`` as the ``name`` parameter: in the URL, as a form, or as the body."""
    headers = dict(kw.pop("headers", {}))  # type: ignore[call-overload]
    if how == "url":
        return client.get(f"{path}?{_form(name, body).decode('ascii')}", headers=headers)
    if how == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return client.post(path, data=_form(name, body), headers=headers)
    headers["Content-Type"] = f"application/sparql-{name}"
    return client.post(path, data=body, headers=headers)


def _assert_clear_answer(response: TestResponse, accept: str) -> None:
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.data[:300]
    if response.status_code >= 400 and accept == "application/json":
        body = response.get_json()
        assert set(body) >= {"error", "status", "detail"}
        assert body["status"] == response.status_code


@pytest.fixture
def client(secure_app: Flask) -> FlaskClient:
    """A client of the shared writable application (hypothesis reuses it across inputs)."""
    return secure_app.test_client()


@FUZZ
@given(
    body=texts(QUERIES),
    how=st.sampled_from(["url", "form", "body"]),
    accept=st.sampled_from(ACCEPTS),
)
def test_sparql_never_fails_with_a_500(
    client: FlaskClient, body: bytes, how: str, accept: str
) -> None:
    response = _send(client, "/sparql", "query", body, how, headers={"Accept": accept})
    _assert_clear_answer(response, accept)


@FUZZ
@given(body=texts(UPDATES), how=st.sampled_from(["form", "body"]))
def test_update_refusals_are_4xx_and_change_nothing(
    client: FlaskClient, body: bytes, how: str
) -> None:
    before = snapshot(client)
    headers = {**AUTH, "Accept": "application/json"}
    response = _send(client, "/update", "update", body, how, headers=headers)
    _assert_clear_answer(response, "application/json")
    if response.status_code >= 400:
        assert snapshot(client) == before


@FUZZ
@given(
    upload=rdf_bodies(),
    target=st.sampled_from(GRAPH_TARGETS),
    method=st.sampled_from(["PUT", "POST"]),
)
def test_store_refusals_are_4xx_and_change_nothing(
    client: FlaskClient, upload: tuple[bytes, str], target: str, method: str
) -> None:
    body, media_type = upload
    before = snapshot(client)
    headers = {**AUTH, "Accept": "application/json", "Content-Type": media_type}
    response = client.open(f"/store?{target}", method=method, data=body, headers=headers)
    _assert_clear_answer(response, "application/json")
    if response.status_code >= 400:
        assert snapshot(client) == before


@FUZZ
@given(body=texts(UPDATES), method=st.sampled_from(["PUT", "POST", "DELETE"]))
def test_writes_without_the_token_are_401_and_change_nothing(
    client: FlaskClient, body: bytes, method: str
) -> None:
    before = snapshot(client)
    update = _send(client, "/update", "update", body, "body")
    graph = client.open("/store?default", method=method, data=body)
    assert (update.status_code, graph.status_code) == (401, 401)
    assert snapshot(client) == before


@pytest.fixture(scope="module")
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback TCP listener that records every connection it accepts."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                seen.append(conn.recv(1024))

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join(timeout=2)
    server.close()


def _fetching(port: int) -> list[tuple[str, str]]:
    """Spellings of SERVICE and LOAD that point at ``port``: (parameter, text)."""
    url = f"http://127.0.0.1:{port}/"
    return [
        ("query", f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"),
        ("query", f"select * {{ sErViCe SILENT <{url}> {{ ?s ?p ?o }} }}"),
        ("query", f"PREFIX x: <{url}> SELECT * {{ SERVICE x: {{ ?s ?p ?o }} }}"),
        ("query", f"BASE <{url}> SELECT * {{ SERVICE <> {{ ?s ?p ?o }} }}"),
        ("query", f"SELECT * {{ SERVICE#c\n<{url}> {{ ?s ?p ?o }} }}"),
        ("query", f"SELECT * {{ ?s ?p ?o OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}"),
        ("update", f"LOAD <{url}x.ttl>"),
        ("update", f"load silent <{url}x.ttl> into graph <http://example.org/g>"),
        ("update", f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"),
        ("update", f"BASE <{url}> LOAD <x.ttl>"),
    ]


def test_service_and_load_never_reach_the_network(
    client: FlaskClient, listener: tuple[int, list[bytes]]
) -> None:
    port, seen = listener
    statuses = []
    for name, text in _fetching(port):
        path = "/sparql" if name == "query" else "/update"
        response = _send(client, path, name, text.encode(), "form", headers=AUTH)
        statuses.append((text, response.status_code))
    assert [s for s in statuses if not 400 <= s[1] < 500] == []
    assert seen == []


@pytest.mark.parametrize(
    "second",
    ["CLEAR GRAPH <http://example.org/missing>", "LOAD <http://127.0.0.1:9/x.ttl>"],
    ids=["clear-missing-graph", "load"],
)
def test_an_update_failing_half_way_applies_nothing(client: FlaskClient, second: str) -> None:
    before = snapshot(client)
    text = f"INSERT DATA {{ <http://example.org/half> <http://example.org/way> 1 }} ; {second}"
    response = _send(client, "/update", "update", text.encode(), "body", headers=AUTH)
    assert 400 <= response.status_code < 500
    assert snapshot(client) == before
