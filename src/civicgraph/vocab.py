"""Namespaces, and the only place entity and graph IRIs are minted and parsed.

``CIV`` is a ``DefinedNamespace`` with ``_fail = True`` so that a typo in an ontology
term fails at import or call time instead of silently producing a wrong IRI; a test
checks that every term declared here exists in ``ontology/civic.ttl``.
"""

import re
from dataclasses import dataclass
from typing import Final

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

BASE: Final = "https://w3id.org/civicgraph/"
ONTOLOGY_IRI: Final = BASE + "ontology"
ENTITY_BASE: Final = BASE + "id/"
GRAPH_BASE: Final = BASE + "graph/"
META_GRAPH: Final = GRAPH_BASE + "meta"
META: Final = Namespace(BASE + "meta#")
SDO: Final = Namespace("https://schema.org/")
SH: Final = Namespace("http://www.w3.org/ns/shacl#")
VANN: Final = Namespace("http://purl.org/vocab/vann/")
#: SPARQL 1.1 Service Description, and the W3C names of formats and entailment regimes.
SD: Final = Namespace("http://www.w3.org/ns/sparql-service-description#")
W3C_FORMATS: Final = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT: Final = Namespace("http://www.w3.org/ns/entailment/")
VOID: Final = Namespace("http://rdfs.org/ns/void#")

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
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class CIV(DefinedNamespace):
    """Terms of the civicgraph ontology that the code refers to by name."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    # Classes
    Agent: URIRef
    Person: URIRef
    Organization: URIRef
    GovernmentAgency: URIRef
    Initiative: URIRef
    Goal: URIRef
    GoalScheme: URIRef
    Event: URIRef
    Document: URIRef
    Membership: URIRef
    MonetaryAmount: URIRef
    Place: URIRef
    ConfidenceLevel: URIRef
    # Memberships and roles held over time (W3C ORG style)
    member: URIRef
    organization: URIRef
    role: URIRef
    startDate: URIRef
    endDate: URIRef
    memberOf: URIRef
    asOfDate: URIRef
    # When entities begin and end (the network as of a date reads these)
    foundingDate: URIRef
    dissolutionDate: URIRef
    datePublished: URIRef
    # Evidence on reified statements
    confidence: URIRef
    sourceLocation: URIRef
    HighConfidence: URIRef
    MediumConfidence: URIRef
    LowConfidence: URIRef


#: Standard classes the ontology aligns to, and the civ: class an entity typed only with
#: one of them stands for: FOAF, W3C ORG and schema.org data joins search, entity pages
#: and the network without conversion. The named queries that need it hold the same
#: table as a ``VALUES`` block (a test keeps them equal).
STANDARD_CLASSES: Final[dict[str, str]] = {
    str(FOAF.Person): str(CIV.Person),
    str(SDO.Person): str(CIV.Person),
    str(ORG.Organization): str(CIV.Organization),
    str(ORG.FormalOrganization): str(CIV.Organization),
    str(FOAF.Organization): str(CIV.Organization),
    str(SDO.Organization): str(CIV.Organization),
    str(SDO.GovernmentOrganization): str(CIV.GovernmentAgency),
    str(SDO.Project): str(CIV.Initiative),
    str(SDO.Event): str(CIV.Event),
    str(SKOS.Concept): str(CIV.Goal),
    str(SDO.CreativeWork): str(CIV.Document),
    str(FOAF.Document): str(CIV.Document),
    str(SDO.Place): str(CIV.Place),
}

PREFIXES: Final[dict[str, str]] = {
    "civ": str(CIV._NS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "foaf": str(FOAF),
    "org": str(ORG),
    "schema": str(SDO),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "sh": str(SH),
    "vann": str(VANN),
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


def graph_iri(stem: str) -> str:
    """Return the named graph that holds one bundled or loaded file, by its stem."""
    if not _STEM.fullmatch(stem):
        raise ValueError(f"invalid graph name {stem!r}")
    return GRAPH_BASE + stem


def sparql_prefixes() -> str:
    """Return PREFIX declarations for the namespaces above, for queries written by hand."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
