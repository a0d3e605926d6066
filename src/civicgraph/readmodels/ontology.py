"""The ontology page's model: classes in their hierarchy, properties with domain,
range and alignment, and examples drawn from the data.

It is read from the store (the graph that declares the ``owl:Ontology``), so the
page always documents the ontology that the data was loaded with.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from civicgraph.queries import named_query, rows, select
from civicgraph.readmodels.evidence import Confidence
from civicgraph.readmodels.labels import best_label, curie, local_name
from civicgraph.sparql.binding import bind_each
from civicgraph.store import GraphStore
from civicgraph.store.results import Term, term_value
from civicgraph.vocab import CIV

#: Entities shown as examples of one class.
EXAMPLES_PER_CLASS = 3
_CIV = CIV.namespace
_HEADER_FIELDS = {
    "http://purl.org/dc/terms/title": "title",
    "http://purl.org/dc/terms/description": "description",
    "http://www.w3.org/2002/07/owl#versionInfo": "version",
    "http://purl.org/dc/terms/license": "license",
    "http://purl.org/dc/terms/modified": "modified",
}
_LINK_FIELDS = {"super": "supers", "domain": "domain", "range": "range", "inverse": "inverse"}


@dataclass(frozen=True)
class Example:
    """One use of a term in the data."""

    subject: str
    object: str = ""
    object_is_iri: bool = False


@dataclass
class OntologyTerm:
    """A class or property of the ontology."""

    iri: str
    kind: str
    label: str
    comment: str
    supers: list[str] = field(default_factory=list)
    subs: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    inverse: list[str] = field(default_factory=list)
    inverse_label: str = ""
    uses: int = 0
    examples: list[Example] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        """The fragment that identifies the term on the page (its local name)."""
        return local_name(self.iri)

    @property
    def curie(self) -> str:
        """``civ:Person`` and the like."""
        return curie(self.iri)

    @property
    def is_class(self) -> bool:
        """Classes are listed apart from properties."""
        return self.kind == "class"


@dataclass(frozen=True)
class OntologyDoc:
    """Everything the ontology page shows."""

    header: dict[str, str]
    graph: str | None
    terms: dict[str, OntologyTerm]
    #: Each standard term the ontology aligns its own to (org:member) that the data
    #: never states, with the ontology's narrower terms it states instead (civ:member).
    unstated: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def classes(self) -> list[OntologyTerm]:
        """Classes, alphabetically."""
        return sorted((t for t in self.terms.values() if t.is_class), key=lambda t: t.label)

    @property
    def properties(self) -> list[OntologyTerm]:
        """Properties, alphabetically."""
        found = (t for t in self.terms.values() if t.kind.endswith("property"))
        return sorted(found, key=lambda t: t.label)

    @property
    def concepts(self) -> list[OntologyTerm]:
        """Concepts the data names as values (the confidence levels), highest first: a
        page that shows a level links to its definition here."""
        return sorted((t for t in self.terms.values() if t.kind == "concept"), key=_order)

    @property
    def properties_with_data(self) -> list[OntologyTerm]:
        """Properties that the loaded data uses, so the page can say which ones hold triples."""
        return [t for t in self.properties if t.uses]

    def roots(self) -> list[OntologyTerm]:
        """Classes without a super-class inside the ontology: the tops of the tree."""
        return [c for c in self.classes if not any(s in self.terms for s in c.supers)]

    def tree(
        self, order: Callable[[Iterable[str]], list[str]]
    ) -> list[tuple[str, int, str | None]]:
        """Classes as a tree, flat: (IRI, depth, parent) of each class ``order`` keeps,
        after its super-class and one level deeper; ``order`` also sorts siblings.

        Walked with a stack of its own: a chain of thousands of sub-classes is data,
        and must not reach the interpreter's recursion limit. A class under two
        super-classes comes under the first only (drawn under each, a lattice of them
        grew without bound); one that no walk from a top class reaches (a cycle of
        sub-classes) is a top class itself, so no class is left out.
        """
        rows: list[tuple[str, int, str | None]] = []
        placed: set[str] = set()
        for top in [*order(root.iri for root in self.roots()), *order(self.terms)]:
            todo: list[tuple[str, int, str | None]] = [(top, 0, None)]
            while todo:
                iri, depth, parent = todo.pop()
                if iri in placed:
                    continue
                placed.add(iri)
                rows.append((iri, depth, parent))
                todo.extend((sub, depth + 1, iri) for sub in reversed(order(self.terms[iri].subs)))
        return rows

    def hierarchy(self) -> list[tuple[OntologyTerm, int]]:
        """Every class with its depth, alphabetically among its siblings: the page's tree."""

        def alphabetically(iris: Iterable[str]) -> list[str]:
            kept = {iri for iri in iris if iri in self.terms and self.terms[iri].is_class}
            return sorted(kept, key=lambda iri: (self.terms[iri].label, iri))

        return [(self.terms[iri], depth) for iri, depth, _ in self.tree(alphabetically)]

    def with_subclasses(self, iri: str) -> frozenset[str]:
        """A class and every class below it: what a list of that class holds."""
        return self._reach(iri, lambda term: term.subs)

    def with_superclasses(self, iri: str) -> frozenset[str]:
        """A class and every class above it: the lists a member of it is in."""
        return self._reach(iri, lambda term: term.supers)

    def _reach(self, iri: str, step: Callable[[OntologyTerm], list[str]]) -> frozenset[str]:
        found, todo = set(), [iri]
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(step(self.terms[current]) if current in self.terms else ())
        return frozenset(found)

    def label(self, iri: str) -> str:
        """The label of an ontology term, or the compact name of any other IRI."""
        term = self.terms.get(iri)
        return term.label if term else curie(iri)


def _order(term: OntologyTerm) -> tuple[int, str]:
    """The confidence levels from the top, as ``Confidence`` ranks them (a scale reads
    from its top, not alphabetically); any other concept after them, by label."""
    level = Confidence.from_iri(term.iri)
    return (-level if level is not None else 0), term.label


def _terms(store: GraphStore) -> dict[str, OntologyTerm]:
    grouped: dict[str, list[dict[str, Term]]] = defaultdict(list)
    for row in select(store, "ontology_terms"):
        grouped[term_value(row["term"])].append(row)
    return {
        iri: OntologyTerm(
            iri=iri,
            kind=min(term_value(r["kind"]) for r in rows),
            label=best_label(r.get("label") for r in rows) or local_name(iri),
            comment=best_label(r.get("comment") for r in rows),
            inverse_label=best_label(r.get("inverseLabel") for r in rows),
        )
        for iri, rows in grouped.items()
    }


def _link_terms(store: GraphStore, terms: dict[str, OntologyTerm]) -> None:
    for row in select(store, "ontology_links"):
        term = terms.get(term_value(row["term"]))
        target = term_value(row["target"])
        if term is None:
            continue
        relation = term_value(row["relation"])
        bucket: list[str] = getattr(term, _LINK_FIELDS[relation])
        if target not in bucket:
            bucket.append(target)
        if relation == "super" and target in terms:
            terms[target].subs.append(term.iri)
        if relation == "inverse" and target in terms and term.iri not in terms[target].inverse:
            terms[target].inverse.append(term.iri)


def _add_examples(store: GraphStore, terms: dict[str, OntologyTerm]) -> None:
    for row in select(store, "ontology_class_examples"):
        term = terms.get(term_value(row["class"]))
        if term is not None:
            term.uses += 1
            if len(term.examples) < EXAMPLES_PER_CLASS:
                term.examples.append(Example(term_value(row["entity"])))
    for row in select(store, "ontology_property_examples"):
        term = terms.get(term_value(row["property"]))
        if term is not None:
            term.uses = int(term_value(row["uses"]))
            subject, _, obj = term_value(row["example"]).partition(" ")
            term.examples.append(Example(subject, obj, obj.startswith(("http:", "https:"))))


def _header(store: GraphStore) -> tuple[dict[str, str], str | None]:
    header: dict[str, str] = {}
    graph = None
    for row in select(store, "ontology_header"):
        if not term_value(row["ontology"]).startswith(_CIV.rstrip("#")):
            continue
        graph = term_value(row["graph"])
        key = _HEADER_FIELDS.get(term_value(row["property"]))
        if key and key not in header:
            header[key] = term_value(row["value"])
    return header, graph


def build(store: GraphStore) -> OntologyDoc:
    """Read the ontology and its uses from the store."""
    terms = _terms(store)
    _link_terms(store, terms)
    _add_examples(store, terms)
    header, graph = _header(store)
    return OntologyDoc(header, graph, terms, _unstated(store, terms))


def _unstated(store: GraphStore, terms: dict[str, OntologyTerm]) -> dict[str, tuple[str, ...]]:
    """The standard terms above the ontology's that the data never states, each with the
    ontology's terms just below it that it may state (a class, a property it uses):
    where a query names one, the editor offers those."""
    below: dict[str, list[str]] = {}
    for term in terms.values():
        if not (term.is_class or term.uses):  # a property the data does not state either
            continue
        for above in term.supers:
            if above not in terms:
                below.setdefault(above, []).append(term.iri)
    if not below:
        return {}
    text = bind_each(named_query("aligned_uses"), "term", map(NamedNode, below))
    stated = {term_value(row["term"]) for row in rows(store.query(text))}
    return {iri: tuple(sorted(own)) for iri, own in below.items() if iri not in stated}
