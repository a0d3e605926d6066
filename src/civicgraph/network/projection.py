"""The RDF graph projected onto a networkx ``MultiDiGraph`` of entities and relations.

Five named queries read the store once (ontology terms, entities, their literals, the
relations between them, the evidence statements); the rest happens in Python, so the
query shapes stay simple enough to run fast on any SPARQL server. Entities become
nodes, entity-to-entity triples become edges, each ``civ:Membership`` folds into one
member-to-organization edge carrying role and dates, and literal values stay node
attributes.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Final

import networkx as nx
from pyoxigraph import Literal

from civicgraph.network.background import Report, quiet
from civicgraph.network.model import INFO, EdgeInfo, NodeInfo, edge_id
from civicgraph.queries import select
from civicgraph.readmodels.evidence import EvidenceIndex, read_evidence
from civicgraph.readmodels.labels import (
    LABEL_PROPERTIES,
    best_label,
    label_or_name,
    local_name,
    shown_value,
)
from civicgraph.store import GraphStore
from civicgraph.store.results import term_value
from civicgraph.vocab import CIV, RDFS, SDO, SKOS, XSD

_DESCRIPTIONS: Final = (SDO.description.value, RDFS.comment.value)
_ALT_LABEL: Final = SKOS.altLabel.value
_MEMBER_OF: Final = CIV.memberOf.value
_MEMBERSHIP_ROLES: Final = {CIV.member.value: "member", CIV.organization.value: "organization"}

#: Datatypes of literals that date an entity (XSD §3.3.7 to §3.3.12).
_DATE_TYPES: Final = frozenset(t.value for t in (XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth))
#: Top-level classes that colour and group nodes, in legend order.
GROUPS: Final = tuple(
    c.value
    for c in (
        CIV.Person,
        CIV.Organization,
        CIV.Initiative,
        CIV.Goal,
        CIV.Event,
        CIV.Document,
        CIV.Place,
    )
)


@dataclass(frozen=True)
class ProjectionOptions:
    """Which entities become nodes (by class, subclasses included) and which relations edges.

    ``relations`` of None keeps every relation; ``civ:memberOf`` names folded
    memberships as well as direct membership triples.
    """

    classes: frozenset[str] = frozenset(GROUPS)
    relations: frozenset[str] | None = None
    fold_memberships: bool = True


@dataclass(frozen=True)
class Terms:
    """Labels of ontology terms and the civ: superclasses of each class."""

    labels: dict[str, str]
    parents: dict[str, frozenset[str]]
    lineages: dict[str, frozenset[str]] = field(default_factory=dict)

    def label(self, iri: str) -> str:
        """The term's label, or its local name when the ontology does not name it."""
        return self.labels.get(iri) or local_name(iri)

    def lineage(self, cls: str) -> frozenset[str]:
        """The class and all its civ: superclasses."""
        if cls not in self.lineages:
            self.lineages[cls] = self._walk(cls)
        return self.lineages[cls]

    def _walk(self, cls: str) -> frozenset[str]:
        seen: set[str] = set()
        todo = [cls]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.parents.get(current, ()))
        return frozenset(seen)


@dataclass
class _Rows:
    """What the queries returned, grouped by entity."""

    classes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    literals: dict[str, list[tuple[str, Literal]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def read_terms(store: GraphStore) -> Terms:
    """Read labels and superclasses of the ontology's terms."""
    labels: dict[str, list[Literal]] = defaultdict(list)
    parents: dict[str, set[str]] = defaultdict(set)
    for row in select(store, "network_terms"):
        term = term_value(row["term"])
        label = row["label"]
        if isinstance(label, Literal):
            labels[term].append(label)
        if "parent" in row:
            parents[term].add(term_value(row["parent"]))
    return Terms(
        {term: best_label(values) for term, values in labels.items()},
        {term: frozenset(values) for term, values in parents.items()},
    )


def _read_entities(store: GraphStore) -> _Rows:
    rows = _Rows()
    standard: dict[str, set[str]] = defaultdict(set)
    for row in select(store, "network_entities"):
        found = standard if "standard" in row else rows.classes
        found[term_value(row["entity"])].add(term_value(row["class"]))
    for entity, aligned in standard.items():
        if entity not in rows.classes:  # a civ: class, when given, is more specific
            rows.classes[entity] = aligned
    for row in select(store, "network_literals"):
        value = row["value"]
        entity = term_value(row["entity"])
        if entity in rows.classes and isinstance(value, Literal):
            rows.literals[entity].append((term_value(row["property"]), value))
    return rows


def _first_of(literals: list[tuple[str, Literal]], properties: tuple[str, ...]) -> str:
    """The best value of the first property that has one (descriptions, roles, dates)."""
    for prop in properties:
        found = best_label(v for p, v in literals if p == prop)
        if found:
            return found
    return ""


def _most_specific(direct: set[str], terms: Terms) -> str:
    return max(sorted(direct), key=lambda c: len(terms.lineage(c)))


def _node_info(
    iri: str, direct: set[str], literals: list[tuple[str, Literal]], terms: Terms
) -> NodeInfo:
    cls = _most_specific(direct, terms)
    lineage = frozenset().union(*(terms.lineage(c) for c in direct))
    group = next((g for g in GROUPS if g in lineage), cls)
    return NodeInfo(
        iri=iri,
        label=label_or_name(iri, (v for p, v in literals if p in LABEL_PROPERTIES)),
        cls=cls,
        cls_label=terms.label(cls),
        group=group,
        group_label=terms.label(group),
        classes=lineage,
        description=_first_of(literals, _DESCRIPTIONS),
        alt_labels=tuple(sorted({v.value for p, v in literals if p == _ALT_LABEL})),
        literals=tuple(sorted((terms.label(p), shown_value(v)) for p, v in literals)),
        dates=tuple(sorted((p, v.value) for p, v in literals if v.datatype.value in _DATE_TYPES)),
    )


def _fold_memberships(
    graph: nx.MultiDiGraph,
    ends: dict[str, dict[str, list[str]]],
    literals: dict[str, list[tuple[str, Literal]]],
    evidence: EvidenceIndex,
    terms: Terms,
) -> None:
    prop = _MEMBER_OF
    for membership, parts in sorted(ends.items()):
        facts = literals.get(membership, [])
        for member in parts.get("member", []):
            for organization in parts.get("organization", []):
                if member not in graph or organization not in graph:
                    continue
                info = EdgeInfo(
                    id=edge_id(member, membership, organization),
                    predicate=prop,
                    property_label=terms.label(prop),
                    evidence=evidence.membership(membership),
                    role=_first_of(facts, (CIV.role.value,)),
                    start=_first_of(facts, (CIV.startDate.value,)),
                    end=_first_of(facts, (CIV.endDate.value,)),
                    via=membership,
                )
                graph.add_edge(member, organization, key=info.id, **{INFO: info})


def _add_relations(
    graph: nx.MultiDiGraph,
    store: GraphStore,
    options: ProjectionOptions,
    terms: Terms,
    evidence: EvidenceIndex,
) -> dict[str, dict[str, list[str]]]:
    """Add direct relations; return the membership ends to fold."""
    ends: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    triples = sorted(
        (term_value(r["subject"]), term_value(r["property"]), term_value(r["object"]))
        for r in select(store, "network_relations")
    )
    for subject, prop, obj in triples:
        if prop in _MEMBERSHIP_ROLES:
            ends[subject][_MEMBERSHIP_ROLES[prop]].append(obj)
        elif subject in graph and obj in graph and _wanted(prop, options):
            info = EdgeInfo(
                id=edge_id(subject, prop, obj),
                predicate=prop,
                property_label=terms.label(prop),
                evidence=evidence.for_triple(subject, prop, obj),
            )
            graph.add_edge(subject, obj, key=info.id, **{INFO: info})
    return ends


def _wanted(prop: str, options: ProjectionOptions) -> bool:
    return options.relations is None or prop in options.relations


def project(
    store: GraphStore, options: ProjectionOptions | None = None, report: Report = quiet
) -> nx.MultiDiGraph:
    """Read the store into a multigraph of entities (nodes) and relations (edges).

    ``report`` hears each stage as it starts, with the share of the work done before
    it (shares measured on the benchmark's 1M-triple graph).
    """
    options = options or ProjectionOptions()
    report("reading ontology terms", 0.0)
    terms = read_terms(store)
    report("reading entities", 0.01)
    rows = _read_entities(store)
    report("building nodes", 0.25)
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    for iri in sorted(rows.classes):
        info = _node_info(iri, rows.classes[iri], rows.literals.get(iri, []), terms)
        if info.classes & options.classes:
            graph.add_node(iri, **{INFO: info})
    report("reading evidence", 0.32)
    evidence = read_evidence(store)
    report("reading relations", 0.66)
    ends = _add_relations(graph, store, options, terms, evidence)
    report("folding memberships", 0.97)
    if options.fold_memberships and _wanted(_MEMBER_OF, options):
        _fold_memberships(graph, ends, rows.literals, evidence, terms)
    return graph
