"""Paths, centrality and communities on the network fixture, against hand-computed values.

The fixture (tests/data/network.ttl) is a 4-cycle agency-team-portal-nonprofit with
pendants alice (and report behind her), bob, news and carol, plus an isolated meetup.
"""

from collections.abc import Iterator

import networkx as nx
import pytest

from civicgraph.dataset.loader import load_file
from civicgraph.errors import NotFoundError, UserInputError
from civicgraph.network import NetworkExplorer, find_paths, project
from civicgraph.network.analysis import best_connected, communities, measure, undirected
from civicgraph.store import EmbeddedStore
from civicgraph.vocab import CIV
from tests.test_network import (
    AGENCY,
    ALICE,
    BOB,
    CAROL,
    FIXTURE,
    MEETUP,
    NEWS,
    NONPROFIT,
    PORTAL,
    REPORT,
    SUB_ORG,
    TEAM,
)

LED_BY = CIV.namespace + "ledBy"
MEMBER_OF = CIV.memberOf.value
PAIRS = 9 * 8 / 2  # betweenness normalization for 10 nodes: (n-1)(n-2)/2


@pytest.fixture(scope="module")
def graph() -> Iterator[nx.MultiDiGraph]:
    """The fixture's projection."""
    store = EmbeddedStore()
    load_file(store, FIXTURE)
    yield project(store)
    store.close()


def test_two_shortest_paths_around_the_cycle(graph: nx.MultiDiGraph) -> None:
    result = find_paths(graph, ALICE, PORTAL)
    assert [p.nodes for p in result.shortest] == [
        (ALICE, AGENCY, NONPROFIT, PORTAL),
        (ALICE, AGENCY, TEAM, PORTAL),
    ]


def test_relation_restriction_leaves_one_path(graph: nx.MultiDiGraph) -> None:
    relations = frozenset({MEMBER_OF, SUB_ORG, LED_BY})
    result = find_paths(graph, ALICE, PORTAL, relations=relations)
    assert [p.nodes for p in result.shortest] == [(ALICE, AGENCY, TEAM, PORTAL)]


def test_simple_paths_respect_max_hops(graph: nx.MultiDiGraph) -> None:
    short = find_paths(graph, ALICE, CAROL, max_hops=4, k=5)
    long = find_paths(graph, ALICE, CAROL, max_hops=5, k=5)
    assert [len(p.hops) for p in short.simple] == [3]
    assert [len(p.hops) for p in long.simple] == [3, 5]


def test_simple_paths_stop_at_k(graph: nx.MultiDiGraph) -> None:
    assert len(find_paths(graph, ALICE, CAROL, max_hops=5, k=1).simple) == 1


def test_each_hop_carries_direction_and_evidence(graph: nx.MultiDiGraph) -> None:
    path = find_paths(graph, BOB, AGENCY).shortest[0]
    first, second = path.hops
    assert (first.edges[0].forward, first.edges[0].info.evidence[0].location) == (True, "section 3")
    assert len(second.edges[0].info.evidence) == 2


def test_explorer_paths_read_evidence_for_the_hops_shown() -> None:
    store = EmbeddedStore()
    load_file(store, FIXTURE)
    path = NetworkExplorer(store).paths(BOB, AGENCY).shortest[0]
    first, second = path.hops
    assert (first.edges[0].forward, first.edges[0].info.evidence[0].location) == (True, "section 3")
    assert len(second.edges[0].info.evidence) == 2


def test_hop_against_edge_direction_is_marked_backward(graph: nx.MultiDiGraph) -> None:
    (path,) = find_paths(graph, ALICE, REPORT).shortest
    assert path.hops[0].edges[0].forward is False


def test_no_path_to_an_isolated_node(graph: nx.MultiDiGraph) -> None:
    result = find_paths(graph, ALICE, MEETUP)
    assert (result.shortest, result.simple) == ((), ())


def test_path_to_unknown_entity_is_not_found(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(NotFoundError):
        find_paths(graph, ALICE, ALICE + "-nobody")


def test_path_hop_limit_is_checked(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(UserInputError, match="max_hops"):
        find_paths(graph, ALICE, BOB, max_hops=0)


def test_degree_counts_distinct_neighbours(graph: nx.MultiDiGraph) -> None:
    degree = measure(graph, "degree")
    assert (degree[AGENCY], degree[ALICE], degree[BOB], degree[MEETUP]) == (3, 2, 1, 0)


@pytest.mark.parametrize(
    ("node", "pairs"),
    [
        (AGENCY, 14.0),  # 2x6 pairs across it, plus half of 4 pairs around the cycle
        (TEAM, 10.0),  # bob's 7, plus half of 6 pairs around the cycle
        (NONPROFIT, 10.0),
        (PORTAL, 9.0),  # news's 7, plus half of 4
        (ALICE, 7.0),  # report to everyone else
        (REPORT, 0.0),
        (MEETUP, 0.0),
    ],
)
def test_betweenness_matches_hand_count(graph: nx.MultiDiGraph, node: str, pairs: float) -> None:
    assert measure(graph, "betweenness")[node] == pytest.approx(pairs / PAIRS)


def test_pagerank_sums_to_one_and_ranks_the_sink_first(graph: nx.MultiDiGraph) -> None:
    ranks = measure(graph, "pagerank")
    assert sum(ranks.values()) == pytest.approx(1.0)
    assert max(ranks, key=ranks.__getitem__) == AGENCY
    # Nodes nobody links to share the same, lowest, rank.
    assert ranks[REPORT] == pytest.approx(ranks[NEWS]) == pytest.approx(ranks[MEETUP])
    assert ranks[REPORT] == pytest.approx(min(ranks.values()))


@pytest.mark.parametrize("method", ["greedy", "louvain"])
def test_communities_partition_every_node(graph: nx.MultiDiGraph, method: str) -> None:
    found = communities(graph, method)  # type: ignore[arg-type]
    assert sorted(n for c in found for n in c) == sorted(graph)
    assert frozenset({MEETUP}) in found


@pytest.mark.parametrize("method", ["greedy", "louvain"])
def test_communities_are_connected_and_modular(graph: nx.MultiDiGraph, method: str) -> None:
    simple = undirected(graph)
    found = communities(graph, method)  # type: ignore[arg-type]
    assert all(nx.is_connected(simple.subgraph(c)) for c in found)
    assert nx.community.modularity(simple, found) > 0.3


def test_best_connected_breaks_ties_by_iri(graph: nx.MultiDiGraph) -> None:
    assert best_connected(graph) == min(AGENCY, TEAM, NONPROFIT, PORTAL)
