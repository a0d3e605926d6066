"""The Graph Store Protocol over real HTTP: every RDF format in and out, statuses, atomicity."""

import uuid

import pytest
import requests
from pyoxigraph import Literal, NamedNode, Triple
from rdflib import Graph
from rdflib.compare import isomorphic

from civicgraph.formats import Format, Kind, formats_for
from civicgraph.store.results import serialize_triples
from tests.conformance.w3c import parse_rdf
from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer

pytestmark = pytest.mark.server
AUTH = {"Authorization": f"Bearer {WRITE_TOKEN}"}
TRIPLES = [
    Triple(NamedNode("http://example.org/s"), NamedNode("http://example.org/p"), Literal("é x")),
    Triple(NamedNode("http://example.org/s"), NamedNode("http://example.org/q"), Literal("2")),
]
UPLOAD_FORMATS = [f for f in formats_for(Kind.GRAPH) if f.name != "n3"]


def fresh_graph() -> str:
    return f"http://example.org/graph/{uuid.uuid4().hex}"


def put(server: LiveServer, graph: str, body: bytes, content_type: str) -> requests.Response:
    return requests.put(
        f"{server.url}/store",
        params={"graph": graph},
        data=body,
        headers={**AUTH, "Content-Type": content_type},
        timeout=10,
    )


def expected() -> Graph:
    return parse_rdf(serialize_triples(TRIPLES, formats_for(Kind.GRAPH)[0]), "text/turtle", "")


@pytest.mark.parametrize("fmt", UPLOAD_FORMATS, ids=lambda f: f.name)
def test_put_in_every_format_reads_back_the_same_graph(
    writable_server: LiveServer, fmt: Format
) -> None:
    graph = fresh_graph()
    created = put(writable_server, graph, serialize_triples(TRIPLES, fmt), fmt.media_type)
    back = requests.get(f"{writable_server.url}/store", params={"graph": graph}, timeout=10)
    assert created.status_code == 201
    assert isomorphic(parse_rdf(back.content, "text/turtle", ""), expected())


@pytest.mark.parametrize("fmt", UPLOAD_FORMATS, ids=lambda f: f.name)
def test_get_in_every_format(writable_server: LiveServer, fmt: Format) -> None:
    graph = fresh_graph()
    put(writable_server, graph, serialize_triples(TRIPLES, UPLOAD_FORMATS[0]), "text/turtle")
    response = requests.get(
        f"{writable_server.url}/store",
        params={"graph": graph},
        headers={"Accept": fmt.media_type},
        timeout=10,
    )
    assert response.headers["Content-Type"] == fmt.content_type
    assert isomorphic(parse_rdf(response.content, fmt.media_type, ""), expected())


def test_second_put_answers_204(writable_server: LiveServer) -> None:
    graph = fresh_graph()
    put(writable_server, graph, b"<http://a> <http://b> <http://c> .", "application/n-triples")
    again = put(writable_server, graph, b"<http://a> <http://b> <http://d> .", "text/turtle")
    assert again.status_code == 204
    assert "Content-Type" not in again.headers


def test_head_carries_content_type_and_no_body(writable_server: LiveServer) -> None:
    graph = fresh_graph()
    put(writable_server, graph, b"<http://a> <http://b> <http://c> .", "text/turtle")
    response = requests.head(f"{writable_server.url}/store", params={"graph": graph}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert response.content == b""


def test_missing_graph_is_404_for_get_head_and_delete(writable_server: LiveServer) -> None:
    url, params = f"{writable_server.url}/store", {"graph": fresh_graph()}
    statuses = [
        requests.get(url, params=params, timeout=10).status_code,
        requests.head(url, params=params, timeout=10).status_code,
        requests.delete(url, params=params, headers=AUTH, timeout=10).status_code,
    ]
    assert statuses == [404, 404, 404]


def test_unparsable_body_is_400_and_changes_nothing(writable_server: LiveServer) -> None:
    graph = fresh_graph()
    put(writable_server, graph, b"<http://a> <http://b> <http://c> .", "text/turtle")
    bad = put(writable_server, graph, b"<http://a> <http://b> .", "text/turtle")
    back = requests.get(f"{writable_server.url}/store", params={"graph": graph}, timeout=10)
    assert bad.status_code == 400
    assert bad.json()["line"] == 1
    assert "http://c" in back.text


def test_unknown_media_type_is_415(writable_server: LiveServer) -> None:
    response = put(writable_server, fresh_graph(), b"hello", "text/plain")
    assert response.status_code == 415
    assert "text/turtle" in response.json()["detail"]


def test_a_graph_upload_cannot_write_other_graphs(writable_server: LiveServer) -> None:
    body = b"<http://a> <http://b> <http://c> <http://example.org/elsewhere> ."
    response = put(writable_server, fresh_graph(), body, "application/n-quads")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "media_type"),
    [
        # A relative IRI first: a check that parsed without the load's base IRI failed
        # there and let the load write the named graph.
        (
            b'<rel> <http://b> "x" . '
            b"GRAPH <http://example.org/elsewhere> { <http://a> <http://b> 1 }",
            "application/trig",
        ),
        (
            b'{"@context": {"@base": "sub/"}, "@id": "rel", '
            b'"@graph": [{"@id": "http://a", "http://b": 1}]}',
            "application/ld+json",
        ),
        # N3's formulas are graphs named by blank nodes.
        (
            b"{ <http://a> <http://b> <http://c> } => { <http://d> <http://e> <http://f> } .",
            "text/n3",
        ),
    ],
    ids=["trig-relative-first", "json-ld-relative-base", "n3-formula"],
)
def test_no_graph_upload_writes_other_graphs(
    writable_server: LiveServer, body: bytes, media_type: str
) -> None:
    before = requests.get(f"{writable_server.url}/store", timeout=10).text
    response = put(writable_server, fresh_graph(), body, media_type)
    assert response.status_code == 400, response.text
    assert "a graph upload holds triples of one graph only" in response.json()["detail"]
    assert requests.get(f"{writable_server.url}/store", timeout=10).text == before


def test_post_to_the_store_creates_a_graph_and_says_where(writable_server: LiveServer) -> None:
    response = requests.post(
        f"{writable_server.url}/store",
        data=b"<http://a> <http://b> <http://c> .",
        headers={**AUTH, "Content-Type": "text/turtle"},
        timeout=10,
    )
    assert response.status_code == 201
    back = requests.get(
        f"{writable_server.url}/store", params={"graph": response.headers["Location"]}, timeout=10
    )
    assert back.status_code == 200


def test_empty_put_leaves_an_empty_graph(writable_server: LiveServer) -> None:
    graph = fresh_graph()
    put(writable_server, graph, b"", "text/turtle")
    back = requests.get(f"{writable_server.url}/store", params={"graph": graph}, timeout=10)
    assert back.status_code == 200


def test_whole_store_reads_as_trig(writable_server: LiveServer) -> None:
    response = requests.get(f"{writable_server.url}/store", timeout=10)
    assert response.headers["Content-Type"].startswith("application/trig")


def test_graph_and_default_together_are_400(writable_server: LiveServer) -> None:
    response = requests.get(
        f"{writable_server.url}/store?default&graph=http%3A%2F%2Fa%2F", timeout=10
    )
    assert response.status_code == 400
