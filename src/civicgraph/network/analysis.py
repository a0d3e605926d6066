"""Network analytics over the projection: degree, betweenness, PageRank, communities.

Measures that ignore direction (degree, betweenness, communities) run on the graph
collapsed to simple undirected edges, so two statements of the same fact do not count
twice; PageRank keeps direction, as its random surfer follows links.
"""

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

import networkx as nx
import numpy as np
from networkx.algorithms import community as nx_community
from numpy.typing import NDArray

from civicgraph.errors import UserInputError
from civicgraph.network.compact import Compact
from civicgraph.network.dated import Scope

Measure = Literal["degree", "betweenness", "pagerank"]
CommunityMethod = Literal["greedy", "louvain"]
MEASURES: Final[tuple[str, ...]] = get_args(Measure)
COMMUNITY_METHODS: Final[tuple[str, ...]] = get_args(CommunityMethod)
#: Betweenness is exact while sources x edges stays under this budget; past it, it is
#: estimated from as many pivot sources as the budget allows (Brandes and Pich 2007),
#: at least ``MIN_PIVOTS``, so one computation stays within seconds to a minute.
BETWEENNESS_BUDGET: Final = 2_000_000
MIN_PIVOTS: Final = 16
#: Fixed seed: the same data gives the same communities and samples every time.
SEED: Final = 7


def undirected(graph: nx.MultiDiGraph) -> nx.Graph:
    """The graph with direction and parallel edges collapsed; self-loops dropped."""
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes)
    simple.add_edges_from((u, v) for u, v in graph.edges() if u != v)
    return simple


def directed(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """The graph with parallel edges collapsed, direction kept."""
    simple = nx.DiGraph()
    simple.add_nodes_from(graph.nodes)
    simple.add_edges_from((u, v) for u, v in graph.edges() if u != v)
    return simple


def parse_measure(name: str) -> Measure:
    """Check a measure name from a URL or the command line."""
    if name not in MEASURES:
        raise UserInputError(f"Unknown measure {name!r}; use one of: {', '.join(MEASURES)}")
    return name  # type: ignore[return-value]


def parse_method(name: str) -> CommunityMethod:
    """Check a community-detection method name from a URL or the command line."""
    if name not in COMMUNITY_METHODS:
        raise UserInputError(
            f"Unknown community method {name!r}; use one of: {', '.join(COMMUNITY_METHODS)}"
        )
    return name  # type: ignore[return-value]


def degrees(graph: nx.MultiDiGraph) -> dict[str, int]:
    """Number of distinct neighbours of each node, whatever the direction."""
    return {n: len(set(graph.successors(n)) | set(graph.predecessors(n)) - {n}) for n in graph}


def measure(graph: nx.MultiDiGraph, name: Measure) -> dict[str, float]:
    """One centrality value per node."""
    if name == "degree":
        return {n: float(d) for n, d in degrees(graph).items()}
    if name == "betweenness":
        simple = undirected(graph)
        affordable = max(MIN_PIVOTS, BETWEENNESS_BUDGET // max(1, simple.number_of_edges()))
        pivots = affordable if affordable < len(simple) else None
        values: dict[str, float] = nx.betweenness_centrality(simple, k=pivots, seed=SEED)
        return values
    if len(graph) == 0:
        return {}
    ranks: dict[str, float] = nx.pagerank(directed(graph))
    return ranks


def communities(graph: nx.MultiDiGraph, method: CommunityMethod) -> list[frozenset[str]]:
    """Communities, largest first (ties by first member), every node in exactly one."""
    simple = undirected(graph)
    if len(simple) == 0:
        return []
    if method == "louvain":
        found = nx_community.louvain_communities(simple, seed=SEED)
    else:
        found = nx_community.greedy_modularity_communities(simple)
    return sorted((frozenset(c) for c in found), key=lambda c: (-len(c), min(c)))


def community_names(
    found: list[frozenset[str]],
    ranked: Mapping[str, int],
    label: Callable[[str], str],
    named_by: int = 2,
) -> list[str]:
    """Each community named by its best-connected members: "Code for America, 18F, …".

    A number says nothing to a reader; the hubs of a community usually say what it is.
    Members are ranked by distinct neighbours, then by label, so names are stable.
    """
    names = []
    for members in found:
        top = sorted(members, key=lambda n: (-ranked.get(n, 0), label(n), n))
        labels = [label(n) for n in top[:named_by]]
        names.append(", ".join(labels) + (", …" if len(members) > named_by else ""))
    return names


def best_connected(graph: nx.MultiDiGraph) -> str | None:
    """The node with the most distinct neighbours (the first IRI among ties)."""
    found = degrees(graph)
    if not found:
        return None
    return min(found, key=lambda n: (-found[n], n))


@dataclass(frozen=True)
class Facet:
    """One value a view can filter on, with how many nodes or edges have it."""

    iri: str
    label: str
    count: int


@dataclass(frozen=True)
class Facets:
    """The classes, relations and sources present, for filter menus."""

    classes: tuple[Facet, ...]
    relations: tuple[Facet, ...]
    sources: tuple[Facet, ...]


def _facet_list(model: Compact, counts: Counter[tuple[int, int]]) -> tuple[Facet, ...]:
    found = [(model.text(iri), model.text(label), n) for (iri, label), n in counts.items()]
    return tuple(Facet(*f) for f in sorted(found, key=lambda f: (f[1], f[0])))


def _counts(pairs: NDArray[np.int64]) -> Counter[tuple[int, int]]:
    if not len(pairs):
        return Counter()
    unique, count = np.unique(pairs, axis=0, return_counts=True)
    return Counter({(int(a), int(b)): int(n) for (a, b), n in zip(unique, count, strict=True)})


def facets(scope: Scope) -> Facets:
    """Count node groups, edge relations and cited sources (each source once per edge)."""
    model = scope.model
    cited = np.repeat(scope.edges, np.diff(model.cited_pointers))
    return Facets(
        _facet_list(model, _counts(model.nodes[scope.nodes][:, 4:6])),
        _facet_list(model, _counts(model.edges[scope.edges][:, 1:3])),
        _facet_list(model, _counts(model.cited[cited])),
    )
