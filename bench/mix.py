"""The query mix: what researchers do with civicgraph, as SPARQL every peer can run.

Each query names its focus entities through the generator's numbering (0 is the
biggest hub), so every size of graph gets the same questions. The app's own named
queries are part of the mix, so a slow ``.rq`` file shows up here.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Final

from bench.generate import iri, person_label
from civicgraph.queries import named_query
from civicgraph.vocab import sparql_prefixes

PREFIXES: Final = sparql_prefixes()
SPARQL_JSON: Final = "application/sparql-results+json"
SPARQL_XML: Final = "application/sparql-results+xml"
TURTLE: Final = "text/turtle"
RDF_XML: Final = "application/rdf+xml"
#: What rdflib names each media type the mix asks for.
RDFLIB_FORMATS: Final = {SPARQL_JSON: "json", SPARQL_XML: "xml", TURTLE: "turtle", RDF_XML: "xml"}
PERSON: Final = iri("person", 7)
ORG: Final = iri("org", 3)


class Sending(Enum):
    """How a client sends a query to a server over HTTP."""

    #: ``GET /…?query=`` on a connection kept between queries.
    GET = "get"
    #: A form by POST on a kept connection, as clients send long queries.
    POST = "post"
    #: ``GET`` on a new connection that asks to close, as clients built on urllib
    #: (SPARQLWrapper, rdflib's ``SPARQLStore``) send every query.
    FRESH = "fresh"


@dataclass(frozen=True)
class Query:
    """One entry of the mix; ``graph`` marks CONSTRUCT/DESCRIBE, ``xml`` an answer asked
    for in XML (SPARQLWrapper's default) instead of SPARQL JSON or Turtle."""

    name: str
    what: str
    sparql: str
    graph: bool = False
    sending: Sending = Sending.GET
    xml: bool = False

    @property
    def accept(self) -> str:
        """The media type the answer is asked for in."""
        if self.graph:
            return RDF_XML if self.xml else TURTLE
        return SPARQL_XML if self.xml else SPARQL_JSON


def mix(initiatives: int) -> tuple[Query, ...]:
    """The SPARQL part of the mix for a graph with ``initiatives`` initiatives."""
    newest = iri("initiative", initiatives - 1)
    cheap = _label_lookup(42)
    return (
        Query("label_lookup", "entity by exact label (the cheap query)", cheap),
        Query(
            "label_lookup_post", "the cheap query, as a form by POST", cheap, sending=Sending.POST
        ),
        Query(
            "label_lookup_fresh",
            "the cheap query, on a new connection each time (as urllib sends)",
            cheap,
            sending=Sending.FRESH,
        ),
        Query(
            "one_hop",
            "organizations of a person, with labels",
            f"SELECT ?org ?label WHERE {{ <{PERSON}> civ:memberOf ?org . ?org rdfs:label ?label }}",
        ),
        Query(
            "two_hops",
            "colleagues: people sharing an organization with a person",
            f"SELECT DISTINCT ?other WHERE {{ <{PERSON}> civ:memberOf ?org . "
            f"?other civ:memberOf ?org . FILTER(?other != <{PERSON}>) }}",
        ),
        Query(
            "aggregate_per_goal",
            "initiatives per goal, with the goal's label",
            "SELECT ?goal ?label ?n WHERE { { SELECT ?goal (COUNT(?i) AS ?n) "
            "WHERE { ?i civ:addresses ?goal } GROUP BY ?goal } ?goal rdfs:label ?label } "
            "ORDER BY DESC(?n)",
        ),
        Query(
            "optional_date_filter",
            "members of a hub organization on a date (OPTIONAL end date)",
            f"SELECT ?person ?role WHERE {{ ?m civ:organization <{ORG}> ; civ:member ?person ; "
            "civ:role ?role ; civ:startDate ?start . OPTIONAL { ?m civ:endDate ?end } "
            'FILTER(?start <= "2020-06-01"^^xsd:date && '
            '(!BOUND(?end) || ?end >= "2020-06-01"^^xsd:date)) }',
        ),
        Query(
            "text_search",
            "labels containing a word (case-insensitive), first 50",
            "SELECT ?s ?label WHERE { ?s rdfs:label ?label "
            'FILTER(CONTAINS(LCASE(STR(?label)), "broadband water")) } LIMIT 50',
        ),
        Query(
            "property_path",
            "everything an initiative builds on, transitively",
            f"SELECT ?earlier WHERE {{ <{newest}> civ:buildsOn+ ?earlier }}",
        ),
        Query(
            "construct_ego",
            "CONSTRUCT the ego network of an organization (in and out)",
            f"CONSTRUCT {{ <{ORG}> ?p ?o . ?s ?q <{ORG}> }} WHERE {{ "
            f"{{ <{ORG}> ?p ?o }} UNION {{ ?s ?q <{ORG}> FILTER(?q != rdf:object) }} }}",
            graph=True,
        ),
        Query("describe", "DESCRIBE a person", f"DESCRIBE <{PERSON}>", graph=True),
        Query(
            "labels_xml",
            "1,000 labels in SPARQL XML (as SPARQLWrapper asks)",
            "SELECT ?s ?label WHERE { ?s rdfs:label ?label } LIMIT 1000",
            xml=True,
        ),
        Query(
            "construct_rdfxml",
            "CONSTRUCT 1,000 labels in RDF/XML (as SPARQLWrapper asks)",
            "CONSTRUCT { ?s rdfs:label ?label } WHERE { ?s rdfs:label ?label } LIMIT 1000",
            graph=True,
            xml=True,
        ),
        Query(
            "export_10k",
            "a 10,000-triple export in Turtle",
            "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 10000",
            graph=True,
        ),
        Query(
            "app_class_counts",
            "the home page's class counts (class_counts.rq)",
            named_query("class_counts"),
        ),
    )


def _label_lookup(person: int) -> str:
    return f'SELECT ?s WHERE {{ ?s rdfs:label "{person_label(person)}"@en }}'


def lookups(people: int) -> list[str]:
    """The cheap query's full text for every person: the same question about another
    entity each time, as a client looking entities up sends it."""
    return [PREFIXES + _label_lookup(person) for person in range(people)]


def with_prefixes(query: Query) -> str:
    """The full query text every peer receives."""
    return PREFIXES + query.sparql


@dataclass(frozen=True)
class ApiCall:
    """A call to civicgraph's own graph API, which the peers do not have."""

    name: str
    what: str
    path: str
    params: dict[str, str]


def api_calls() -> tuple[ApiCall, ...]:
    """The network explorer's ego network and path between two actors."""
    return (
        ApiCall(
            "api_ego_network",
            "graph API: ego network of an organization",
            "/api/graph",
            {"focus": ORG, "depth": "1"},
        ),
        ApiCall(
            "api_path",
            "graph API: how two people are connected",
            "/api/path",
            {"from": PERSON, "to": iri("person", 42)},
        ),
    )
