"""Common SPARQL clients read this endpoint correctly: SPARQLWrapper and rdflib's SPARQLStore."""

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from tests.live import LiveServer

pytestmark = pytest.mark.server
ADA = URIRef("https://w3id.org/civicgraph/id/person/ada-example")
AGENCY = URIRef("https://w3id.org/civicgraph/id/org/example-agency")
COUNT_PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def wrapper(server: LiveServer, query: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(f"{server.url}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client


def test_sparqlwrapper_select_json(writable_server: LiveServer) -> None:
    query = f"SELECT ?label {{ <{ADA}> <{RDFS.label}> ?label }}"
    result = wrapper(writable_server, query, JSON).queryAndConvert()
    assert result["results"]["bindings"][0]["label"]["value"] == "Ada Example"  # type: ignore[index]


def test_sparqlwrapper_select_xml_with_post(writable_server: LiveServer) -> None:
    client = wrapper(writable_server, f"SELECT ?label {{ <{AGENCY}> <{RDFS.label}> ?label }}", XML)
    client.setMethod("POST")
    document = client.queryAndConvert()
    assert document.getElementsByTagName("literal")[0].getAttribute("xml:lang") == "en"  # type: ignore[union-attr]


def test_sparqlwrapper_construct_turtle(writable_server: LiveServer) -> None:
    query = f"CONSTRUCT {{ <{ADA}> ?p ?o }} WHERE {{ <{ADA}> ?p ?o }}"
    data = wrapper(writable_server, query, TURTLE).queryAndConvert()
    graph = Graph().parse(data=data, format="turtle")
    assert (ADA, RDFS.label, Literal("Ada Example")) in graph


def test_sparqlwrapper_ask(writable_server: LiveServer) -> None:
    result = wrapper(writable_server, f"ASK {{ <{ADA}> ?p <{AGENCY}> }}", JSON).queryAndConvert()
    assert result["boolean"] is True  # type: ignore[index]


def test_sparqlstore_reads_triples(writable_server: LiveServer) -> None:
    graph = Graph(store=SPARQLStore(f"{writable_server.url}/sparql", returnFormat="xml"))
    assert (ADA, RDFS.label, Literal("Ada Example")) in set(graph.triples((ADA, None, None)))


def test_sparqlstore_runs_queries(writable_server: LiveServer) -> None:
    graph = Graph(store=SPARQLStore(f"{writable_server.url}/sparql"))
    rows = list(graph.query(f"SELECT ?o WHERE {{ <{ADA}> ?p ?o }}"))
    assert AGENCY in {row[0] for row in rows}  # type: ignore[index]


def test_sparqlwrapper_reads_the_bundled_data_as_the_home_page_counts_it(
    live_server: LiveServer,
) -> None:
    result = wrapper(live_server, COUNT_PER_GRAPH, JSON).queryAndConvert()
    found = {
        b["g"]["value"]: int(b["n"]["value"])
        for b in result["results"]["bindings"]  # type: ignore[index]
    }
    home = requests.get(f"{live_server.url}/index.json", timeout=10).json()
    assert found == {g["iri"]: g["triples"] for g in home["graphs"] if g["iri"]}
