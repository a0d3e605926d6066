"""Every format and result shape answers 200 with a well-formed body, or 406 saying why.

Some results have no form in some formats: an RDF 1.2 triple term in JSON-LD, a
character XML 1.0 forbids in SPARQL XML or RDF/XML, a predicate IRI RDF/XML cannot
name. These used to be a 500 (JSON-LD) or ill-formed XML written with a 200.
"""

import csv
import io
import json
import xml.parsers.expat
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode, Quad, Store, Triple
from werkzeug.test import TestResponse

from civicgraph.config import Settings
from civicgraph.errors import CannotExpressError
from civicgraph.formats import FORMATS, Kind, by_name
from civicgraph.store.expressible import XML_FORBIDDEN, xml_forbidden_in
from civicgraph.store.native import write_natively
from civicgraph.store.results import GraphResult, SelectResult, serialize_result
from civicgraph.store.streams import materialize
from civicgraph.webapp import create_app

TRIPLE_TERM = "<<( <http://e.example/a> <http://e.example/b> <http://e.example/c> )>>"
S, P = "<http://e.example/s>", "<http://e.example/p>"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SHAPES = {
    "construct-triple-term": f"CONSTRUCT {{ {S} {P} {TRIPLE_TERM} }} WHERE {{}}",
    "construct-nul": f'CONSTRUCT {{ {S} {P} "a\\u0000b" }} WHERE {{}}',
    "construct-controls": f'CONSTRUCT {{ {S} {P} "\\u0001\\u000B\\uFFFE" }} WHERE {{}}',
    "construct-predicate-without-name": f'CONSTRUCT {{ {S} <http://e.example/1> "x" }} WHERE {{}}',
    "construct-type-without-name": f"CONSTRUCT {{ {S} a <http://e.example/1> }} WHERE {{}}",
    "construct-xmlns-type": f"CONSTRUCT {{ {S} a <http://www.w3.org/2000/xmlns/x> }} WHERE {{}}",
    "construct-rdf-li": f"CONSTRUCT {{ {S} <{RDF}li> 1 }} WHERE {{}}",
    "construct-rdf-bag-id": f"CONSTRUCT {{ {S} <{RDF}bagID> 1 }} WHERE {{}}",
    "construct-type-about-each": f"CONSTRUCT {{ {S} a <{RDF}aboutEach> }} WHERE {{}}",
    "construct-direction": f'CONSTRUCT {{ {S} {P} "x"@ar--rtl }} WHERE {{}}',
    "construct-blank-nodes": f"CONSTRUCT {{ _:a {P} _:b }} WHERE {{}}",
    "select-triple-term": f"SELECT ?t WHERE {{ BIND({TRIPLE_TERM} AS ?t) }}",
    "select-nul": 'SELECT ?t WHERE { BIND("a\\u0000b" AS ?t) }',
    "select-controls-and-cr": 'SELECT ?t WHERE { BIND("\\u0001\\r\\uFFFF" AS ?t) }',
    "select-direction": 'SELECT ?t WHERE { BIND("x"@en--ltr AS ?t) }',
    "select-unbound": "SELECT ?t ?u WHERE { BIND(1 AS ?t) }",
    "ask": "ASK {}",
}
XML_TYPES = {"application/sparql-results+xml", "application/rdf+xml"}
JSON_TYPES = {"application/sparql-results+json", "application/ld+json"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """An app over an on-disk store, so answers are serialized in a query worker."""
    path = tmp_path_factory.mktemp("formats") / "store"
    app = create_app(Settings(store=str(path), load_bundled=False))
    yield app.test_client()
    app.extensions["civicgraph"].store.close()


def _ask(client: FlaskClient, query: str, media: str) -> TestResponse:
    return client.get("/sparql", query_string={"query": query}, headers={"Accept": media})


def _well_formed_xml(body: bytes) -> None:
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.Parse(body, True)


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("media", [f.media_type for f in FORMATS])
def test_each_format_answers_well_formed_or_406(
    client: FlaskClient, shape: str, media: str
) -> None:
    response = client.get(
        "/sparql", query_string={"query": SHAPES[shape]}, headers={"Accept": media}
    )
    assert response.status_code in (200, 406), response.get_data(as_text=True)
    if response.status_code == 406:
        error = response.get_json()
        assert error["error"] == "Not acceptable"
        assert error["detail"]
        return
    if media in XML_TYPES:
        _well_formed_xml(response.data)
    if media in JSON_TYPES:
        json.loads(response.data)


@pytest.mark.parametrize(
    ("shape", "media", "reason"),
    [
        ("construct-triple-term", "application/ld+json", "RDF 1.2"),
        ("construct-nul", "application/rdf+xml", "U+0000"),
        ("construct-predicate-without-name", "application/rdf+xml", "XML name"),
        ("construct-type-without-name", "application/rdf+xml", "XML name"),
        ("construct-rdf-li", "application/rdf+xml", "reserved"),
        ("construct-rdf-bag-id", "application/rdf+xml", "keeps for its syntax"),
        ("construct-type-about-each", "application/rdf+xml", "keeps for its syntax"),
        ("select-nul", "application/sparql-results+xml", "U+0000"),
        ("select-controls-and-cr", "application/sparql-results+xml", "U+0001"),
    ],
)
def test_what_a_format_cannot_express_is_406_with_the_reason(
    client: FlaskClient, shape: str, media: str, reason: str
) -> None:
    response = client.get(
        "/sparql", query_string={"query": SHAPES[shape]}, headers={"Accept": media}
    )
    assert response.status_code == 406
    assert reason in response.get_json()["detail"]


@pytest.mark.parametrize(
    ("query", "media"),
    [
        ('SELECT ?t WHERE { BIND("a\\r\\nb" AS ?t) }', "application/sparql-results+xml"),
        (f'CONSTRUCT {{ {S} {P} "a\\r\\nb" }} WHERE {{}}', "application/rdf+xml"),
    ],
)
def test_a_carriage_return_survives_xml(client: FlaskClient, query: str, media: str) -> None:
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": media})
    assert b"a&#13;\nb" in response.data


def test_a_stored_graph_that_json_ld_cannot_carry_is_406(client: FlaskClient) -> None:
    store = client.application.extensions["civicgraph"].store
    turtle = f"<http://e.example/s> <http://e.example/p> {TRIPLE_TERM} .".encode()
    store.load(turtle, by_name("ntriples"), "http://e.example/g")
    response = client.get(
        "/store?graph=http://e.example/g", headers={"Accept": "application/ld+json"}
    )
    assert response.status_code == 406
    assert "RDF 1.2" in response.get_json()["detail"]


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_LOCAL = st.text(st.characters(codec="utf-8", exclude_characters='<>"{}|^`\\ '), max_size=8)


@settings(max_examples=200, deadline=None)
@given(value=_TEXT, local=_LOCAL, subject=_LOCAL)
def test_xml_writers_never_write_ill_formed_xml(value: str, local: str, subject: str) -> None:
    """Any literal, predicate and subject: well-formed SPARQL XML and RDF/XML, or a refusal."""
    try:
        predicate = NamedNode("http://e.example/" + local)
        node = NamedNode("http://e.example/" + subject)
    except ValueError:
        return
    triple = Triple(node, predicate, Literal(value))
    results = [
        (SelectResult(("v",), ((Literal(value),),)), by_name("xml", Kind.RESULTS)),
        (GraphResult((triple,)), by_name("rdfxml", Kind.GRAPH)),
    ]
    for result, fmt in results:
        try:
            body = serialize_result(result, fmt)
        except CannotExpressError:
            continue
        _well_formed_xml(body)


@settings(max_examples=300, deadline=None)
@given(value=_TEXT)
def test_sparql_xml_pyoxigraph_writes_reads_back_as_stored_or_is_left_to_python(
    value: str,
) -> None:
    """The answers the store writes itself: a parser reads back the literal stored, or
    the answer is written by the Python path instead (which refuses or escapes)."""
    store = Store()
    store.add(
        Quad(NamedNode("http://e.example/s"), NamedNode("http://e.example/p"), Literal(value))
    )
    raw = store.query("SELECT ?v WHERE { ?s ?p ?v }")
    answer = write_natively(raw, by_name("xml", Kind.RESULTS), None, None)  # type: ignore[arg-type]
    if answer is None:
        return
    literal = ElementTree.fromstring(answer.body).find(".//{*}literal")
    assert literal is not None
    assert (literal.text or "") == value


@settings(max_examples=200, deadline=None)
@given(value=_TEXT, local=_LOCAL)
def test_rdfxml_pyoxigraph_writes_is_well_formed_or_left_to_python(value: str, local: str) -> None:
    """Any literal and predicate: the store's own RDF/XML is read by a namespace-aware
    parser and holds the triple, or the answer is written by the Python path."""
    try:
        predicate = NamedNode("http://e.example/" + local)
    except ValueError:
        return
    store = Store()
    store.add(Quad(NamedNode("http://e.example/s"), predicate, Literal(value)))
    raw = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    answer = write_natively(raw, by_name("rdfxml", Kind.GRAPH), None, None)  # type: ignore[arg-type]
    if answer is None:
        return
    (element,) = ElementTree.fromstring(answer.body)[0]  # expat, namespaces on
    namespace, _, name = element.tag[1:].partition("}")
    assert namespace + name == predicate.value
    assert (element.text or "") == value


def test_the_byte_check_finds_the_characters_the_text_check_finds() -> None:
    characters = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF] + ["\U0001f600"]
    for character in characters:
        text = f"a{character}b"
        assert xml_forbidden_in(text.encode()) is bool(XML_FORBIDDEN.search(text)), hex(
            ord(character)
        )


@settings(max_examples=300, deadline=None)
@given(value=_TEXT, local=_LOCAL)
def test_csv_pyoxigraph_writes_reads_as_python_writes_it_or_is_left_to_python(
    value: str, local: str
) -> None:
    """Any literal and IRI: a CSV reader reads the store's own answer as the one the
    Python path writes, or the answer is written by the Python path."""
    try:
        iri = NamedNode("http://e.example/" + local)
    except ValueError:
        return
    store = Store()
    store.add(Quad(iri, NamedNode("http://e.example/p"), Literal(value)))
    query = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    fmt = by_name("csv", Kind.RESULTS)
    answer = write_natively(store.query(query), fmt, None, None)  # type: ignore[arg-type]
    if answer is None:
        return
    python = serialize_result(materialize(store.query(query), None, None), fmt)
    assert _read_csv(answer.body) == _read_csv(python)


def _read_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(), newline="")))
