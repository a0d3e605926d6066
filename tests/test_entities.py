"""Entity read models over the workbench fixtures."""

import pytest

from civicgraph.errors import NotFoundError
from civicgraph.readmodels import entities
from civicgraph.readmodels.labels import humanize
from civicgraph.store import GraphStore
from tests.conftest import load_workbench

ID = "https://w3id.org/civicgraph/id/"
CIV = "https://w3id.org/civicgraph/ontology#"


@pytest.fixture
def filled(store: GraphStore) -> GraphStore:
    return load_workbench(store)


def test_entity_has_label_alt_labels_types_and_description(filled: GraphStore) -> None:
    entity = entities.load_entity(filled, ID + "org/code-for-example")
    assert (entity.label, entity.alt_labels) == ("Code for Example", ("CfE",))
    assert [(t.iri, t.label) for t in entity.types] == [(CIV + "Nonprofit", "Nonprofit")]
    assert entity.description.startswith("A nonprofit that builds")


def test_outgoing_relation_carries_its_evidence(filled: GraphStore) -> None:
    entity = entities.load_entity(filled, ID + "org/code-for-example")
    founder = next(g for g in entity.outgoing if g.property == CIV + "founder")
    (link,) = founder.links
    (evidence,) = link.evidence
    assert (
        link.label,
        evidence.sources[0].label,
        evidence.location,
        evidence.confidence_label,
    ) == (
        "Ada Lovelace",
        "Field notes on civic technology",
        "paragraph 2",
        "high",
    )


def test_incoming_links_are_named_by_the_inverse_property(filled: GraphStore) -> None:
    entity = entities.load_entity(filled, ID + "person/ada-lovelace")
    assert [(g.label, g.direction) for g in entity.incoming] == [("founded", "in")]


def test_incoming_link_without_declared_inverse_reads_as_a_phrase(filled: GraphStore) -> None:
    entity = entities.load_entity(filled, ID + "org/code-for-example")
    labels = [g.label for g in entity.incoming]
    assert "led by this" in labels
    assert not any(label.startswith("inverse of") for label in labels)


def test_relations_come_in_order_of_importance() -> None:
    ranked = sorted(
        [CIV + "mentions", CIV + "addresses", CIV + "somethingNew", CIV + "founder", CIV + "ledBy"],
        key=entities.importance,
    )
    assert ranked == [
        CIV + "founder",
        CIV + "ledBy",
        CIV + "somethingNew",
        CIV + "addresses",
        CIV + "mentions",
    ]


def test_bundled_entity_page_lists_founders_before_what_it_addresses(
    bundled_store: GraphStore,
) -> None:
    entity = entities.load_entity(bundled_store, ID + "org/code-for-america")
    order = [entities.importance(g.property) for g in entity.outgoing]
    assert order == sorted(order)


def test_membership_evidence_is_shown_once_per_source(bundled_store: GraphStore) -> None:
    entity = entities.load_entity(bundled_store, ID + "person/luke-fretwell")
    for membership in entity.memberships:
        places = [(tuple(s.iri for s in e.sources), e.location) for e in membership.evidence]
        assert len(places) == len(set(places))
    assert any(m.evidence for m in entity.memberships)


def test_a_role_carries_its_note(bundled_store: GraphStore) -> None:
    """A role's note says what its dates do not: who came after, or that it ended."""
    entity = entities.load_entity(bundled_store, ID + "org/us-digital-service")
    notes = {m.other_label: m.note for m in entity.memberships}
    assert notes["Matt Cutts"] == "Successor of Mikey Dickerson."
    assert "successor" in notes["Mikey Dickerson"]


def test_literal_values_are_listed_with_their_datatype(filled: GraphStore) -> None:
    entity = entities.load_entity(filled, ID + "org/code-for-example")
    founded = next(g for g in entity.outgoing if g.label == "founding date")
    assert [(k.value, k.is_iri, k.datatype.rsplit("#")[-1]) for k in founded.links] == [
        ("2009", False, "gYear")
    ]


def test_membership_has_role_dates_and_evidence(filled: GraphStore) -> None:
    (membership,) = entities.load_entity(filled, ID + "person/jose-nunez").memberships
    assert (membership.other_label, membership.role, membership.start, membership.end) == (
        "Code for Example",
        "Director",
        "2015-01-01",
        "",
    )
    assert [e.location for e in membership.evidence] == ["paragraph 4"]


def test_memberships_are_not_repeated_as_plain_relations(filled: GraphStore) -> None:
    entity = entities.load_entity(filled, ID + "org/code-for-example")
    assert all(g.property != CIV + "organization" for g in entity.incoming)


def test_unknown_entity_is_not_found(filled: GraphStore) -> None:
    with pytest.raises(NotFoundError, match="Nothing is known"):
        entities.load_entity(filled, ID + "person/nobody")


def test_entity_graph_holds_its_triples_and_evidence(filled: GraphStore) -> None:
    triples = entities.entity_graph(filled, ID + "org/code-for-example").triples
    subjects = {t.subject.value for t in triples}
    assert {ID + "org/code-for-example", ID + "statement/cfe-founder"} <= subjects


def test_neighbours_cover_relations_and_memberships(filled: GraphStore) -> None:
    entity = entities.load_entity(filled, ID + "org/code-for-example")
    assert {iri.rsplit("/", 1)[-1] for iri, _, _ in entity.neighbours} == {
        "ada-lovelace",
        "hostile-label",
        "open-example",
        "jose-nunez",
    }


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        (CIV + "foundingDate", "founding date"),
        ("https://schema.org/url", "url"),
    ],
)
def test_humanize_makes_readable_names(iri: str, expected: str) -> None:
    assert humanize(iri) == expected


def test_a_judgement_behind_a_confidence_is_shown_with_its_evidence(
    bundled_store: GraphStore,
) -> None:
    entity = entities.load_entity(bundled_store, ID + "event/cfa-nac-election-2019")
    notes = [e.note for g in entity.outgoing for link in g.links for e in link.evidence]
    assert any(n.startswith("Judgement: the council is Code for America") for n in notes)
