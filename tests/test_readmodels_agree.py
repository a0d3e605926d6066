"""Entity pages, the network explorer and search name and cite things the same way.

Each entity is shown in several places; these tests read the bundled data through
every read model and check that an entity carries one label and each relation one set
of evidence wherever it appears.
"""

from collections.abc import Iterator

import networkx as nx
import pytest
from pyoxigraph import Literal, NamedNode, Quad

from civicgraph.network import project
from civicgraph.network.model import INFO
from civicgraph.readmodels import entities
from civicgraph.readmodels.evidence import read_evidence
from civicgraph.readmodels.labels import best_label
from civicgraph.readmodels.search import SearchIndex
from civicgraph.store import EmbeddedStore, GraphStore
from civicgraph.vocab import parse_entity_iri

ID = "https://w3id.org/civicgraph/id/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
SDO_NAME = "https://schema.org/name"
FOAF_NAME = "http://xmlns.com/foaf/0.1/name"


@pytest.fixture(scope="module")
def graph(bundled_store: GraphStore) -> nx.MultiDiGraph:
    return project(bundled_store)


def _people_and_orgs(graph: nx.MultiDiGraph) -> list[str]:
    kinds = {"person", "org"}
    return sorted(n for n in graph if (ref := parse_entity_iri(n)) and ref.kind in kinds)


def test_entity_page_search_and_network_agree_on_labels(
    bundled_store: GraphStore, graph: nx.MultiDiGraph
) -> None:
    index = SearchIndex.build(bundled_store)
    iris = _people_and_orgs(graph)[:40]
    page = {iri: entities.load_entity(bundled_store, iri).label for iri in iris}
    network = {iri: graph.nodes[iri][INFO].label for iri in iris}
    assert page == network == index.labels(iris)


def _page_evidence(
    bundled_store: GraphStore, iri: str, nodes: nx.MultiDiGraph
) -> set[tuple[str, str, str]]:
    """Evidence of the page's links to entities that are network nodes (amounts are not)."""
    entity = entities.load_entity(bundled_store, iri)
    return {
        (group.property, link.value, e.statement)
        for group in entity.outgoing
        for link in group.links
        if link.value in nodes
        for e in link.evidence
    }


def _network_evidence(graph: nx.MultiDiGraph, iri: str) -> set[tuple[str, str, str]]:
    return {
        (info.predicate, target, e.statement)
        for _, target, info in graph.out_edges(iri, data=INFO)
        if not info.via
        for e in info.evidence
    }


def test_entity_page_and_network_cite_the_same_statements(
    bundled_store: GraphStore, graph: nx.MultiDiGraph
) -> None:
    iris = _people_and_orgs(graph)[:40]
    pairs = [(_page_evidence(bundled_store, i, graph), _network_evidence(graph, i)) for i in iris]
    assert any(page for page, _ in pairs)
    assert [page for page, _ in pairs] == [network for _, network in pairs]


def _insert(store: GraphStore, quads: list[Quad]) -> None:
    store.update("INSERT DATA { " + " ".join(f"{q.triple} ." for q in quads) + " }")


@pytest.fixture
def odd_statements() -> Iterator[GraphStore]:
    """Two reifications that are not evidence: one untyped, one without a source."""
    store = EmbeddedStore()
    a, b, doc = (NamedNode(ID + p) for p in ("person/a", "org/b", "document/d"))
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    founder = NamedNode("https://w3id.org/civicgraph/ontology#founder")
    derived = NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")

    def statement(slug: str, typed: bool, sourced: bool) -> list[Quad]:
        s = NamedNode(ID + "statement/" + slug)
        quads = [
            Quad(s, NamedNode(rdf + "subject"), b),
            Quad(s, NamedNode(rdf + "predicate"), founder),
            Quad(s, NamedNode(rdf + "object"), a),
        ]
        if typed:
            quads.append(Quad(s, NamedNode(rdf + "type"), NamedNode(rdf + "Statement")))
        if sourced:
            quads.append(Quad(s, derived, doc))
        return quads

    _insert(
        store,
        [
            Quad(b, founder, a),
            *statement("untyped", typed=False, sourced=True),
            *statement("unsourced", typed=True, sourced=False),
            *statement("good", typed=True, sourced=True),
        ],
    )
    yield store
    store.close()


def test_evidence_is_a_typed_statement_with_a_source(odd_statements: GraphStore) -> None:
    found = read_evidence(odd_statements).for_triple(
        ID + "org/b", "https://w3id.org/civicgraph/ontology#founder", ID + "person/a"
    )
    assert [e.statement for e in found] == [ID + "statement/good"]


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ([Literal("Zed"), Literal("Ann")], "Ann"),
        ([Literal("Anna Maria"), Literal("Bo")], "Bo"),
        ([Literal("Bo", language="fr"), Literal("Anna Maria", language="en-GB")], "Anna Maria"),
        ([Literal("Bo", language="fr"), Literal("Anna Maria")], "Anna Maria"),
        ([Literal("Ann"), Literal("Anne", language="en")], "Anne"),
        ([NamedNode(ID + "x"), None], ""),
    ],
)
def test_one_label_rule(candidates: list[Literal | NamedNode | None], expected: str) -> None:
    assert best_label(candidates) == expected


@pytest.mark.parametrize("prop", [RDFS_LABEL, SKOS_PREF, SDO_NAME, FOAF_NAME])
def test_every_label_property_names_an_entity_everywhere(prop: str) -> None:
    store = EmbeddedStore()
    iri = ID + "person/named"
    _insert(
        store,
        [
            Quad(
                NamedNode(iri),
                NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                NamedNode("https://w3id.org/civicgraph/ontology#Person"),
            ),
            Quad(NamedNode(iri), NamedNode(prop), Literal("Named One")),
        ],
    )
    try:
        assert entities.load_entity(store, iri).label == "Named One"
        assert project(store).nodes[iri][INFO].label == "Named One"
        assert SearchIndex.build(store).labels([iri]) == {iri: "Named One"}
    finally:
        store.close()
