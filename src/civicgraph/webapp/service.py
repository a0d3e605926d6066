"""The SPARQL 1.1 Service Description of this server, as RDF.

Answered by ``GET /sparql`` without a query (Service Description §2): endpoint,
languages, result formats, features, and the dataset with its graphs and sizes.
"""

from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from civicgraph.config import Settings
from civicgraph.formats import FORMATS
from civicgraph.store import GraphInfo
from civicgraph.vocab import ENTAILMENT, RDF, SD, VOID, W3C_FORMATS, XSD


@dataclass(frozen=True)
class ServiceEndpoints:
    """Absolute URLs of the operations this server offers."""

    query: str
    update: str


def _service(node: BlankNode, endpoint: str, language: str) -> list[Triple]:
    return [
        Triple(node, RDF.type, SD.Service),
        Triple(node, SD.endpoint, NamedNode(endpoint)),
        Triple(node, SD.supportedLanguage, SD.term(language)),
    ]


def _graph(node: BlankNode, triples: int) -> list[Triple]:
    return [
        Triple(node, RDF.type, SD.Graph),
        Triple(node, VOID.triples, Literal(str(triples), datatype=XSD.integer)),
    ]


def _dataset(node: BlankNode, graphs: list[GraphInfo]) -> list[Triple]:
    """The default dataset: the union of all graphs as default graph, and each named graph."""
    default = BlankNode()
    out = [
        Triple(node, RDF.type, SD.Dataset),
        Triple(node, SD.defaultGraph, default),
        *_graph(default, sum(g.triples for g in graphs)),
    ]
    for info in graphs:
        if info.iri is None:
            continue
        named, graph = BlankNode(), BlankNode()
        out += [
            Triple(node, SD.namedGraph, named),
            Triple(named, RDF.type, SD.NamedGraph),
            Triple(named, SD.name, NamedNode(info.iri)),
            Triple(named, SD.graph, graph),
            *_graph(graph, info.triples),
        ]
    return out


def description(
    endpoints: ServiceEndpoints, settings: Settings, graphs: list[GraphInfo]
) -> list[Triple]:
    """Triples describing the query service (and the update service when writes are on)."""
    query, dataset = BlankNode(), BlankNode()
    triples = _service(query, endpoints.query, "SPARQL11Query")
    triples += [
        Triple(query, SD.resultFormat, NamedNode(W3C_FORMATS + f.w3c_name)) for f in FORMATS
    ]
    triples.append(Triple(query, SD.feature, SD.UnionDefaultGraph))
    triples += [
        Triple(query, SD.defaultEntailmentRegime, ENTAILMENT.Simple),
        Triple(query, SD.defaultDataset, dataset),
        *_dataset(dataset, graphs),
    ]
    if settings.writes_enabled:
        triples += _service(BlankNode(), endpoints.update, "SPARQL11Update")
    return triples
