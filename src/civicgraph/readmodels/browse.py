"""Lists of every entity of one class, a page at a time, with facets to narrow them.

A researcher's "all 34 people" view: one class (its sub-classes included), filtered by
type (the sub-class), organization (memberships, memberOf, sub-organization) and year
(founding, start or publication date), each facet value with the count it would
leave. The index is read with one query per dataset version; names come from the
search index, so a list shows the same label as search and entity pages.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from civicgraph.queries import named_query
from civicgraph.readmodels.ontology import OntologyDoc
from civicgraph.readmodels.paging import page_count
from civicgraph.readmodels.search import SearchIndex
from civicgraph.store import GraphStore
from civicgraph.store.results import SelectResult, term_value

#: Entities one page lists unless asked otherwise.
PER_PAGE = 50
FACETS = ("type", "organization", "year")
#: The year facet's value for an entity with no date: without it, the years of a list
#: of 111 documents added up to 30 and the rest could not be reached from the facet.
UNDATED = "undated"


@dataclass
class Item:
    """One entity as a list shows and filters it."""

    iri: str
    label: str = ""
    types: set[str] = field(default_factory=set)
    years: set[str] = field(default_factory=set)
    organizations: set[str] = field(default_factory=set)

    def facet(self, name: str) -> set[str]:
        """The values this entity has for one facet."""
        years = self.years or {UNDATED}
        return {"type": self.types, "organization": self.organizations, "year": years}[name]

    def summary(self, listed: str, label: Callable[[str], str]) -> str:
        """What a list shows beside the entity's name, so that a long list can be read
        without opening each entry: its classes other than the one listed (by label),
        and its year, or its first and last."""
        kinds = sorted({label(kind) for kind in self.types if kind != listed}, key=str.casefold)
        years = sorted(self.years)
        span = [years[0] if len(years) == 1 else f"{years[0]}\u2013{years[-1]}"] if years else []
        return " · ".join([*kinds, *span])


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet, with how many listed entities have it."""

    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Listing:
    """One page of a class's entities, with the facets of the whole filtered list."""

    total: int
    page: int
    per_page: int
    items: tuple[Item, ...]
    facets: dict[str, tuple[FacetValue, ...]]

    @property
    def pages(self) -> int:
        """How many pages the total fills (at least one)."""
        return page_count(self.total, self.per_page)


@dataclass(frozen=True)
class ClassRow:
    """One class in the class tables: its members as its list counts them (those of its
    sub-classes too), and its place in the tree."""

    iri: str
    label: str
    count: int
    depth: int
    parent: str | None


class BrowseIndex:
    """Every entity with its classes, years and organizations."""

    def __init__(self, items: dict[str, Item]) -> None:
        self._items = items
        self._rows: tuple[OntologyDoc, list[ClassRow]] | None = None

    @classmethod
    def build(cls, store: GraphStore, names: SearchIndex) -> "BrowseIndex":
        """Read the index in one query; standard types count only without a civ: type."""
        result = store.query(named_query("browse_index"))
        assert isinstance(result, SelectResult)
        items: dict[str, Item] = {}
        standard: dict[str, set[str]] = {}
        for row in result.dicts():
            iri, kind, value = (term_value(row[k]) for k in ("entity", "field", "value"))
            item = items.setdefault(iri, Item(iri))
            if kind == "type":
                item.types.add(value)
            elif kind == "standard":
                standard.setdefault(iri, set()).add(value)
            elif kind == "date" and value[:4].isdigit():
                item.years.add(value[:4])
            elif kind == "org":
                item.organizations.add(value)
        for iri, aligned in standard.items():
            items[iri].types = items[iri].types or aligned
        labels = names.labels(list(items))
        for item in items.values():
            item.label = labels.get(item.iri, "")
        return cls({iri: item for iri, item in items.items() if item.label and item.types})

    def class_rows(self, doc: OntologyDoc) -> list[ClassRow]:
        """Every class with members, each after its super-class and indented under it,
        the largest first at each level; worked out once per ontology model (both are
        built once per dataset version), not on every page that shows them.

        A class counts its sub-classes' members, as its list does: counted alone, one
        initiative opened a list of twelve.
        """
        if self._rows is None or self._rows[0] is not doc:
            self._rows = (doc, _class_rows(self._items.values(), doc))
        return self._rows[1]

    def label(self, iri: str) -> str:
        """The label of a listed entity ('' for others)."""
        found = self._items.get(iri)
        return found.label if found else ""

    def listing(
        self,
        classes: frozenset[str],
        chosen: Mapping[str, str],
        class_label: Callable[[str], str],
        page: int = 1,
        per_page: int = PER_PAGE,
    ) -> Listing:
        """Entities of any of ``classes`` matching every ``chosen`` facet value.

        ``class_label`` names the type facet's values (the ontology's labels).
        """
        members = [i for i in self._items.values() if i.types & classes]
        kept = _matching(members, chosen)
        kept.sort(key=lambda i: (i.label.casefold(), i.iri))
        start = (max(1, page) - 1) * per_page
        # A facet counts over what the other facets leave: choosing a year keeps the
        # other years in sight, each with the count it would give instead.
        facets = {
            name: self._facet(
                name, _matching(members, chosen, name), classes, chosen.get(name, ""), class_label
            )
            for name in FACETS
        }
        return Listing(
            len(kept), max(1, page), per_page, tuple(kept[start : start + per_page]), facets
        )

    def _facet(
        self,
        name: str,
        items: Iterable[Item],
        classes: frozenset[str],
        chosen: str,
        class_label: Callable[[str], str],
    ) -> tuple[FacetValue, ...]:
        counts: Counter[str] = Counter()
        for item in items:
            values = item.facet(name) & classes if name == "type" else item.facet(name)
            counts.update(values)
        label = class_label if name == "type" else (lambda v: self.label(v) or v)
        labelled = [
            FacetValue(value, label(value), count, value == chosen)
            for value, count in counts.items()
        ]
        if name == "year":
            if set(counts) == {UNDATED} and not chosen:  # no dates at all: nothing to narrow
                return ()
            return tuple(
                sorted(labelled, key=lambda f: (f.value != UNDATED, f.value), reverse=True)
            )
        return tuple(sorted(labelled, key=lambda f: (-f.count, f.label.casefold())))


def _matching(items: Iterable[Item], chosen: Mapping[str, str], but: str = "") -> list[Item]:
    """The items that have every chosen facet value, ``but`` one facet's."""
    wanted = [(facet, value) for facet, value in chosen.items() if value and facet != but]
    return [item for item in items if all(value in item.facet(f) for f, value in wanted)]


def _class_rows(items: Iterable[Item], doc: OntologyDoc) -> list[ClassRow]:
    """The class tables' rows (``BrowseIndex.class_rows``): the classes with members, in
    the ontology's tree (``OntologyDoc.tree``), the largest first among siblings."""
    above: dict[str, frozenset[str]] = {}
    members: dict[str, set[str]] = {}
    for item in items:
        for cls in item.types:
            if cls not in above:
                above[cls] = doc.with_superclasses(cls)
            for each in above[cls]:
                members.setdefault(each, set()).add(item.iri)
    counts = {iri: len(found) for iri, found in members.items() if iri in doc.terms}

    def largest_first(iris: Iterable[str]) -> list[str]:
        present = {iri for iri in iris if iri in counts}
        return sorted(present, key=lambda iri: (-counts[iri], doc.label(iri).casefold()))

    return [
        ClassRow(iri, doc.label(iri), counts[iri], depth, parent)
        for iri, depth, parent in doc.tree(largest_first)
    ]
