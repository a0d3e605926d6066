"""Paths between two entities, each hop with the relations and evidence behind it.

Connection ignores direction ("how is this person connected to that agency?"): a hop
may follow an edge forwards or backwards, and says which.
"""

from collections.abc import Container, Iterator
from dataclasses import dataclass
from itertools import islice, pairwise
from typing import Final

import networkx as nx

from civicgraph.errors import NotFoundError, UserInputError
from civicgraph.network.model import INFO, EdgeInfo

MAX_HOPS: Final = 6
MAX_PATHS: Final = 50


@dataclass(frozen=True)
class HopEdge:
    """One relation on a hop; ``forward`` is true when it points along the path."""

    info: EdgeInfo
    forward: bool


@dataclass(frozen=True)
class Hop:
    """A step from one entity to the next, with every relation between them."""

    source: str
    target: str
    edges: tuple[HopEdge, ...]


@dataclass(frozen=True)
class Path:
    """A path as its nodes and hops."""

    nodes: tuple[str, ...]
    hops: tuple[Hop, ...]


@dataclass(frozen=True)
class PathResult:
    """All shortest paths (up to a safety limit) and up to ``k`` simple paths.

    ``shortest_hops`` is the length of a shortest path whatever ``max_hops`` is (None
    when the two are not connected): a search that finds nothing within its limit can
    then say how far the limit must go.
    """

    source: str
    target: str
    max_hops: int
    shortest: tuple[Path, ...]
    simple: tuple[Path, ...]
    shortest_hops: int | None = None


def check(network: Container[str], source: str, target: str, max_hops: int, k: int) -> None:
    """Refuse a search for an entity the network lacks, or past the limits."""
    for node in (source, target):
        if node not in network:
            raise NotFoundError(f"No entity {node} in the network (or it is filtered out)", node)
    if not 1 <= max_hops <= MAX_HOPS:
        raise UserInputError(f"max_hops must be between 1 and {MAX_HOPS}")
    if not 1 <= k <= MAX_PATHS:
        raise UserInputError(f"k must be between 1 and {MAX_PATHS}")


def _connections(graph: nx.MultiDiGraph, relations: frozenset[str] | None) -> nx.Graph:
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes)
    for u, v, data in graph.edges(data=True):
        if u != v and (relations is None or data[INFO].predicate in relations):
            simple.add_edge(u, v)
    return simple


def _hop(graph: nx.MultiDiGraph, source: str, target: str, relations: frozenset[str] | None) -> Hop:
    edges = [
        HopEdge(data[INFO], forward)
        for a, b, forward in ((source, target, True), (target, source, False))
        for data in graph.get_edge_data(a, b, default={}).values()
        if relations is None or data[INFO].predicate in relations
    ]
    return Hop(source, target, tuple(sorted(edges, key=lambda e: e.info.id)))


def _path(graph: nx.MultiDiGraph, nodes: list[str], relations: frozenset[str] | None) -> Path:
    hops = tuple(_hop(graph, a, b, relations) for a, b in pairwise(nodes))
    return Path(tuple(nodes), hops)


def _within(paths: Iterator[list[str]], max_hops: int) -> Iterator[list[str]]:
    for nodes in paths:
        if len(nodes) - 1 > max_hops:
            return
        yield nodes


def find_paths(
    graph: nx.MultiDiGraph,
    source: str,
    target: str,
    *,
    max_hops: int = 4,
    k: int = 5,
    relations: frozenset[str] | None = None,
    connections: nx.Graph | None = None,
    avoid: frozenset[str] = frozenset(),
) -> PathResult:
    """Shortest and simple paths of at most ``max_hops``, optionally over some relations.

    ``connections``, the graph's undirected form, saves rebuilding it per call when no
    relation restriction applies. Paths never pass through a node in ``avoid`` (the
    ends may be in it): two people who are only named in the same report are not
    connected the way a researcher asks "how are they connected?".
    """
    check(graph, source, target, max_hops, k)
    simple = connections if connections is not None and relations is None else None
    simple = simple if simple is not None else _connections(graph, relations)
    if avoid:
        ends = {source, target}
        simple = nx.subgraph_view(simple, filter_node=lambda n: n in ends or n not in avoid)
    try:  # one breadth-first search says whether they are connected, and how closely
        hops = nx.shortest_path_length(simple, source, target) if source != target else 0
    except nx.NetworkXNoPath:
        hops = 0
    if not hops:
        return PathResult(source, target, max_hops, (), ())
    shortest = islice(_within(nx.all_shortest_paths(simple, source, target), max_hops), MAX_PATHS)
    found = islice(_within(nx.shortest_simple_paths(simple, source, target), max_hops), k)
    return PathResult(
        source,
        target,
        max_hops,
        tuple(_path(graph, nodes, relations) for nodes in sorted(shortest)),
        tuple(_path(graph, nodes, relations) for nodes in found),
        hops,
    )
