"""What the dataset is, for people and for machines: its sources, and a VoID/DCAT
description with counts, licence, endpoint and downloads (VoID §4, DCAT 3 §6).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, XSD

from civicgraph.dataset.loader import load_records
from civicgraph.dataset.stats import Stats
from civicgraph.formats import Format
from civicgraph.queries import named_query
from civicgraph.readmodels.labels import best_label
from civicgraph.store import GraphStore
from civicgraph.store.results import SelectResult, Term, term_value
from civicgraph.vocab import CIV, ENTITY_BASE, META_GRAPH

VOID = Namespace("http://rdfs.org/ns/void#")
#: The licence the data is published under when the ontology names none.
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class Source:
    """A document that evidence cites."""

    iri: str
    label: str
    date: str
    url: str


def sources(store: GraphStore) -> list[Source]:
    """Every cited source, newest first."""
    result = store.query(named_query("sources"))
    assert isinstance(result, SelectResult)
    grouped: dict[str, list[dict[str, Term]]] = {}
    for row in result.dicts():
        grouped.setdefault(term_value(row["source"]), []).append(row)
    found = [
        Source(
            iri,
            best_label(r.get("label") for r in rows) or iri,
            min((term_value(r.get("date")) for r in rows if "date" in r), default=""),
            min((term_value(r.get("url")) for r in rows if "url" in r), default=""),
        )
        for iri, rows in grouped.items()
    ]
    found.sort(key=lambda s: s.label.casefold())
    found.sort(key=lambda s: s.date, reverse=True)
    return found


def last_load(store: GraphStore) -> str:
    """When data was last loaded (ISO 8601), or '' for an empty store."""
    return max((r.loaded_at for r in load_records(store).values()), default="")


@dataclass(frozen=True)
class Description:
    """The facts a VoID description states, gathered by the caller."""

    iri: str
    version: str
    license: str
    stats: Stats
    sources: list[Source]
    endpoint: str
    dumps: Mapping[Format, str]


def void_graph(description: Description) -> Graph:
    """A VoID and DCAT description of the dataset."""
    graph = Graph()
    graph.bind("void", VOID)
    graph.bind("dcat", DCAT)
    graph.bind("dcterms", DCTERMS)
    dataset = URIRef(description.iri)
    for cls in (VOID.Dataset, DCAT.Dataset):
        graph.add((dataset, RDF.type, cls))
    _describe(graph, dataset, description)
    _partitions(graph, dataset, description.stats)
    _distributions(graph, dataset, description.dumps)
    for source in description.sources:
        graph.add((dataset, DCTERMS.source, URIRef(source.iri)))
        graph.add((URIRef(source.iri), DCTERMS.title, Literal(source.label)))
    return graph


def _describe(graph: Graph, dataset: URIRef, description: Description) -> None:
    stats = description.stats
    facts = [
        (DCTERMS.title, Literal("civicgraph", lang="en")),
        (
            DCTERMS.description,
            Literal("A knowledge graph of the public-technology landscape.", lang="en"),
        ),
        (DCTERMS.license, URIRef(description.license)),
        (OWL.versionInfo, Literal(description.version)),
        (VOID.triples, Literal(stats.triples, datatype=XSD.integer)),
        (VOID.entities, Literal(sum(c.count for c in stats.classes), datatype=XSD.integer)),
        (VOID.sparqlEndpoint, URIRef(description.endpoint)),
        (VOID.uriSpace, Literal(ENTITY_BASE)),
        (VOID.vocabulary, URIRef(str(CIV._NS))),
    ]
    for predicate, value in facts:
        graph.add((dataset, predicate, value))


def _partitions(graph: Graph, dataset: URIRef, stats: Stats) -> None:
    for count in stats.classes:
        partition = BNode()
        graph.add((dataset, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], URIRef(count.iri)))
        graph.add((partition, VOID.entities, Literal(count.count, datatype=XSD.integer)))
    for info in stats.graphs:
        if info.iri is None or info.iri == META_GRAPH:
            continue
        graph.add((dataset, VOID.subset, URIRef(info.iri)))
        graph.add((URIRef(info.iri), RDF.type, VOID.Dataset))
        graph.add((URIRef(info.iri), VOID.triples, Literal(info.triples, datatype=XSD.integer)))


def _distributions(graph: Graph, dataset: URIRef, dumps: Mapping[Format, str]) -> None:
    for fmt, url in dumps.items():
        graph.add((dataset, VOID.dataDump, URIRef(url)))
        distribution = BNode()
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCAT.downloadURL, URIRef(url)))
        graph.add((distribution, DCAT.mediaType, Literal(fmt.media_type)))
        graph.add((distribution, DCTERMS.title, Literal(f"civicgraph in {fmt.label}")))
