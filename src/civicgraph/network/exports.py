"""A network view in the formats researchers already use: GEXF, GraphML, Turtle, JSON-LD.

Gephi reads GEXF, Cytoscape and yEd read GraphML; both are written by networkx's own
writers from the view's JSON document (the ``/api/graph`` contract), so a file holds
exactly what the explorer showed: labels, classes, colour groups, community numbers
and size measures when asked for, and on each edge its relation, confidence, role,
dates and sources. As RDF the view is its entities (type and label), the relations
between them, and one ``rdf:Statement`` per piece of evidence (a blank node that
points at the original statement with ``rdfs:seeAlso``), so evidence travels along.
"""

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import networkx as nx
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from civicgraph.errors import UnknownFormatError
from civicgraph.formats import by_name
from civicgraph.store.results import serialize_triples
from civicgraph.vocab import CIV, PREFIXES

_RDF, _RDFS, _PROV = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["prov"]
_TYPE: Final = NamedNode(_RDF + "type")
_LABEL: Final = NamedNode(_RDFS + "label")
_SEE_ALSO: Final = NamedNode(_RDFS + "seeAlso")
_DERIVED: Final = NamedNode(_PROV + "wasDerivedFrom")
_LOCATION: Final = CIV.sourceLocation
_DATE: Final = NamedNode(PREFIXES["dcterms"] + "date")
_NODE_FIELDS: Final = ("label", "class", "classLabel", "group", "groupLabel", "degree")
_EDGE_FIELDS: Final = ("property", "label", "confidence", "role", "start", "end")


@dataclass(frozen=True)
class Rendered:
    """An exported view: its bytes, media type and file extension."""

    body: bytes
    media_type: str
    extension: str


def to_networkx(doc: dict[str, Any]) -> nx.MultiDiGraph:
    """The view as a networkx multigraph with plain attributes the file writers accept."""
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    for node in doc["nodes"]:
        attributes = {k: node[k] for k in _NODE_FIELDS if node.get(k) is not None}
        for extra in ("community", "value", "count"):
            if node.get(extra) is not None:
                attributes[extra] = node[extra]
        graph.add_node(node["id"], **attributes)
    for edge in doc["edges"]:
        attributes = {k: edge[k] for k in _EDGE_FIELDS if edge.get(k)}
        sources = sorted({s["label"] for e in edge["evidence"] for s in e["sources"]})
        attributes["sources"] = "; ".join(sources)
        attributes["evidence"] = len(edge["evidence"])
        graph.add_edge(edge["from"], edge["to"], key=edge["id"], **attributes)
    return graph


def _is_iri(text: str) -> bool:
    return text.startswith(("http://", "https://", "urn:"))


def _evidence(edge: dict[str, Any], triple: Triple) -> Iterator[Triple]:
    for found in edge["evidence"]:
        statement = BlankNode()
        yield Triple(statement, _TYPE, NamedNode(_RDF + "Statement"))
        yield Triple(statement, NamedNode(_RDF + "subject"), triple.subject)
        yield Triple(statement, NamedNode(_RDF + "predicate"), triple.predicate)
        yield Triple(statement, NamedNode(_RDF + "object"), triple.object)
        if _is_iri(found["statement"]):
            yield Triple(statement, _SEE_ALSO, NamedNode(found["statement"]))
        for source in found["sources"]:
            yield Triple(statement, _DERIVED, NamedNode(source["iri"]))
            yield Triple(NamedNode(source["iri"]), _LABEL, Literal(source["label"]))
        if found["location"]:
            yield Triple(statement, _LOCATION, Literal(found["location"]))
        if found["date"]:
            yield Triple(statement, _DATE, Literal(found["date"]))


def to_triples(doc: dict[str, Any]) -> list[Triple]:
    """The view's entities, relations and evidence as RDF (aggregates are left out)."""
    entities = {n["id"] for n in doc["nodes"] if n.get("url") is not None or _is_iri(n["id"])}
    triples: list[Triple] = []
    for node in doc["nodes"]:
        if node["id"] in entities:
            subject = NamedNode(node["id"])
            triples.append(Triple(subject, _TYPE, NamedNode(node["class"])))
            triples.append(Triple(subject, _LABEL, Literal(node["label"])))
    for edge in doc["edges"]:
        ends = (edge["from"], edge["to"])
        if all(end in entities for end in ends) and _is_iri(edge["property"]):
            triple = Triple(NamedNode(ends[0]), NamedNode(edge["property"]), NamedNode(ends[1]))
            triples.append(triple)
            triples.extend(_evidence(edge, triple))
    return triples


def _graph_file(doc: dict[str, Any], name: str) -> bytes:
    buffer = io.BytesIO()
    graph = to_networkx(doc)
    if name == "gexf":
        nx.write_gexf(graph, buffer)
    else:
        nx.write_graphml(graph, buffer)
    return buffer.getvalue()


#: Format names (and file extensions) a view is exported in, with media types.
GRAPH_FILES: Final = {"gexf": "application/gexf+xml", "graphml": "application/graphml+xml"}
RDF_FILES: Final = ("turtle", "jsonld")
NAMES: Final = (*GRAPH_FILES, "ttl", *RDF_FILES)


def render(doc: dict[str, Any], name: str, context: str | None = None) -> Rendered:
    """The view in format ``name``; JSON-LD is compacted against ``context`` (a URL)."""
    wanted = name.strip().lower().lstrip(".")
    if wanted in GRAPH_FILES:
        return Rendered(_graph_file(doc, wanted), GRAPH_FILES[wanted], wanted)
    if wanted not in NAMES:
        raise UnknownFormatError(name, ["json", *NAMES])
    fmt = by_name(wanted)
    return Rendered(
        serialize_triples(to_triples(doc), fmt, context), fmt.content_type, fmt.extension
    )
