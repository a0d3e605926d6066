"""Evidence for the edges a view or a path shows, read from the store when shown.

The shared arrays keep only what filters need of an edge's evidence (its best
confidence and cited sources); the statements themselves are read with the one
evidence query (``readmodels.evidence``), bound to the subjects of the shown edges,
so no process holds the evidence of every edge.
"""

from collections.abc import Collection, Iterable
from dataclasses import replace

import networkx as nx

from civicgraph.network.model import INFO, EdgeInfo
from civicgraph.network.paths import Hop, HopEdge, Path, PathResult
from civicgraph.network.views import View
from civicgraph.readmodels.evidence import Evidence, once_per_source, read_evidence_of
from civicgraph.store import GraphStore

Edge = tuple[str, EdgeInfo, str]


def evidence_of(store: GraphStore, edges: Iterable[Edge]) -> dict[str, tuple[Evidence, ...]]:
    """Each edge's evidence by edge id: a membership's statements about it (once per
    place in a source), else the triple's."""
    wanted = list(edges)
    if not wanted:
        return {}
    index = read_evidence_of(store, (info.via or subject for subject, info, _ in wanted))
    return {
        info.id: once_per_source(index.about(info.via))
        if info.via
        else index.for_triple(subject, info.predicate, obj)
        for subject, info, obj in wanted
    }


def view_evidence(
    store: GraphStore, view: View, part: nx.MultiDiGraph, known: Collection[str] | None = None
) -> View:
    """The view with evidence on each relation it draws (``known``: only those edge ids)."""
    if view.aggregated:
        return view
    drawn = {e.id for e in view.edges if e.count == 1 and (known is None or e.id in known)}
    edges = [(u, d[INFO], v) for u, v, d in part.edges(data=True) if d[INFO].id in drawn]
    found = evidence_of(store, edges)
    if not found:
        return view
    return replace(
        view, edges=tuple(replace(e, evidence=found.get(e.id, e.evidence)) for e in view.edges)
    )


def path_evidence(store: GraphStore, result: PathResult) -> PathResult:
    """The paths with evidence on every relation of every hop."""
    paths = (*result.shortest, *result.simple)
    edges = [
        (hop.source, e.info, hop.target) if e.forward else (hop.target, e.info, hop.source)
        for path in paths
        for hop in path.hops
        for e in hop.edges
    ]
    found = evidence_of(store, edges)

    def filled(path: Path) -> Path:
        hops = tuple(
            Hop(h.source, h.target, tuple(_backed(e, found) for e in h.edges)) for h in path.hops
        )
        return Path(path.nodes, hops)

    return replace(
        result,
        shortest=tuple(filled(p) for p in result.shortest),
        simple=tuple(filled(p) for p in result.simple),
    )


def _backed(edge: HopEdge, found: dict[str, tuple[Evidence, ...]]) -> HopEdge:
    return HopEdge(replace(edge.info, evidence=found.get(edge.info.id, ())), edge.forward)
