"""The network of a CONSTRUCT or DESCRIBE result, drawn with the projection's knowledge.

Nodes the projection knows keep their label, class and degree; other IRIs are drawn
by their local name. Edges the projection knows keep their evidence.
"""

from collections.abc import Iterable
from typing import Final

import networkx as nx
from pyoxigraph import NamedNode, Triple

from civicgraph.network.model import INFO, EdgeInfo, NodeInfo, edge_id
from civicgraph.readmodels.labels import local_name
from civicgraph.vocab import RDF, RDFS

RESOURCE: Final = RDFS.Resource.value


def _resource(iri: str) -> NodeInfo:
    return NodeInfo(iri, local_name(iri), RESOURCE, "Resource", RESOURCE, "Resource")


def _known_edges(projection: nx.MultiDiGraph) -> tuple[dict[str, EdgeInfo], dict[str, str]]:
    by_id: dict[str, EdgeInfo] = {}
    labels: dict[str, str] = {}
    for _, _, data in projection.edges(data=True):
        info: EdgeInfo = data[INFO]
        by_id[info.id] = info
        labels.setdefault(info.predicate, info.property_label)
    return by_id, labels


def from_triples(projection: nx.MultiDiGraph, triples: Iterable[Triple]) -> nx.MultiDiGraph:
    """A multigraph of the IRI-to-IRI triples of a result (types and literals left out)."""
    known, labels = _known_edges(projection)
    graph = nx.MultiDiGraph()
    for triple in triples:
        subject, prop, obj = triple.subject, triple.predicate, triple.object
        if not (isinstance(subject, NamedNode) and isinstance(obj, NamedNode)):
            continue
        if prop == RDF.type:
            continue
        for node in (subject.value, obj.value):
            if node not in graph:
                info = projection.nodes[node][INFO] if node in projection else _resource(node)
                graph.add_node(node, **{INFO: info})
        key = edge_id(subject.value, prop.value, obj.value)
        edge = known.get(key) or EdgeInfo(
            key, prop.value, labels.get(prop.value) or local_name(prop.value)
        )
        graph.add_edge(subject.value, obj.value, key=key, **{INFO: edge})
    return graph
