"""What the dataset is, for people and for machines: its sources, and a VoID/DCAT
description with counts, licence, endpoint and downloads (VoID §4, DCAT 3 §6).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from civicgraph.dataset.loader import load_records
from civicgraph.dataset.stats import Stats
from civicgraph.formats import Format
from civicgraph.queries import Row, select
from civicgraph.readmodels.labels import best_label
from civicgraph.store import GraphStore
from civicgraph.store.results import term_value
from civicgraph.vocab import CIV, DCAT, DCTERMS, ENTITY_BASE, META_GRAPH, OWL, RDF, VOID, XSD

#: The licence the data is published under when the ontology names none.
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class SourceDocument:
    """A document that evidence cites."""

    iri: str
    label: str
    date: str
    url: str


def sources(store: GraphStore) -> list[SourceDocument]:
    """Every cited source, newest first."""
    grouped: dict[str, list[Row]] = {}
    for row in select(store, "sources"):
        grouped.setdefault(term_value(row["source"]), []).append(row)
    found = [
        SourceDocument(
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
    sources: list[SourceDocument]
    endpoint: str
    dumps: Mapping[Format, str]


def void_graph(description: Description) -> list[Triple]:
    """A VoID and DCAT description of the dataset."""
    dataset = NamedNode(description.iri)
    triples = [Triple(dataset, RDF.type, cls) for cls in (VOID.Dataset, DCAT.Dataset)]
    triples += _describe(dataset, description)
    triples += _partitions(dataset, description.stats)
    triples += _distributions(dataset, description.dumps)
    for source in description.sources:
        triples.append(Triple(dataset, DCTERMS.source, NamedNode(source.iri)))
        triples.append(Triple(NamedNode(source.iri), DCTERMS.title, Literal(source.label)))
    return triples


def _count(value: int) -> Literal:
    return Literal(str(value), datatype=XSD.integer)


def _describe(dataset: NamedNode, description: Description) -> list[Triple]:
    stats = description.stats
    summary = "A knowledge graph of the public-technology landscape."
    facts: list[tuple[NamedNode, NamedNode | Literal]] = [
        (DCTERMS.title, Literal("civicgraph", language="en")),
        (DCTERMS.description, Literal(summary, language="en")),
        (DCTERMS.license, NamedNode(description.license)),
        (OWL.versionInfo, Literal(description.version)),
        (VOID.triples, _count(stats.triples)),
        (VOID.entities, _count(sum(c.count for c in stats.classes))),
        (VOID.sparqlEndpoint, NamedNode(description.endpoint)),
        (VOID.uriSpace, Literal(ENTITY_BASE)),
        (VOID.vocabulary, NamedNode(CIV.namespace)),
    ]
    return [Triple(dataset, predicate, value) for predicate, value in facts]


def _partitions(dataset: NamedNode, stats: Stats) -> list[Triple]:
    triples = []
    for count in stats.classes:
        partition = BlankNode()
        triples += [
            Triple(dataset, VOID.classPartition, partition),
            Triple(partition, VOID.class_, NamedNode(count.iri)),
            Triple(partition, VOID.entities, _count(count.count)),
        ]
    for info in stats.graphs:
        if info.iri is None or info.iri == META_GRAPH:
            continue
        graph = NamedNode(info.iri)
        triples += [
            Triple(dataset, VOID.subset, graph),
            Triple(graph, RDF.type, VOID.Dataset),
            Triple(graph, VOID.triples, _count(info.triples)),
        ]
    return triples


def _distributions(dataset: NamedNode, dumps: Mapping[Format, str]) -> list[Triple]:
    triples = []
    for fmt, url in dumps.items():
        distribution = BlankNode()
        triples += [
            Triple(dataset, VOID.dataDump, NamedNode(url)),
            Triple(dataset, DCAT.distribution, distribution),
            Triple(distribution, RDF.type, DCAT.Distribution),
            Triple(distribution, DCAT.downloadURL, NamedNode(url)),
            Triple(distribution, DCAT.mediaType, Literal(fmt.media_type)),
            Triple(distribution, DCTERMS.title, Literal(f"civicgraph in {fmt.label}")),
        ]
    return triples
