"""The JSON shapes of the network API: views (``/api/graph``) and paths (``/api/path``).

The shape is a contract for the browser's drawing code and for API clients:
``nodes`` carry id, label, class, classLabel, group, groupLabel, degree, url, count,
description and, when laid out on the server, x and y; ``edges`` carry id, from, to,
property, label, evidence (each record as ``readmodels.evidence.Evidence`` holds it:
statement, sources, location, confidence, date), the best confidence, role, start,
end and count (relations folded into an aggregated edge). ``colour`` and ``legend``
say how a node is coloured and what the legend calls that colour, so every view
colours a class the same way (``network.colours``).
"""

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from civicgraph.network.colours import group_colour
from civicgraph.network.dated import Shift
from civicgraph.network.model import EdgeInfo, NodeInfo
from civicgraph.network.paths import Path, PathResult
from civicgraph.network.service import Projection
from civicgraph.network.views import View, ViewEdge, ViewNode, entity_edge, entity_node
from civicgraph.readmodels.evidence import Evidence

Link = Callable[[str], str | None]


def _evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "statement": evidence.statement,
        "sources": [{"iri": s.iri, "label": s.label} for s in evidence.sources],
        "location": evidence.location,
        "confidence": evidence.confidence.label if evidence.confidence else None,
        "date": evidence.date,
        "note": evidence.note,
    }


def node_json(node: ViewNode, link: Link) -> dict[str, Any]:
    """A node in the API's JSON shape; ``link`` turns an IRI into a page URL."""
    out: dict[str, Any] = {
        "id": node.id,
        "label": node.label,
        "class": node.cls,
        "classLabel": node.cls_label,
        "group": node.group,
        "groupLabel": node.group_label,
        "colour": group_colour(node.group),
        "legend": node.group_label,
        "degree": node.degree,
        "url": link(node.id) if node.entity else None,
        "count": node.count,
        "description": node.description,
    }
    if node.position is not None:
        out["x"], out["y"] = node.position
    return out


def edge_json(edge: ViewEdge) -> dict[str, Any]:
    """An edge in the API's JSON shape."""
    return {
        "id": edge.id,
        "from": edge.source,
        "to": edge.target,
        "property": edge.predicate,
        "label": edge.label,
        "evidence": [_evidence_json(e) for e in edge.evidence],
        "confidence": edge.confidence.label if edge.confidence else None,
        "role": edge.role,
        "start": edge.start,
        "end": edge.end,
        "count": edge.count,
    }


def view_json(view: View, link: Link) -> dict[str, Any]:
    """The whole view as the ``/api/graph`` JSON document."""
    return {
        "nodes": [node_json(n, link) for n in view.nodes],
        "edges": [edge_json(e) for e in view.edges],
        "truncated": view.truncated,
        "total_nodes": view.total_nodes,
        "aggregated": view.aggregated,
        "focus": view.focus,
    }


def _path_doc(path: Path) -> dict[str, Any]:
    return {
        "nodes": list(path.nodes),
        "hops": [
            {
                "from": hop.source,
                "to": hop.target,
                "edges": [{"id": e.info.id, "forward": e.forward} for e in hop.edges],
            }
            for hop in path.hops
        ],
    }


def path_json(
    result: PathResult, node_info: Callable[[str], NodeInfo], degrees: Mapping[str, int], link: Link
) -> dict[str, Any]:
    """Paths as node-id lists with their hops, plus every node and edge they touch."""
    paths = (*result.shortest, *result.simple)
    nodes = sorted({n for path in paths for n in path.nodes})
    edges: dict[str, ViewEdge] = {}
    for path in paths:
        for hop in path.hops:
            for edge in hop.edges:
                ends = (hop.source, hop.target) if edge.forward else (hop.target, hop.source)
                edges[edge.info.id] = entity_edge(*ends, edge.info)
    return {
        "from": result.source,
        "to": result.target,
        "max_hops": result.max_hops,
        "shortest_hops": result.shortest_hops,
        "shortest": [_path_doc(p) for p in result.shortest],
        "simple": [_path_doc(p) for p in result.simple],
        "nodes": [node_json(entity_node(n, node_info(n), degrees[n]), link) for n in nodes],
        "edges": [edge_json(e) for e in edges.values()],
    }


def shift_json(
    shift: Shift,
    projection: Projection,
    link: Link,
) -> dict[str, Any]:
    """What appeared and ended between two days (``/api/graph/diff``), drawable as a view.

    Every node and edge carries ``change`` (appeared, ended or unchanged), so the page
    can tell them apart by line style and label, not by colour alone. Each edge carries
    its evidence.
    """
    model = projection.model
    changes = dict.fromkeys(map(model.iri, shift.appeared_nodes), "appeared")
    changes.update(dict.fromkeys(map(model.iri, shift.ended_nodes), "ended"))
    listed: list[tuple[tuple[str, EdgeInfo, str], str]] = []
    for numbers, change in (
        (shift.appeared_edges, "appeared"),
        (shift.ended_edges, "ended"),
        (shift.unchanged_edges, "unchanged"),
    ):
        for edge in numbers:
            u, v = (model.iri(int(end)) for end in model.ends[edge])
            info = replace(model.edge_info(edge), evidence=model.evidence(edge))
            listed.append(((u, info, v), change))
            changes.setdefault(u, "unchanged")
            changes.setdefault(v, "unchanged")
    edges = [{**edge_json(entity_edge(u, v, info)), "change": c} for (u, info, v), c in listed]
    degrees = projection.degrees()
    nodes = [
        {**node_json(entity_node(n, projection.node_info(n), degrees.get(n, 0)), link), "change": c}
        for n, c in sorted(changes.items())
    ]
    return {"nodes": nodes, "edges": edges, "truncated": False, "total_nodes": len(nodes)}
