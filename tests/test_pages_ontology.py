"""The ontology page, generated from the loaded ontology, and its Turtle."""

import re

import pytest
import requests
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from tests.live import LiveServer


def test_page_lists_classes_in_their_hierarchy(workbench_client: FlaskClient) -> None:
    html = workbench_client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    agent = html.index('<a href="#Agent">Agent</a>')
    assert agent < html.index('<a href="#Person">Person</a>')
    assert 'id="Nonprofit"' in html


def test_property_shows_domain_range_alignment_and_example(
    workbench_client: FlaskClient,
) -> None:
    html = workbench_client.get("/ontology").get_data(as_text=True)
    entry = html[html.index('id="founder"') :]
    entry = entry[: entry.index("</article>")]
    assert 'href="#Organization"' not in entry  # links use the URL builder's full path
    assert 'href="/ontology#Organization"' in entry
    assert 'title="https://schema.org/founder">schema:founder<' in entry
    assert "Ada Lovelace" in entry


@pytest.mark.parametrize(
    ("path", "accept"), [("/ontology.ttl", "*/*"), ("/ontology", "text/turtle")]
)
def test_turtle_twin(workbench_client: FlaskClient, path: str, accept: str) -> None:
    response = workbench_client.get(path, headers={"Accept": accept})
    assert response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert (URIRef("https://w3id.org/civicgraph/ontology"), RDF.type, OWL.Ontology) in graph


def test_page_says_which_properties_have_data_and_how_they_read_backwards(
    client: FlaskClient,
) -> None:
    html = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    founder = html[html.index('id="founder"') :]
    founder = founder[: founder.index("</article>")]
    assert "<dt>Read backwards</dt><dd>founded</dd>" in founder
    assert re.search(r'<dd class="term-data">\d+ triples</dd>', founder)
    counts = re.search(r"(\d+) of (\d+) properties have data", html)
    assert counts
    assert int(counts[2]) - int(counts[1]) == 1
    member_of = html[html.index('id="memberOf"') :]
    assert '<dd class="term-data">none in the loaded data</dd>' in member_of[:3000]
    assert 'id="founded"' not in html


def test_the_confidence_levels_a_claim_links_to_are_defined_on_the_page(
    live_server: LiveServer,
) -> None:
    """Every statement page links its level to /ontology#HighConfidence and the like,
    anchors the page did not have."""
    html = requests.get(f"{live_server.url}/ontology", headers={"Accept": "text/html"}, timeout=30)
    levels = [html.text.index(f'id="{level}Confidence"') for level in ("High", "Medium", "Low")]
    assert levels == sorted(levels)  # from the top of the scale down
    assert "The source states the claim directly" in html.text


def test_an_example_that_is_a_claim_is_named_by_what_it_claims(
    workbench_client: FlaskClient,
) -> None:
    """A statement has no label: its IRI was the link's text."""
    html = workbench_client.get("/ontology").get_data(as_text=True)
    entry = html[html.index('id="sourceLocation"') :]
    entry = entry[: entry.index("</article>")]
    assert ">Code for Example · founder: Ada Lovelace</a>" in entry
    assert ">https://w3id.org/civicgraph/id/statement/" not in entry
