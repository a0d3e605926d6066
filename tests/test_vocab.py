"""The vocabulary module agrees with the ontology, and mints only valid IRIs."""

import pytest
from pyoxigraph import NamedNode
from rdflib import Graph, URIRef

from civicgraph.resources import ontology_dir
from civicgraph.vocab import CIV, VOID, EntityRef, entity_iri, graph_iri, parse_entity_iri


def test_every_civ_term_the_code_names_is_declared_in_the_ontology() -> None:
    ontology = Graph().parse(ontology_dir() / "civic.ttl")
    declared = set(ontology.subjects())
    named = {URIRef(CIV.term(name).value) for name in CIV.names()}
    assert named - declared == set()


def test_a_typo_fails_at_once() -> None:
    with pytest.raises(AttributeError):
        _ = CIV.Persn  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="not a term"):
        CIV.term("Persn")


def test_terms_are_pyoxigraph_named_nodes() -> None:
    assert CIV.Person == NamedNode("https://w3id.org/civicgraph/ontology#Person")
    assert VOID.class_ == NamedNode("http://rdfs.org/ns/void#class")


def test_entity_iri_round_trip() -> None:
    iri = entity_iri("person", "patrick-atwater")
    assert iri == "https://w3id.org/civicgraph/id/person/patrick-atwater"
    assert parse_entity_iri(iri) == EntityRef("person", "patrick-atwater")


@pytest.mark.parametrize(
    ("kind", "slug"), [("people", "x"), ("person", "Bad Slug"), ("org", "../x")]
)
def test_invalid_entities_are_refused(kind: str, slug: str) -> None:
    with pytest.raises(ValueError, match=r"unknown entity kind|invalid slug"):
        entity_iri(kind, slug)


def test_graph_names_cannot_escape() -> None:
    with pytest.raises(ValueError, match="invalid graph name"):
        graph_iri("../meta")
