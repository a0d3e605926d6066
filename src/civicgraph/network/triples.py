"""The network of a CONSTRUCT or DESCRIBE result, drawn with the projection's knowledge.

Nodes the projection knows keep their label, class and degree; other IRIs are drawn
by their local name. Edges the projection knows keep their record with its evidence
(what the evidence filters read of a result's edges).
"""

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Final

import networkx as nx
from pyoxigraph import NamedNode, Triple

from civicgraph.network.model import INFO, EdgeInfo, NodeInfo, edge_id
from civicgraph.readmodels.labels import local_name
from civicgraph.vocab import RDF, RDFS

if TYPE_CHECKING:
    from civicgraph.network.service import Projection

RESOURCE: Final = RDFS.Resource.value


def _resource(iri: str) -> NodeInfo:
    return NodeInfo(iri, local_name(iri), RESOURCE, "Resource", RESOURCE, "Resource")


def _node(projection: "Projection", iri: str) -> NodeInfo:
    return projection.node_info(iri) if iri in projection else _resource(iri)


def _edge(projection: "Projection", subject: str, prop: str, obj: str) -> EdgeInfo:
    key = edge_id(subject, prop, obj)
    found = projection.model.edge_index(key)
    if found is not None:
        model = projection.model
        return replace(model.edge_info(found), evidence=model.evidence(found))
    label = projection.relation_labels().get(prop) or local_name(prop)
    return EdgeInfo(key, prop, label)


def from_triples(projection: "Projection", triples: Iterable[Triple]) -> nx.MultiDiGraph:
    """A multigraph of the IRI-to-IRI triples of a result (types and literals left out)."""
    graph = nx.MultiDiGraph()
    for triple in triples:
        subject, prop, obj = triple.subject, triple.predicate, triple.object
        if not (isinstance(subject, NamedNode) and isinstance(obj, NamedNode)):
            continue
        if prop == RDF.type:
            continue
        for node in (subject.value, obj.value):
            if node not in graph:
                graph.add_node(node, **{INFO: _node(projection, node)})
        info = _edge(projection, subject.value, prop.value, obj.value)
        graph.add_edge(subject.value, obj.value, key=info.id, **{INFO: info})
    return graph
