"""Read models for entity pages: what one entity is, and how it is linked, with evidence.

An entity page groups every triple from and to the entity by property, names each
property by its ontology label (by its inverse's label for links that point in), and
lists for each link the evidence that backs it, read through the one evidence model
(``readmodels.evidence``); names come from the one label rule (``readmodels.labels``).
The named queries behind it bind the entity as ``?entity``; nothing is pasted into
query text.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Final

from pyoxigraph import Literal, NamedNode, Triple

from civicgraph.errors import NotFoundError
from civicgraph.queries import Row, named_query, select
from civicgraph.readmodels.claims import claim_names
from civicgraph.readmodels.evidence import (
    Evidence,
    EvidenceIndex,
    read_evidence,
)
from civicgraph.readmodels.labels import (
    best_label,
    humanize,
    label_or_name,
    local_name,
    shown_value,
)
from civicgraph.store import GraphStore
from civicgraph.store.results import GraphResult, Term, term_value
from civicgraph.vocab import CIV, RDF, is_statement, parse_entity_iri


@dataclass(frozen=True)
class Link:
    """The other end of a link: an IRI with a label, or a literal value."""

    value: str
    label: str
    is_iri: bool
    datatype: str = ""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class PropertyGroup:
    """All links of one property in one direction, under the label a reader sees."""

    property: str
    label: str
    direction: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Membership:
    """A role held over time: the other party, the role, its dates and a note on it
    (a successor, a role ended before a date the source gives)."""

    iri: str
    other: str
    other_label: str
    direction: str
    role: str = ""
    start: str = ""
    end: str = ""
    as_of: str = ""
    note: str = ""
    evidence: tuple[Evidence, ...] = ()


_STARTS: Final = frozenset({CIV.foundingDate.value, CIV.startDate.value})
_ENDS: Final = frozenset({CIV.dissolutionDate.value, CIV.endDate.value})
_DESCRIPTIVE: Final = CIV.descriptiveLabel.value


@dataclass(frozen=True)
class TypeRef:
    """A class the entity belongs to."""

    iri: str
    label: str


@dataclass(frozen=True)
class Entity:
    """Everything an entity page shows."""

    iri: str
    label: str
    alt_labels: tuple[str, ...]
    types: tuple[TypeRef, ...]
    description: str
    outgoing: tuple[PropertyGroup, ...]
    incoming: tuple[PropertyGroup, ...]
    memberships: tuple[Membership, ...] = field(default=())

    @property
    def is_claim(self) -> bool:
        """Whether the entity is a statement: one claim and the sources it comes from."""
        return any(t.iri == RDF.Statement.value for t in self.types)

    @property
    def not_known_to_have_ended(self) -> bool:
        """Founded or started, with no end on record: the page says so rather than "current".

        Events start and are over; only organizations and initiatives run on.
        """
        props = {g.property for g in self.outgoing}
        is_event = any(t.iri.endswith("Event") for t in self.types)
        return bool(props & _STARTS) and not props & _ENDS and not is_event

    @property
    def described_by_us(self) -> bool:
        """Whether the label describes a document that has no title of its own
        (``civ:descriptiveLabel``): the page says so in words, not as a fact "true"."""
        return any(
            g.property == _DESCRIPTIVE and any(link.value == "true" for link in g.links)
            for g in self.outgoing
        )

    @property
    def facts(self) -> tuple[PropertyGroup, ...]:
        """The outgoing relations and facts a page lists (the descriptive-label flag aside)."""
        return tuple(g for g in self.outgoing if g.property != _DESCRIPTIVE)

    @property
    def neighbours(self) -> list[tuple[str, str, str]]:
        """(IRI, label, property label) of every linked entity, for the ego network."""
        seen: dict[str, tuple[str, str, str]] = {}
        for group in (*self.outgoing, *self.incoming):
            for link in group.links:
                if link.is_iri and parse_entity_iri(link.value):
                    seen.setdefault(link.value, (link.value, link.label, group.label))
        for membership in self.memberships:
            seen.setdefault(
                membership.other, (membership.other, membership.other_label, "membership")
            )
        return list(seen.values())


def _select(store: GraphStore, name: str, iri: str) -> list[Row]:
    return select(store, name, {"entity": NamedNode(iri)})


def _value(row: Mapping[str, Term], key: str) -> str:
    return term_value(row.get(key))


def _link(rows: Sequence[Mapping[str, Term]], entity: str, evidence: EvidenceIndex) -> Link:
    other, prop = rows[0]["other"], _value(rows[0], "property")
    if isinstance(other, Literal):  # a value: always the entity's own, outgoing
        backed = evidence.for_triple(entity, prop, other.value)
        return Link(other.value, shown_value(other), False, other.datatype.value, backed)
    iri = term_value(other)
    ends = (entity, iri) if _value(rows[0], "direction") == "out" else (iri, entity)
    return Link(
        iri,
        label_or_name(iri, (r.get("otherLabel") for r in rows)),
        True,
        evidence=evidence.for_triple(ends[0], prop, ends[1]),
    )


def _group_label(rows: Sequence[Mapping[str, Term]], direction: str) -> str:
    iri = _value(rows[0], "property")
    label = best_label(r.get("propertyLabel") for r in rows) or humanize(iri)
    if direction == "out":
        return label
    return best_label(r.get("inverseLabel") for r in rows) or f"{label} this"


def _relations(
    rows: list[dict[str, Term]], entity: str, evidence: EvidenceIndex
) -> tuple[list[PropertyGroup], list[PropertyGroup]]:
    by_link: dict[tuple[str, str, str], list[dict[str, Term]]] = {}
    for row in rows:
        other = row["other"]
        if isinstance(other, NamedNode) and is_statement(other.value):
            continue
        key = (_value(row, "direction"), _value(row, "property"), str(other))
        by_link.setdefault(key, []).append(row)
    by_group: dict[tuple[str, str], list[list[dict[str, Term]]]] = {}
    for (direction, prop, _), link_rows in by_link.items():
        by_group.setdefault((direction, prop), []).append(link_rows)
    groups = [
        PropertyGroup(
            prop,
            _group_label([r for lr in links for r in lr], direction),
            direction,
            tuple(sorted((_link(lr, entity, evidence) for lr in links), key=_link_order)),
        )
        for (direction, prop), links in by_group.items()
    ]
    groups.sort(key=lambda g: (importance(g.property), g.label.casefold()))
    return (
        [g for g in groups if g.direction == "out"],
        [g for g in groups if g.direction == "in"],
    )


#: Relations in the order a reader wants them: who founded and leads, who belongs, who
#: takes part, what it came from; what a document is about or mentions comes last.
_IMPORTANCE: Final = (
    "founder",
    "founded",
    "ledBy",
    "leads",
    "memberOf",
    "hasMember",
    "subOrganizationOf",
    "hasSubOrganization",
    "proposedBy",
    "proposes",
    "organizer",
    "organizerOf",
    "participant",
    "participatesIn",
    "attendee",
    "attended",
    "author",
    "authorOf",
    "replacedBy",
    "replaces",
    "mergedInto",
    "renamedTo",
    "inspiredBy",
    "buildsOn",
    "resultedIn",
    "recommends",
    "location",
    "reportedCost",
)
_LAST: Final = ("addresses", "addressedBy", "about", "publishedIn", "mentions", "mentionedIn")


#: A statement's parts, first on its page in the order its name gives them.
_CLAIM_PARTS: Final = (RDF.subject.value, RDF.predicate.value, RDF.object.value)


def importance(prop: str) -> int:
    """A relation's place on a page: lower first; unknown relations before the mentions."""
    if prop in _CLAIM_PARTS:
        return _CLAIM_PARTS.index(prop) - len(_CLAIM_PARTS)
    name = local_name(prop)
    if name in _IMPORTANCE:
        return _IMPORTANCE.index(name)
    if name in _LAST:
        return 100 + _LAST.index(name)
    return 50


def _memberships(rows: list[dict[str, Term]], evidence: EvidenceIndex) -> tuple[Membership, ...]:
    by_iri: dict[tuple[str, str], list[dict[str, Term]]] = {}
    for row in rows:
        by_iri.setdefault((_value(row, "membership"), _value(row, "direction")), []).append(row)
    found = [
        Membership(
            iri=iri,
            other=_value(group[0], "other"),
            other_label=label_or_name(
                _value(group[0], "other"), (r.get("otherLabel") for r in group)
            ),
            direction=direction,
            role=_value(group[0], "role"),
            start=_value(group[0], "start"),
            end=_value(group[0], "end"),
            as_of=_value(group[0], "asOf"),
            note=best_label(r.get("note") for r in group),
            evidence=evidence.membership(iri),
        )
        for (iri, direction), group in by_iri.items()
    ]
    return tuple(sorted(found, key=lambda m: (m.start or m.as_of, m.other_label)))


def _types(rows: Sequence[Mapping[str, Term]]) -> tuple[TypeRef, ...]:
    labels: dict[str, list[Term | None]] = {}
    for row in rows:
        if _value(row, "field") == "type":
            labels.setdefault(_value(row, "value"), []).append(row.get("valueLabel"))
    refs = (TypeRef(iri, best_label(found) or local_name(iri)) for iri, found in labels.items())
    return tuple(sorted(refs, key=lambda t: t.label.casefold()))


def _link_order(link: Link) -> tuple[str, str]:
    return (link.label.casefold(), link.value)


def _entity_evidence(store: GraphStore, iri: str, memberships: set[str]) -> EvidenceIndex:
    """Evidence for the entity's triples in both directions and for its memberships."""
    found = read_evidence(store, subject=iri).merged(read_evidence(store, obj=iri))
    for membership in sorted(memberships):
        found = found.merged(read_evidence(store, subject=membership))
    return found


def load_entity(store: GraphStore, iri: str) -> Entity:
    """Read one entity; an IRI the store knows nothing about is a ``NotFoundError``."""
    core = _select(store, "entity_types", iri)
    relations = _select(store, "entity_relations", iri)
    memberships = _select(store, "entity_memberships", iri)
    if not (core or relations or memberships):
        raise NotFoundError(f"Nothing is known about <{iri}>; try searching for it", iri)

    def field_values(name: str) -> list[Term | None]:
        return [row.get("value") for row in core if _value(row, "field") == name]

    evidence = _entity_evidence(store, iri, {_value(r, "membership") for r in memberships})
    outgoing, incoming = _relations(relations, iri, evidence)
    alt = sorted({term_value(t) for t in field_values("alt")}, key=str.casefold)
    named = best_label(field_values("label")) or claim_names(store, [iri]).get(iri, "")
    return Entity(
        iri=iri,
        label=named or local_name(iri),
        alt_labels=tuple(alt),
        types=_types(core),
        description=best_label(field_values("description")),
        outgoing=tuple(outgoing),
        incoming=tuple(incoming),
        memberships=_memberships(memberships, evidence),
    )


def entity_graph(store: GraphStore, iri: str) -> GraphResult:
    """The entity's RDF, what its page shows: its triples, links to it, its roles,
    neighbour labels, evidence and the titles of its sources."""
    entity = NamedNode(iri)
    result = store.query(named_query("entity_graph"), bindings={"entity": entity})
    assert isinstance(result, GraphResult)
    if not result.triples:
        raise NotFoundError(f"Nothing is known about <{iri}>; try searching for it", iri)
    ordered = sorted(set(result.triples), key=partial(_reading_order, entity))
    return GraphResult(tuple(ordered), result.truncated)


def _reading_order(entity: NamedNode, triple: Triple) -> tuple[bool, str, bool, str, str]:
    """The entity's own triples first, then each other subject's together, types first:
    Turtle writes a subject once for each run of its triples, and in the order the
    query found them, the entity was written five times and one role three."""
    subject, predicate = triple.subject, triple.predicate
    return (
        subject != entity,
        str(subject),
        predicate != RDF.type,
        str(predicate),
        str(triple.object),
    )
