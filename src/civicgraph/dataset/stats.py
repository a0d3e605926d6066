"""Counts that say what a store holds: triples per graph and instances per class."""

from dataclasses import dataclass

from civicgraph.queries import select
from civicgraph.store import GraphInfo, GraphStore
from civicgraph.store.results import term_value


@dataclass(frozen=True)
class ClassCount:
    """How many entities have one ontology class."""

    iri: str
    count: int

    @property
    def name(self) -> str:
        """The class's local name (``Person`` for ``civ:Person``)."""
        return self.iri.rsplit("#", 1)[-1]


@dataclass(frozen=True)
class Stats:
    """A store's size: every graph with its triples, and instances per class."""

    graphs: tuple[GraphInfo, ...]
    classes: tuple[ClassCount, ...]

    @property
    def triples(self) -> int:
        """Triples in all graphs together."""
        return sum(g.triples for g in self.graphs)


def class_counts(store: GraphStore) -> tuple[ClassCount, ...]:
    """Instances per ontology class, most common first."""
    return tuple(
        ClassCount(term_value(row["class"]), int(term_value(row["count"])))
        for row in select(store, "class_counts")
    )


def collect(store: GraphStore) -> Stats:
    """Gather the store's counts in two queries."""
    return Stats(tuple(store.graphs()), class_counts(store))
