"""Evidence for the edges a view or a path shows, from the compact network's arrays.

The build read every statement once and the arrays keep each edge's records
(``Compact.evidence``), so showing an edge's evidence decodes a few rows of the mapped
file; no serving process holds the evidence of every edge, and none asks the store.
"""

from dataclasses import replace

from civicgraph.network.compact import Compact
from civicgraph.network.paths import Hop, HopEdge, Path, PathResult
from civicgraph.network.views import View, ViewEdge


def view_evidence(model: Compact, view: View) -> View:
    """The view with evidence on each relation it draws that the network holds (a
    query's result may draw relations the network does not)."""
    if view.aggregated:
        return view
    return replace(view, edges=tuple(_drawn(model, edge) for edge in view.edges))


def _drawn(model: Compact, edge: ViewEdge) -> ViewEdge:
    number = model.edge_index(edge.id) if edge.count == 1 else None
    return edge if number is None else replace(edge, evidence=model.evidence(number))


def path_evidence(model: Compact, result: PathResult) -> PathResult:
    """The paths with evidence on every relation of every hop."""

    def filled(path: Path) -> Path:
        hops = tuple(
            Hop(h.source, h.target, tuple(_backed(model, e) for e in h.edges)) for h in path.hops
        )
        return Path(path.nodes, hops)

    return replace(
        result,
        shortest=tuple(filled(p) for p in result.shortest),
        simple=tuple(filled(p) for p in result.simple),
    )


def _backed(model: Compact, edge: HopEdge) -> HopEdge:
    number = model.edge_index(edge.info.id)
    found = model.evidence(number) if number is not None else ()
    return HopEdge(replace(edge.info, evidence=found), edge.forward)
