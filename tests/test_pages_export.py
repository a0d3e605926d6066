"""Export downloads carry the dataset version; VoID describes the dataset."""

import pytest
from flask.testing import FlaskClient
from pyoxigraph import parse
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from civicgraph.formats import FORMATS, Kind, by_name

VOID = Namespace("http://rdfs.org/ns/void#")
GRAPH = "https://w3id.org/civicgraph/graph/data"


RDF_FORMATS = [f.name for f in FORMATS if Kind.RESULTS not in f.kinds]


@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_dataset_downloads_in_every_rdf_format(workbench_client: FlaskClient, fmt: str) -> None:
    with workbench_client.get("/export/download", query_string={"format": fmt}) as response:
        disposition = response.headers["Content-Disposition"]
        quads = list(parse(response.data, by_name(fmt).rdf_format))
    assert "attachment; filename=civicgraph-dataset-" in disposition
    assert disposition.endswith("." + by_name(fmt).extension)
    assert response.headers["Content-Type"] == by_name(fmt).content_type  # one charset
    assert len(quads) > 50


def test_one_graph_download_names_the_graph(workbench_client: FlaskClient) -> None:
    with workbench_client.get(
        "/export/download", query_string={"format": "turtle", "graph": GRAPH}
    ) as response:
        assert response.status_code == 200
    assert "filename=civicgraph-data-" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].endswith(".ttl")


def test_unknown_graph_is_404(workbench_client: FlaskClient) -> None:
    response = workbench_client.get(
        "/export/download", query_string={"graph": "https://example.org/none"}
    )
    assert response.status_code == 404


def test_export_page_links_every_graph(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/export").get_data(as_text=True)
    assert "graph=https://w3id.org/civicgraph/graph/data" in html
    assert f'<code title="{GRAPH}">data</code>' in html  # by its file, as the home page
    assert 'href="/.well-known/void"' in html


def test_void_states_counts_licence_and_sources(workbench_client: FlaskClient) -> None:
    response = workbench_client.get("/.well-known/void")
    assert response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    dataset = next(graph.subjects(RDF.type, VOID.Dataset))
    assert graph.value(dataset, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert int(graph.value(dataset, VOID.triples)) > 50
    assert (
        dataset,
        DCTERMS.source,
        URIRef("https://w3id.org/civicgraph/id/document/field-notes"),
    ) in graph
    assert (None, VOID.entities, Literal(1, datatype=XSD.integer)) in graph
