"""The one model of evidence, read by the one evidence query.

A relation is backed by evidence when a statement records it: a resource that is
``a rdf:Statement`` with ``rdf:subject``, ``rdf:predicate``, ``rdf:object`` and
``prov:wasDerivedFrom`` a source document (the data model's rule). A reification
without the type or without a source is not evidence. Entity pages, the network
explorer, the path finder and the exports all read evidence through
:func:`read_evidence` and show the same :class:`Evidence` records.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from typing import Final

from pyoxigraph import NamedNode

from civicgraph.queries import select
from civicgraph.readmodels.labels import label_or_name
from civicgraph.store import GraphStore
from civicgraph.store.results import Term, term_value
from civicgraph.vocab import CIV

Triple = tuple[str, str, str]


class Confidence(IntEnum):
    """The ontology's confidence levels, ordered so that ``max`` picks the best."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def from_iri(cls, iri: str) -> "Confidence | None":
        """The level named by a ``civ:*Confidence`` IRI, or None for anything else."""
        return _BY_IRI.get(iri)

    @classmethod
    def parse(cls, text: str) -> "Confidence":
        """Read ``high``, ``medium`` or ``low`` (any case), as URLs and the CLI give it."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown confidence {text!r}; use high, medium or low") from None

    @property
    def label(self) -> str:
        """Lower-case name, as pages and the JSON API write it."""
        return self.name.lower()


_BY_IRI: Final = {
    CIV.HighConfidence.value: Confidence.HIGH,
    CIV.MediumConfidence.value: Confidence.MEDIUM,
    CIV.LowConfidence.value: Confidence.LOW,
}


@dataclass(frozen=True)
class CitedSource:
    """A document a statement was derived from, with its label."""

    iri: str
    label: str


@dataclass(frozen=True)
class Evidence:
    """One statement backing a relation: its sources, where in them, how sure, when."""

    statement: str
    sources: tuple[CitedSource, ...]
    location: str = ""
    confidence: Confidence | None = None
    date: str = ""
    #: Why the claim was judged as it was (the statement's ``rdfs:comment``).
    note: str = ""

    @property
    def confidence_label(self) -> str:
        """``high``, ``medium``, ``low``, or ``""`` when the statement gives none."""
        return self.confidence.label if self.confidence else ""


#: The statements that record a membership itself, not its role or dates.
_MEMBERSHIP_ITSELF: Final = frozenset({CIV.member.value, CIV.organization.value})


@dataclass(frozen=True)
class EvidenceIndex:
    """Evidence by the triple it backs, and by the subject of that triple."""

    by_triple: Mapping[Triple, tuple[Evidence, ...]] = field(default_factory=dict)

    def for_triple(self, subject: str, prop: str, obj: str) -> tuple[Evidence, ...]:
        """The evidence for one triple (``obj`` may be a literal's lexical value)."""
        return self.by_triple.get((subject, prop, obj), ())

    def membership(self, iri: str) -> tuple[Evidence, ...]:
        """How a membership is backed: once per place in a source, each place by the
        statement of the membership itself (who and where) where it has one, not its
        role's or dates', so that the claim a reader follows is the main one."""
        found = self._by_subject.get(iri, ())
        ordered = sorted(found, key=lambda pair: pair[0] not in _MEMBERSHIP_ITSELF)
        return once_per_source(tuple(item for _, item in ordered))

    @cached_property
    def _by_subject(self) -> dict[str, tuple[tuple[str, Evidence], ...]]:
        found: dict[str, set[tuple[str, Evidence]]] = defaultdict(set)
        for (subject, prop, _), items in self.by_triple.items():
            found[subject].update((prop, item) for item in items)
        return {s: tuple(sorted(pairs, key=lambda p: _order(p[1]))) for s, pairs in found.items()}

    def merged(self, other: "EvidenceIndex") -> "EvidenceIndex":
        """Both indexes in one (used when evidence is read per subject and per object)."""
        return EvidenceIndex({**self.by_triple, **other.by_triple})


@dataclass
class _Statement:
    subject: str = ""
    prop: str = ""
    obj: str = ""
    sources: dict[str, list[Term | None]] = field(default_factory=lambda: defaultdict(list))
    locations: set[str] = field(default_factory=set)
    confidences: set[Confidence] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)

    def add(self, row: Mapping[str, Term]) -> None:
        self.subject, self.prop = term_value(row["subject"]), term_value(row["property"])
        self.obj = term_value(row["object"])
        self.sources[term_value(row["source"])].append(row.get("sourceLabel"))
        self.locations.add(term_value(row.get("location")))
        self.dates.add(term_value(row.get("date")))
        self.notes.add(term_value(row.get("note")))
        level = Confidence.from_iri(term_value(row.get("confidence")))
        if level is not None:
            self.confidences.add(level)

    def evidence(self, iri: str) -> Evidence:
        sources = (CitedSource(s, label_or_name(s, labels)) for s, labels in self.sources.items())
        return Evidence(
            statement=iri,
            sources=tuple(sorted(sources, key=lambda s: (s.label.casefold(), s.iri))),
            location=min(self.locations - {""}, default=""),
            confidence=max(self.confidences, default=None),
            date=min(self.dates - {""}, default=""),
            note=" ".join(sorted(self.notes - {""})),
        )


def _order(evidence: Evidence) -> tuple[str, str, str]:
    first = evidence.sources[0].label if evidence.sources else ""
    return (first.casefold(), evidence.location, evidence.statement)


def once_per_source(found: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    """One record per place in a source, the surest kept: a membership's statements
    (member, organization, role, as of) usually cite the same paragraph, and a reader
    needs it once, not three times."""
    kept: dict[tuple[tuple[str, ...], str, str], Evidence] = {}
    for item in found:
        key = (tuple(s.iri for s in item.sources), item.location, item.date)
        if key not in kept or _sureness(item) > _sureness(kept[key]):
            kept[key] = item
    return tuple(kept.values())


def _sureness(evidence: Evidence) -> int:
    return evidence.confidence or 0


def evidence_from_rows(rows: Iterable[Mapping[str, Term]]) -> EvidenceIndex:
    """Group the evidence query's rows (one per source and optional value) into records."""
    statements: dict[str, _Statement] = defaultdict(_Statement)
    for row in rows:
        statements[term_value(row["statement"])].add(row)
    grouped: dict[Triple, list[Evidence]] = defaultdict(list)
    for iri, found in statements.items():
        grouped[(found.subject, found.prop, found.obj)].append(found.evidence(iri))
    return EvidenceIndex({k: tuple(sorted(v, key=_order)) for k, v in grouped.items()})


def read_evidence(
    store: GraphStore, *, subject: str | None = None, obj: str | None = None
) -> EvidenceIndex:
    """Evidence for every triple, or for those with the given subject or object IRI."""
    bindings: dict[str, Term] = {}
    if subject is not None:
        bindings["subject"] = NamedNode(subject)
    if obj is not None:
        bindings["object"] = NamedNode(obj)
    return evidence_from_rows(select(store, "evidence", bindings or None))
