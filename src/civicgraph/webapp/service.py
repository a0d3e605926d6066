"""The SPARQL 1.1 Service Description of this server, as RDF.

Answered by ``GET /sparql`` without a query (Service Description §2): endpoint,
languages, result formats, features, and the dataset with its graphs and sizes.
"""

from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from civicgraph.config import Settings
from civicgraph.formats import FORMATS
from civicgraph.store import GraphInfo
from civicgraph.vocab import ENTAILMENT, SD, VOID, W3C_FORMATS

_RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def _iri(value: object) -> NamedNode:
    return NamedNode(str(value))


@dataclass(frozen=True)
class Endpoints:
    """Absolute URLs of the operations this server offers."""

    query: str
    update: str


def _service(node: BlankNode, endpoint: str, language: str) -> list[Triple]:
    return [
        Triple(node, _RDF_TYPE, _iri(SD.Service)),
        Triple(node, _iri(SD.endpoint), NamedNode(endpoint)),
        Triple(node, _iri(SD.supportedLanguage), _iri(SD[language])),
    ]


def _graph(node: BlankNode, triples: int) -> list[Triple]:
    return [
        Triple(node, _RDF_TYPE, _iri(SD.Graph)),
        Triple(node, _iri(VOID.triples), Literal(str(triples), datatype=_INTEGER)),
    ]


def _dataset(node: BlankNode, graphs: list[GraphInfo]) -> list[Triple]:
    """The default dataset: the union of all graphs as default graph, and each named graph."""
    default = BlankNode()
    out = [
        Triple(node, _RDF_TYPE, _iri(SD.Dataset)),
        Triple(node, _iri(SD.defaultGraph), default),
        *_graph(default, sum(g.triples for g in graphs)),
    ]
    for info in graphs:
        if info.iri is None:
            continue
        named, graph = BlankNode(), BlankNode()
        out += [
            Triple(node, _iri(SD.namedGraph), named),
            Triple(named, _RDF_TYPE, _iri(SD.NamedGraph)),
            Triple(named, _iri(SD.name), NamedNode(info.iri)),
            Triple(named, _iri(SD.graph), graph),
            *_graph(graph, info.triples),
        ]
    return out


def description(endpoints: Endpoints, settings: Settings, graphs: list[GraphInfo]) -> list[Triple]:
    """Triples describing the query service (and the update service when writes are on)."""
    query, dataset = BlankNode(), BlankNode()
    triples = _service(query, endpoints.query, "SPARQL11Query")
    triples += [
        Triple(query, _iri(SD.resultFormat), _iri(W3C_FORMATS[f.w3c_name])) for f in FORMATS
    ]
    triples.append(Triple(query, _iri(SD.feature), _iri(SD.UnionDefaultGraph)))
    triples += [
        Triple(query, _iri(SD.defaultEntailmentRegime), _iri(ENTAILMENT.Simple)),
        Triple(query, _iri(SD.defaultDataset), dataset),
        *_dataset(dataset, graphs),
    ]
    if settings.writes_enabled:
        triples += _service(BlankNode(), endpoints.update, "SPARQL11Update")
    return triples
