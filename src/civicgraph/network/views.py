"""What one view draws: filtered, focused and capped nodes and edges, ready for JSON.

A view never holds more than the node cap. Past it the nodes are aggregated (one node
per class or per community, with counts) or, on request, only the best-connected
are kept; either way the view says it was truncated and how many nodes there were.
Large views get positions computed here, so the browser need not simulate them.
"""

import importlib
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal

import networkx as nx
import numpy as np

from civicgraph.errors import UserInputError
from civicgraph.network import spring
from civicgraph.network.analysis import SEED
from civicgraph.network.model import INFO, EdgeInfo, NodeInfo
from civicgraph.readmodels.evidence import Confidence, Evidence

Overflow = Literal["class", "community", "top"]
MAX_DEPTH: Final = 3
#: Views with more nodes than this are laid out on the server.
SERVER_LAYOUT_FROM: Final = 150
_LAYOUT_SCALE: Final = 1000.0
#: What networkx imports on first use for PageRank: a sparse matrix, about 15 MiB of
#: modules (layouts no longer need scipy's energy minimiser, another 27 MiB).
ANALYSIS_MODULES: Final = ("scipy.sparse",)


def import_analysis_modules() -> None:
    """Import what PageRank needs, once, in a process that forks after.

    Imported lazily, in each serving process that ranks the network, they cost each
    of those processes its own copy; imported before the fork, one copy is shared.
    """
    for name in ANALYSIS_MODULES:
        importlib.import_module(name)


def analysis_modules_imported() -> bool:
    """Whether this process has the analysis modules (``import_analysis_modules``)."""
    return all(name in sys.modules for name in ANALYSIS_MODULES)


@dataclass(frozen=True)
class EvidenceFilter:
    """Keep only edges with a source, citing one source, or of a minimum confidence."""

    sourced_only: bool = False
    source: str | None = None
    min_confidence: Confidence | None = None

    @property
    def active(self) -> bool:
        """Whether any condition is set."""
        return self.sourced_only or self.source is not None or self.min_confidence is not None


@dataclass(frozen=True)
class ViewRequest:
    """What to show: the whole graph or an entity's neighbourhood, filtered."""

    focus: str | None = None
    depth: int = 1
    classes: frozenset[str] | None = None
    relations: frozenset[str] | None = None
    evidence: EvidenceFilter = field(default_factory=EvidenceFilter)
    overflow: Overflow = "class"
    show_isolated: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.depth <= MAX_DEPTH:
            raise UserInputError(f"depth must be between 1 and {MAX_DEPTH}")


@dataclass(frozen=True)
class ViewNode:
    """A drawn node: an entity, or an aggregate of ``count`` entities."""

    id: str
    label: str
    cls: str
    cls_label: str
    group: str
    group_label: str
    degree: int
    count: int = 1
    description: str = ""
    position: tuple[float, float] | None = None
    entity: bool = True


@dataclass(frozen=True)
class ViewEdge:
    """A drawn edge: a relation with its evidence, or ``count`` aggregated relations."""

    id: str
    source: str
    target: str
    predicate: str
    label: str
    evidence: tuple[Evidence, ...] = ()
    confidence: Confidence | None = None
    role: str = ""
    start: str = ""
    end: str = ""
    count: int = 1


@dataclass(frozen=True)
class View:
    """Nodes and edges of one view; ``truncated`` when the node cap changed it."""

    nodes: tuple[ViewNode, ...]
    edges: tuple[ViewEdge, ...]
    truncated: bool = False
    total_nodes: int = 0
    aggregated: str | None = None
    focus: str | None = None


def ego_distances(graph: nx.MultiDiGraph, focus: str, depth: int) -> dict[str, int]:
    """Hops from ``focus`` to every node within ``depth``, whatever the edge direction."""
    distances = {focus: 0}
    queue = deque([focus])
    while queue:
        node = queue.popleft()
        if distances[node] == depth:
            continue
        for neighbour in nx.all_neighbors(graph, node):
            if neighbour not in distances:
                distances[neighbour] = distances[node] + 1
                queue.append(neighbour)
    return distances


def entity_node(node: str, info: NodeInfo, degree: int) -> ViewNode:
    """The drawn form of one entity."""
    return ViewNode(
        id=node,
        label=info.label,
        cls=info.cls,
        cls_label=info.cls_label,
        group=info.group,
        group_label=info.group_label,
        degree=degree,
        description=info.description,
    )


def entity_edge(source: str, target: str, info: EdgeInfo) -> ViewEdge:
    """The drawn form of one relation, pointing from ``source`` to ``target``."""
    return ViewEdge(
        id=info.id,
        source=source,
        target=target,
        predicate=info.predicate,
        label=info.property_label,
        evidence=info.evidence,
        confidence=info.confidence,
        role=info.role,
        start=info.start,
        end=info.end,
    )


def _plain(
    part: nx.MultiDiGraph, degrees: Mapping[str, int]
) -> tuple[list[ViewNode], list[ViewEdge]]:
    nodes = [entity_node(n, d[INFO], degrees.get(n, 0)) for n, d in part.nodes(data=True)]
    edges = [entity_edge(u, v, d[INFO]) for u, v, d in part.edges(data=True)]
    return nodes, edges


def _top(
    part: nx.MultiDiGraph, cap: int, focus: str | None, degrees: Mapping[str, int]
) -> nx.MultiDiGraph:
    distance = ego_distances(part, focus, len(part)) if focus else {}
    ranked = sorted(part, key=lambda n: (distance.get(n, 0), -degrees.get(n, 0), n))
    return part.subgraph(ranked[:cap])


def _aggregate(
    part: nx.MultiDiGraph, groups: dict[str, tuple[str, str]], degrees: Mapping[str, int]
) -> tuple[list[ViewNode], list[ViewEdge]]:
    """One node per group (id, label) and one edge per pair of groups, with counts."""
    number = {node: at for at, node in enumerate(part)}
    return aggregate(
        [groups[n] for n in part],
        [degrees.get(n, 0) for n in part],
        [(number[u], number[v]) for u, v in part.edges()],
    )


def aggregate(
    keys: Sequence[tuple[str, str]], degrees: Sequence[int], ends: Iterable[tuple[int, int]]
) -> tuple[list[ViewNode], list[ViewEdge]]:
    """One node per group and one edge per pair of groups, with counts: ``keys`` and
    ``degrees`` are each node's group (id, label) and degree, ``ends`` each edge's two
    nodes as positions in them."""
    members = Counter(keys)
    degree: Counter[str] = Counter()
    for (gid, _), value in zip(keys, degrees, strict=True):
        degree[gid] += value
    nodes = [
        ViewNode(
            id=gid,
            label=f"{label} ({count})",
            cls=gid,
            cls_label=label,
            group=gid,
            group_label=label,
            degree=degree[gid],
            count=count,
            entity=False,
        )
        for (gid, label), count in sorted(members.items())
    ]
    pairs = Counter((keys[u][0], keys[v][0]) for u, v in ends if keys[u] != keys[v])
    edges = [
        ViewEdge(id=f"{a}->{b}", source=a, target=b, predicate="", label=f"{n}", count=n)
        for (a, b), n in sorted(pairs.items())
    ]
    return nodes, edges


def layout(nodes: list[ViewNode], edges: Iterable[ViewEdge]) -> list[ViewNode]:
    """Give nodes fixed positions (a force-directed layout computed here)."""
    number = {node.id: at for at, node in enumerate(nodes)}
    pairs = {
        tuple(sorted((number[e.source], number[e.target]))) for e in edges if e.source != e.target
    }
    joined = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    placed = spring.positions(len(nodes), joined, SEED) * _LAYOUT_SCALE
    return [
        replace(n, position=(float(x), float(y)))
        for n, (x, y) in zip(nodes, placed.tolist(), strict=True)
    ]


def build_view(
    part: nx.MultiDiGraph,
    request: ViewRequest,
    cap: int,
    *,
    degrees: Mapping[str, int],
    community_of: Callable[[], Mapping[str, tuple[int, str]]] | None = None,
) -> View:
    """Cap and (for big views) lay out the part of the network ``request`` selected."""
    total = len(part)
    if total > cap and request.overflow == "top":
        part = _top(part, cap, request.focus, degrees)
    if total > cap and request.overflow != "top":
        grouped = _aggregate(part, _groups(part, request.overflow, community_of), degrees)
        return laid_out(*grouped, request, total, truncated=True, aggregated=request.overflow)
    return laid_out(*_plain(part, degrees), request, total, truncated=total > cap)


def laid_out(
    nodes: list[ViewNode],
    edges: list[ViewEdge],
    request: ViewRequest,
    total: int,
    *,
    truncated: bool,
    aggregated: str | None = None,
) -> View:
    """The view of these nodes and edges, with positions if it has many nodes."""
    if len(nodes) > SERVER_LAYOUT_FROM:
        nodes = layout(nodes, edges)
    return View(tuple(nodes), tuple(edges), truncated, total, aggregated, request.focus)


def _groups(
    part: nx.MultiDiGraph, by: str, community_of: Callable[[], Mapping[str, tuple[int, str]]] | None
) -> dict[str, tuple[str, str]]:
    if by == "community":
        index = community_of() if community_of else {}
        return {n: community_key(index.get(n)) for n in part}
    return {n: (d[INFO].group, d[INFO].group_label) for n, d in part.nodes(data=True)}


def community_key(found: tuple[int, str] | None) -> tuple[str, str]:
    """The group (id, label) of a node in community ``found`` (number, name), if any."""
    number, name = found or (-1, "No community")
    return f"community:{number}", name
