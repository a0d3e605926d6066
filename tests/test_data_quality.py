"""Data quality of the ontology and graph_data: shapes, declared terms and evidence.

Declarations and evidence are checked on the Turtle files with rdflib; shapes through
the application's own validator, exactly as `civicgraph validate` runs them.
"""

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from civicgraph.dataset.validation import validate_files
from civicgraph.store import GraphStore
from civicgraph.store.results import SelectResult, term_value

ROOT = Path(__file__).resolve().parent.parent
CIV = Namespace("https://w3id.org/civicgraph/ontology#")
ID = "https://w3id.org/civicgraph/id/"
STATEMENT = ID + "statement/"
PROV = Namespace("http://www.w3.org/ns/prov#")
SDO = Namespace("https://schema.org/")
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
# Standard terms the data may use as annotations or structure without declaring them.
ALLOWED_TERMS = {
    RDF.type,
    RDF.Statement,
    RDF.subject,
    RDF.predicate,
    RDF.object,
    RDFS.label,
    RDFS.comment,
    SKOS.prefLabel,
    SKOS.altLabel,
    SKOS.notation,
    SKOS.editorialNote,
    SKOS.inScheme,
    DCTERMS.title,
    DCTERMS.description,
    DCTERMS.creator,
    DCTERMS.publisher,
    DCTERMS.date,
    SDO.url,
    SDO.sameAs,
    SDO.description,
    PROV.wasDerivedFrom,
}


def parse(*patterns: str) -> Graph:
    """Parse every Turtle file matching the patterns into one rdflib graph."""
    graph = Graph()
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            graph.parse(path)
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    """The OWL ontology alone, to check declarations."""
    return parse("ontology/civic.ttl")


@pytest.fixture(scope="module")
def data() -> Graph:
    """All of graph_data, without the ontology."""
    return parse("graph_data/*.ttl")


def is_entity(node: object) -> bool:
    """Entity IRIs live under id/; evidence statements are not entities."""
    return isinstance(node, URIRef) and str(node).startswith(ID)


def test_data_conforms_to_shapes() -> None:
    report = validate_files(sorted(ROOT.glob("graph_data/*.ttl")))
    assert report.conforms, report.text()


def test_broken_fixture_is_rejected_with_node_and_path() -> None:
    report = validate_files([ROOT / "tests/data/broken-entity.ttl"])
    assert not report.conforms
    text = report.text()
    for needle in [
        f"{ID}person/nobody {RDFS.label}",
        f"{ID}org/broken-office {CIV.subOrganizationOf}",
        f"{ID}statement/unsourced {PROV.wasDerivedFrom}",
    ]:
        assert needle in text, needle


def test_every_used_term_is_declared(ontology: Graph, data: Graph) -> None:
    declared = {s for t in TERM_TYPES for s in ontology.subjects(RDF.type, t)}
    used = set(data.predicates()) | set(data.objects(None, RDF.type))
    assert used - declared - ALLOWED_TERMS == set()


def test_ontology_terms_have_label_comment_domain_range(ontology: Graph) -> None:
    for term_type in TERM_TYPES:
        for term in ontology.subjects(RDF.type, term_type):
            if not isinstance(term, URIRef):
                continue  # owl:unionOf class expressions used as domains and ranges
            assert ontology.value(term, RDFS.label) is not None, term
            assert ontology.value(term, RDFS.comment) is not None, term
            if term_type != OWL.Class:
                assert ontology.value(term, RDFS.domain) is not None, term
                assert ontology.value(term, RDFS.range) is not None, term


def test_every_entity_has_label_and_ontology_type(ontology: Graph, data: Graph) -> None:
    classes = set(ontology.subjects(RDF.type, OWL.Class))
    entities = {n for n in data.all_nodes() if is_entity(n)}
    for entity in entities - set(data.subjects(RDF.type, RDF.Statement)):
        assert data.value(entity, RDFS.label) is not None, entity
        assert set(data.objects(entity, RDF.type)) & classes, entity


def has_evidence(data: Graph, s: URIRef, p: URIRef, o: object) -> bool:
    """True when a statement reifies (s, p, o) with a source and a confidence.

    The location is optional: it is given only where the place in the document is known.
    """
    for stmt in data.subjects(RDF.subject, s):
        if (stmt, RDF.predicate, p) in data and (stmt, RDF.object, o) in data:
            sources = list(data.objects(stmt, PROV.wasDerivedFrom))
            return (
                bool(sources)
                and all((src, RDF.type, None) in data for src in sources)
                and data.value(stmt, CIV.confidence) is not None
            )
    return False


def test_every_entity_edge_has_evidence(data: Graph) -> None:
    # An amount's prov:wasDerivedFrom names its source; the evidence for the figure is
    # the statement on its civ:value, checked below.
    edges = [
        (s, p, o)
        for s, p, o in data
        if is_entity(s)
        and is_entity(o)
        and not str(s).startswith(STATEMENT)
        and p != PROV.wasDerivedFrom
    ]
    missing = [e for e in edges if not has_evidence(data, *e)]
    assert edges
    assert missing == []


DATED = (CIV.foundingDate, CIV.dissolutionDate, CIV.startDate, CIV.endDate, CIV.plannedEndDate)


def test_every_dated_fact_and_amount_has_evidence(data: Graph) -> None:
    facts = [
        (s, p, o)
        for p in (*DATED, CIV.asOfDate, CIV.value, CIV.memberCount, CIV.groupCount)
        for s, o in data.subject_objects(p)
    ]
    assert len([f for f in facts if f[1] in DATED]) >= 38
    assert [f for f in facts if not has_evidence(data, *f)] == []


def test_locations_are_places_in_the_cited_document(data: Graph) -> None:
    locations = [str(o) for o in data.objects(None, CIV.sourceLocation)]
    assert locations
    assert [loc for loc in locations if "facts" in loc.lower()] == []


def test_statement_date_is_the_source_date(data: Graph) -> None:
    for stmt, date in data.subject_objects(DCTERMS.date):
        published = {
            str(d)
            for src in data.objects(stmt, PROV.wasDerivedFrom)
            for d in data.objects(src, CIV.datePublished)
        }
        assert str(date) in published, stmt


def test_documents_without_a_known_title_are_marked_descriptive(
    ontology: Graph, data: Graph
) -> None:
    documents = set(ontology.transitive_subjects(RDFS.subClassOf, CIV.Document))
    for doc in {s for c in documents for s in data.subjects(RDF.type, c)}:
        titled = data.value(doc, DCTERMS.title) is not None
        descriptive = data.value(doc, CIV.descriptiveLabel) is not None
        assert titled != descriptive, doc
        if titled:
            assert str(data.value(doc, DCTERMS.title)) == str(data.value(doc, RDFS.label)), doc


def test_declared_object_properties_have_data(ontology: Graph, data: Graph) -> None:
    """No property promises triples the data does not hold (inverses are labels only)."""
    used = {
        sup for p in data.predicates() for sup in ontology.transitive_objects(p, RDFS.subPropertyOf)
    }
    # civ:memberOf names the network explorer's folded memberships; it is never stored.
    unused = set(ontology.subjects(RDF.type, OWL.ObjectProperty)) - used
    assert unused == {CIV.memberOf}


def test_every_source_is_a_document_with_url(ontology: Graph, data: Graph) -> None:
    documents = set(ontology.transitive_subjects(RDFS.subClassOf, CIV.Document))
    for source in set(data.objects(None, PROV.wasDerivedFrom)):
        assert set(data.objects(source, RDF.type)) & documents, source
        assert data.value(source, SDO.url) is not None, source


@pytest.mark.parametrize(
    ("standard", "kind"),
    [
        ("http://xmlns.com/foaf/0.1/Person", "person"),
        ("http://www.w3.org/ns/org#Organization", "org"),
    ],
)
def test_standard_classes_find_all_entities(
    bundled_store: GraphStore, data: Graph, standard: str, kind: str
) -> None:
    expected = {str(n) for n in data.all_nodes() if str(n).startswith(f"{ID}{kind}/")}
    query = f"SELECT DISTINCT ?x WHERE {{ ?x a/<{RDFS.subClassOf}>* <{standard}> }}"
    result = bundled_store.query(query)
    assert isinstance(result, SelectResult)
    assert {term_value(t) for t in result.column("x")} == expected


def test_every_link_the_data_makes_reads_backwards_too(ontology: Graph, data: Graph) -> None:
    """An entity's page lists the links that point to it under the property's reverse
    reading; without one it fell back on "reported cost this"."""
    statement_parts = {RDF.subject, RDF.object}  # a statement's page is its own, not listed
    linked = {p for _, p, o in data if is_entity(o) and p not in statement_parts}
    unread = {
        p
        for p in linked
        if (p, CIV.inverseLabel, None) not in ontology
        and (p, OWL.inverseOf, None) not in ontology
        and (None, OWL.inverseOf, p) not in ontology
    }
    assert not unread
