"""Vocabulary terms as pyoxigraph ``NamedNode`` constants, and the only place entity and
graph IRIs are minted and parsed.

Each vocabulary is a class whose annotated names become terms of its namespace, so a
typo is an error for mypy and an ``AttributeError`` at run time (the habit of
rdflib's ``DefinedNamespace`` with ``_fail = True``), and the terms are already the
type the store speaks: no conversion at each use. A test checks that every ``CIV``
term named here exists in ``ontology/civic.ttl``.
"""

import re
from dataclasses import dataclass
from typing import ClassVar, Final

from pyoxigraph import NamedNode

BASE: Final = "https://w3id.org/civicgraph/"
ONTOLOGY_IRI: Final = BASE + "ontology"
ENTITY_BASE: Final = BASE + "id/"
GRAPH_BASE: Final = BASE + "graph/"
META_GRAPH: Final = GRAPH_BASE + "meta"
#: Where a graph named by a blank node in a loaded TriG or N-Quads file gets its IRI
#: (RDF 1.1 §3.5's Skolem IRIs): SPARQL, exports and the version log name graphs by IRI.
SKOLEM_BASE: Final = BASE + ".well-known/genid/"

ENTITY_KINDS: Final = (
    "person",
    "org",
    "initiative",
    "goal",
    "event",
    "document",
    "place",
    "membership",
    "amount",
    "statement",
)
#: The relation a SELECT's two IRI columns draw in the network view: this and the
#: columns' names (``?parent ?child`` draws edges labelled ``parent-to-child``).
COLUMNS: Final = "urn:civicgraph:columns#"
#: The kinds whose entities are nodes of the relationship network; the others
#: (memberships, amounts, places, evidence statements) are folded into its edges or
#: shown as facts, and have no neighbourhood of their own to explore.
NETWORK_KINDS: Final = frozenset({"person", "org", "initiative", "goal", "event", "document"})
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class Vocabulary:
    """A namespace whose annotated names are its terms, each a ``NamedNode``."""

    namespace: ClassVar[str] = ""

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        for name, kind in cls.__annotations__.items():
            if kind in (NamedNode, "NamedNode"):  # ``class_`` names the term ``class``
                setattr(cls, name, NamedNode(cls.namespace + name.removesuffix("_")))

    @classmethod
    def term(cls, name: str) -> NamedNode:
        """A declared term by a name known only at run time (``SD.term("SPARQL11Query")``)."""
        found = getattr(cls, name, None) if name in cls.names() else None
        if not isinstance(found, NamedNode):
            raise AttributeError(f"{name!r} is not a term of {cls.__name__} ({cls.namespace})")
        return found

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The local names of every declared term."""
        return tuple(n for n, k in cls.__annotations__.items() if k in (NamedNode, "NamedNode"))


class CIV(Vocabulary):
    """Terms of the civicgraph ontology that the code refers to by name."""

    namespace = BASE + "ontology#"
    # Classes
    Agent: NamedNode
    Person: NamedNode
    Organization: NamedNode
    GovernmentAgency: NamedNode
    Initiative: NamedNode
    Goal: NamedNode
    GoalScheme: NamedNode
    Event: NamedNode
    Document: NamedNode
    Membership: NamedNode
    MonetaryAmount: NamedNode
    Place: NamedNode
    ConfidenceLevel: NamedNode
    # Memberships and roles held over time (W3C ORG style)
    member: NamedNode
    organization: NamedNode
    role: NamedNode
    startDate: NamedNode
    endDate: NamedNode
    memberOf: NamedNode
    asOfDate: NamedNode
    # When entities begin and end (the network as of a date reads these)
    foundingDate: NamedNode
    dissolutionDate: NamedNode
    descriptiveLabel: NamedNode
    datePublished: NamedNode
    # Evidence on reified statements
    confidence: NamedNode
    sourceLocation: NamedNode
    HighConfidence: NamedNode
    MediumConfidence: NamedNode
    LowConfidence: NamedNode


class META(Vocabulary):
    """The bookkeeping the loader keeps in the meta graph."""

    namespace = BASE + "meta#"
    dataset: NamedNode
    sha256: NamedNode
    loadedAt: NamedNode
    load: NamedNode
    revision: NamedNode


class RDF(Vocabulary):
    """RDF 1.1 terms the code names."""

    namespace = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    type: NamedNode
    Statement: NamedNode
    subject: NamedNode
    predicate: NamedNode
    object: NamedNode
    first: NamedNode
    rest: NamedNode
    nil: NamedNode


class RDFS(Vocabulary):
    """RDF Schema terms the code names."""

    namespace = "http://www.w3.org/2000/01/rdf-schema#"
    label: NamedNode
    comment: NamedNode
    Resource: NamedNode
    subClassOf: NamedNode


class SKOS(Vocabulary):
    """SKOS terms the code names."""

    namespace = "http://www.w3.org/2004/02/skos/core#"
    prefLabel: NamedNode
    altLabel: NamedNode
    Concept: NamedNode


class SDO(Vocabulary):
    """schema.org terms the code names."""

    namespace = "https://schema.org/"
    name: NamedNode
    description: NamedNode
    Person: NamedNode
    Organization: NamedNode
    GovernmentOrganization: NamedNode
    Project: NamedNode
    Event: NamedNode
    CreativeWork: NamedNode
    Place: NamedNode


class FOAF(Vocabulary):
    """FOAF terms the code names."""

    namespace = "http://xmlns.com/foaf/0.1/"
    name: NamedNode
    Person: NamedNode
    Organization: NamedNode
    Document: NamedNode


class ORG(Vocabulary):
    """W3C Organization Ontology terms the code names."""

    namespace = "http://www.w3.org/ns/org#"
    Organization: NamedNode
    FormalOrganization: NamedNode


class XSD(Vocabulary):
    """XML Schema datatypes the code writes or checks."""

    namespace = "http://www.w3.org/2001/XMLSchema#"
    integer: NamedNode
    decimal: NamedNode
    double: NamedNode
    float: NamedNode
    boolean: NamedNode
    date: NamedNode
    dateTime: NamedNode
    time: NamedNode
    gYear: NamedNode
    gYearMonth: NamedNode
    string: NamedNode


class OWL(Vocabulary):
    """OWL terms the code names."""

    namespace = "http://www.w3.org/2002/07/owl#"
    versionInfo: NamedNode


class DCTERMS(Vocabulary):
    """Dublin Core terms the code names."""

    namespace = "http://purl.org/dc/terms/"
    title: NamedNode
    description: NamedNode
    license: NamedNode
    source: NamedNode


class DCAT(Vocabulary):
    """DCAT 3 terms of the dataset description."""

    namespace = "http://www.w3.org/ns/dcat#"
    Dataset: NamedNode
    Distribution: NamedNode
    distribution: NamedNode
    downloadURL: NamedNode
    mediaType: NamedNode


class VOID(Vocabulary):
    """VoID terms of the dataset description and the service description."""

    namespace = "http://rdfs.org/ns/void#"
    Dataset: NamedNode
    triples: NamedNode
    entities: NamedNode
    sparqlEndpoint: NamedNode
    uriSpace: NamedNode
    vocabulary: NamedNode
    classPartition: NamedNode
    subset: NamedNode
    dataDump: NamedNode
    #: ``void:class`` (``class`` is a Python keyword, so it is set below).
    class_: ClassVar[NamedNode] = NamedNode(namespace + "class")


class SH(Vocabulary):
    """SHACL terms of shapes: the targets and constraint components the validator reads."""

    namespace = "http://www.w3.org/ns/shacl#"
    targetClass: NamedNode
    targetSubjectsOf: NamedNode
    targetObjectsOf: NamedNode
    property: NamedNode
    path: NamedNode
    minCount: NamedNode
    maxCount: NamedNode
    datatype: NamedNode
    nodeKind: NamedNode
    node: NamedNode
    pattern: NamedNode
    flags: NamedNode
    hasValue: NamedNode
    message: NamedNode
    severity: NamedNode
    sparql: NamedNode
    select: NamedNode
    prefixes: NamedNode
    declare: NamedNode
    prefix: NamedNode
    namespace_: NamedNode
    class_: NamedNode
    in_: NamedNode
    or_: NamedNode
    and_: NamedNode
    not_: NamedNode
    xone: NamedNode
    Violation: NamedNode
    IRI: NamedNode
    BlankNode: NamedNode
    Literal: NamedNode
    BlankNodeOrIRI: NamedNode
    BlankNodeOrLiteral: NamedNode
    IRIOrLiteral: NamedNode


class SD(Vocabulary):
    """SPARQL 1.1 Service Description terms."""

    namespace = "http://www.w3.org/ns/sparql-service-description#"
    Service: NamedNode
    endpoint: NamedNode
    supportedLanguage: NamedNode
    SPARQL11Query: NamedNode
    SPARQL11Update: NamedNode
    Graph: NamedNode
    Dataset: NamedNode
    NamedGraph: NamedNode
    defaultGraph: NamedNode
    namedGraph: NamedNode
    name: NamedNode
    graph: NamedNode
    resultFormat: NamedNode
    feature: NamedNode
    UnionDefaultGraph: NamedNode
    BasicFederatedQuery: NamedNode
    defaultEntailmentRegime: NamedNode
    defaultDataset: NamedNode


class ENTAILMENT(Vocabulary):
    """W3C entailment regimes."""

    namespace = "http://www.w3.org/ns/entailment/"
    Simple: NamedNode


#: Standard classes the ontology aligns to, and the civ: class an entity typed only with
#: one of them stands for: FOAF, W3C ORG and schema.org data joins search, entity pages
#: and the network without conversion. The named queries that need it hold the same
#: table as a ``VALUES`` block (a test keeps them equal).
STANDARD_CLASSES: Final[dict[str, str]] = {
    standard.value: civ.value
    for standard, civ in (
        (FOAF.Person, CIV.Person),
        (SDO.Person, CIV.Person),
        (ORG.Organization, CIV.Organization),
        (ORG.FormalOrganization, CIV.Organization),
        (FOAF.Organization, CIV.Organization),
        (SDO.Organization, CIV.Organization),
        (SDO.GovernmentOrganization, CIV.GovernmentAgency),
        (SDO.Project, CIV.Initiative),
        (SDO.Event, CIV.Event),
        (SKOS.Concept, CIV.Goal),
        (SDO.CreativeWork, CIV.Document),
        (FOAF.Document, CIV.Document),
        (SDO.Place, CIV.Place),
    )
}

#: The W3C names of formats (``http://www.w3.org/ns/formats/Turtle``); names come from
#: ``formats.Format.w3c_name``, so this one namespace is open.
W3C_FORMATS: Final = "http://www.w3.org/ns/formats/"

PREFIXES: Final[dict[str, str]] = {
    "civ": CIV.namespace,
    "rdf": RDF.namespace,
    "rdfs": RDFS.namespace,
    "owl": OWL.namespace,
    "xsd": XSD.namespace,
    "skos": SKOS.namespace,
    "foaf": FOAF.namespace,
    "org": ORG.namespace,
    "schema": SDO.namespace,
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": DCTERMS.namespace,
    "sh": SH.namespace,
    "vann": "http://purl.org/vocab/vann/",
    "void": VOID.namespace,
    "dcat": DCAT.namespace,
}


@dataclass(frozen=True)
class EntityRef:
    """An entity IRI taken apart: ``id/{kind}/{slug}``."""

    kind: str
    slug: str

    @property
    def iri(self) -> str:
        """The full IRI of the entity."""
        return f"{ENTITY_BASE}{self.kind}/{self.slug}"


def entity_iri(kind: str, slug: str) -> str:
    """Mint the IRI of an entity, refusing kinds and slugs the data model does not allow."""
    if kind not in ENTITY_KINDS:
        raise ValueError(f"unknown entity kind {kind!r}; expected one of {', '.join(ENTITY_KINDS)}")
    if not _SLUG.fullmatch(slug):
        raise ValueError(f"invalid slug {slug!r}: use lowercase letters, digits and hyphens")
    return EntityRef(kind, slug).iri


def parse_entity_iri(iri: str) -> EntityRef | None:
    """Return the kind and slug of an entity IRI, or None for any other IRI."""
    if not iri.startswith(ENTITY_BASE):
        return None
    kind, _, slug = iri[len(ENTITY_BASE) :].partition("/")
    if kind in ENTITY_KINDS and _SLUG.fullmatch(slug):
        return EntityRef(kind, slug)
    return None


def is_statement(iri: str) -> bool:
    """Whether an IRI names one of the graph's statements (a claim with its evidence)."""
    ref = parse_entity_iri(iri)
    return ref is not None and ref.kind == "statement"


def is_graph_stem(text: str) -> bool:
    """Whether ``text`` can name a loaded file's graph (``graph_iri``)."""
    return bool(_STEM.fullmatch(text))


def graph_name(iri: str | None) -> str:
    """A graph as pages name it: a loaded file's graph by the file's stem (its full IRI
    ran wider than a phone), any other by its IRI, which a stem could pass for."""
    if iri is None:
        return "default graph"
    stem = iri.removeprefix(GRAPH_BASE)
    return stem if stem != iri and is_graph_stem(stem) else iri


def graph_iri(stem: str) -> str:
    """Return the named graph that holds one bundled or loaded file, by its stem."""
    if not is_graph_stem(stem):
        raise ValueError(f"invalid graph name {stem!r}")
    return GRAPH_BASE + stem


def sparql_prefixes() -> str:
    """Return PREFIX declarations for the namespaces above, for queries written by hand."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
