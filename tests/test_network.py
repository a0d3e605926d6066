"""The projection, views, filters and caps on the small hand-drawn network fixture."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Triple

from civicgraph.dataset.loader import load_file
from civicgraph.errors import NotFoundError, UserInputError
from civicgraph.network import (
    Confidence,
    EvidenceFilter,
    NetworkExplorer,
    ProjectionOptions,
    ViewRequest,
    project,
    view_json,
)
from civicgraph.network.model import INFO
from civicgraph.store import EmbeddedStore, GraphStore
from civicgraph.vocab import CIV

ID = "https://w3id.org/civicgraph/id/"
ALICE, BOB, CAROL = ID + "person/alice", ID + "person/bob", ID + "person/carol"
AGENCY, TEAM, NONPROFIT = ID + "org/agency", ID + "org/team", ID + "org/nonprofit"
PORTAL, MEETUP = ID + "initiative/portal", ID + "event/meetup"
REPORT, NEWS = ID + "document/report", ID + "document/news"
SUB_ORG = CIV.namespace + "subOrganizationOf"
FIXTURE = Path(__file__).parent / "data" / "network.ttl"


@pytest.fixture(scope="module")
def network_store() -> Iterator[GraphStore]:
    """An in-memory store holding the network fixture, with its load record."""
    store = EmbeddedStore()
    load_file(store, FIXTURE)
    yield store
    store.close()


@pytest.fixture(scope="module")
def explorer(network_store: GraphStore) -> NetworkExplorer:
    """An explorer over the fixture with the default node cap."""
    return NetworkExplorer(network_store)


def test_entities_become_nodes_and_amounts_do_not(network_store: GraphStore) -> None:
    graph = project(network_store)
    assert set(graph) == {ALICE, BOB, CAROL, AGENCY, TEAM, NONPROFIT, PORTAL, MEETUP, REPORT, NEWS}


def test_node_has_label_most_specific_class_and_group(network_store: GraphStore) -> None:
    info = project(network_store).nodes[TEAM][INFO]
    assert (info.label, info.cls_label, info.group_label) == (
        "Example Digital Team",
        "Digital service team",
        "Organization",
    )


def test_literals_stay_node_attributes(network_store: GraphStore) -> None:
    info = project(network_store).nodes[ALICE][INFO]
    assert info.label == "Alice Example"
    assert info.alt_labels == ("A. Example",)
    assert ("description", "A director at the agency.") in info.literals


def test_membership_folds_into_edge_with_role_and_dates(network_store: GraphStore) -> None:
    (edge,) = [d[INFO] for d in project(network_store).get_edge_data(ALICE, AGENCY).values()]
    assert (edge.property_label, edge.role, edge.start, edge.end) == (
        "member of",
        "Director",
        "2015-01-01",
        "2019-06-30",
    )
    assert edge.evidence[0].location == "section 2"


def test_edge_counts_evidence_and_keeps_best_confidence(network_store: GraphStore) -> None:
    (edge,) = [d[INFO] for d in project(network_store).get_edge_data(TEAM, AGENCY).values()]
    assert len(edge.evidence) == 2
    assert edge.confidence is Confidence.HIGH
    assert {s.label for e in edge.evidence for s in e.sources} == {"Example Report", "Example News"}


def test_projection_classes_are_configurable(network_store: GraphStore) -> None:
    graph = project(network_store, ProjectionOptions(classes=frozenset({CIV.Person.value})))
    assert set(graph) == {ALICE, BOB, CAROL}


def test_projection_relations_are_configurable(network_store: GraphStore) -> None:
    graph = project(network_store, ProjectionOptions(relations=frozenset({SUB_ORG})))
    assert [(u, v) for u, v in graph.edges()] == [(TEAM, AGENCY)]


def test_whole_view_has_every_node_and_edge(explorer: NetworkExplorer) -> None:
    view = explorer.view(ViewRequest(show_isolated=True))
    assert (len(view.nodes), len(view.edges), view.truncated) == (10, 9, False)


def test_whole_view_leaves_out_entities_without_relations(explorer: NetworkExplorer) -> None:
    view = explorer.view(ViewRequest())
    assert MEETUP not in {n.id for n in view.nodes}
    assert len(view.nodes) == 9


@pytest.mark.parametrize(("depth", "count"), [(1, 3), (2, 5), (3, 8)])
def test_ego_network_grows_with_depth(explorer: NetworkExplorer, depth: int, count: int) -> None:
    view = explorer.view(ViewRequest(focus=ALICE, depth=depth))
    assert len(view.nodes) == count


def test_depth_outside_one_to_three_is_refused() -> None:
    with pytest.raises(UserInputError, match="depth"):
        ViewRequest(focus=ALICE, depth=4)


def test_unknown_focus_is_not_found(explorer: NetworkExplorer) -> None:
    with pytest.raises(NotFoundError):
        explorer.view(ViewRequest(focus=ID + "person/nobody"))


def test_class_filter_keeps_subclasses(explorer: NetworkExplorer) -> None:
    view = explorer.view(ViewRequest(classes=frozenset({CIV.Organization.value})))
    assert {n.id for n in view.nodes} == {AGENCY, TEAM, NONPROFIT}


def test_evidence_filter_drops_unsourced_edges_and_their_lone_nodes(
    explorer: NetworkExplorer,
) -> None:
    view = explorer.view(ViewRequest(evidence=EvidenceFilter(sourced_only=True)))
    assert CAROL not in {n.id for n in view.nodes}
    assert len(view.edges) == 8


def test_evidence_filter_by_source(explorer: NetworkExplorer) -> None:
    view = explorer.view(ViewRequest(evidence=EvidenceFilter(source=NEWS)))
    assert {(e.source, e.target) for e in view.edges} == {
        (NEWS, PORTAL),
        (PORTAL, NONPROFIT),
        (NONPROFIT, AGENCY),
        (TEAM, AGENCY),
    }


def test_evidence_filter_by_minimum_confidence(explorer: NetworkExplorer) -> None:
    view = explorer.view(ViewRequest(evidence=EvidenceFilter(min_confidence=Confidence.MEDIUM)))
    assert (PORTAL, TEAM) not in {(e.source, e.target) for e in view.edges}
    assert len(view.edges) == 7


def test_cap_aggregates_by_class(network_store: GraphStore) -> None:
    view = NetworkExplorer(network_store, node_cap=4).view(ViewRequest(show_isolated=True))
    assert (view.truncated, view.total_nodes, view.aggregated) == (True, 10, "class")
    assert sorted((n.group_label, n.count) for n in view.nodes) == [
        ("Document", 2),
        ("Event", 1),
        ("Initiative", 1),
        ("Organization", 3),
        ("Person", 3),
    ]


def test_cap_aggregate_edges_count_relations_between_classes(network_store: GraphStore) -> None:
    view = NetworkExplorer(network_store, node_cap=4).view(ViewRequest(show_isolated=True))
    counts = {(e.source, e.target): e.count for e in view.edges}
    assert counts[(CIV.Person.value, CIV.Organization.value)] == 2


def test_cap_aggregates_by_community(network_store: GraphStore) -> None:
    view = NetworkExplorer(network_store, node_cap=4).view(
        ViewRequest(overflow="community", show_isolated=True)
    )
    assert view.aggregated == "community"
    assert sum(n.count for n in view.nodes) == 10


def test_cap_top_keeps_focus_and_nearest(network_store: GraphStore) -> None:
    view = NetworkExplorer(network_store, node_cap=3).view(
        ViewRequest(focus=ALICE, depth=3, overflow="top")
    )
    assert {n.id for n in view.nodes} == {ALICE, AGENCY, REPORT}
    assert (view.truncated, view.total_nodes) == (True, 8)


def test_view_json_has_the_api_shape(explorer: NetworkExplorer) -> None:
    doc = view_json(explorer.view(ViewRequest(focus=BOB)), lambda iri: "/x")
    assert {"id", "label", "class", "classLabel", "degree", "url"} <= set(doc["nodes"][0])
    assert {"id", "from", "to", "property", "label", "evidence", "confidence"} <= set(
        doc["edges"][0]
    )
    assert (doc["truncated"], doc["total_nodes"]) == (False, 2)


def test_projection_is_cached_per_dataset_version(explorer: NetworkExplorer) -> None:
    assert explorer.projection() is explorer.projection()


def test_projection_is_rebuilt_when_data_change(tmp_path: Path) -> None:
    store = EmbeddedStore()
    load_file(store, FIXTURE)
    explorer = NetworkExplorer(store)
    first = explorer.projection()
    extra = tmp_path / "extra.ttl"
    extra.write_text(f"<{ID}person/dan> a {CIV.Person} .\n")
    load_file(store, extra)
    assert ID + "person/dan" in explorer.projection().graph
    assert first is not explorer.projection()


def test_construct_result_becomes_a_network_with_known_evidence(
    explorer: NetworkExplorer,
) -> None:
    triples = [
        Triple(NamedNode(TEAM), NamedNode(SUB_ORG), NamedNode(AGENCY)),
        Triple(NamedNode(TEAM), NamedNode(ID + "x"), Literal("ignored")),
    ]
    view = explorer.result_view(triples, ViewRequest())
    assert {n.label for n in view.nodes} == {"Example Digital Team", "Example Agency"}
    assert len(view.edges[0].evidence) == 2


@pytest.mark.parametrize(
    "evidence", [EvidenceFilter(sourced_only=True), EvidenceFilter(source=NEWS)], ids=repr
)
def test_a_result_view_keeps_the_relations_its_evidence_filter_admits(
    explorer: NetworkExplorer, evidence: EvidenceFilter
) -> None:
    """A result's known relations carry their cited sources, as the network's do: the
    result of every relation that is a triple (not a folded membership) draws what the
    network draws with the same filter."""
    model = explorer.projection().model
    numbers = {e.id: model.edge_index(e.id) for e in explorer.view(ViewRequest()).edges}
    direct = {i for i, n in numbers.items() if n is not None and not model.edge_info(n).via}
    triples = [
        Triple(NamedNode(e.source), NamedNode(e.predicate), NamedNode(e.target))
        for e in explorer.view(ViewRequest()).edges
        if e.id in direct
    ]
    wanted = {e.id for e in explorer.view(ViewRequest(evidence=evidence)).edges} & direct
    assert wanted
    view = explorer.result_view(triples, ViewRequest(evidence=evidence))
    assert {e.id for e in view.edges} == wanted
