"""What writes of given triples changed: rows a version record applies to those it has.

Reading a graph back costs about ten seconds per million triples (every term's text is
looked up in the store), so a record after a one-triple ``INSERT DATA`` into a large
graph took as long. An update made only of ``INSERT DATA`` and ``DELETE DATA`` says
which triples it adds and removes (``sparql/written.data_blocks``); the record applies
them to the graph's recorded rows instead of reading it, once the store agrees: after
the write every triple added is there and every one removed is not (``holds_in``), and
at the record the graph holds as many triples as the rows (``VersionLog.record``).
The writer applies a change only to graphs it has read back since it started
(``writer._Owner.confirmed``), and only from a successful record on: what another tool
changed while no server ran is found as a write makes each graph be read.
Anything else (a blank node, a triple term) is read back as before.
"""

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Store, serialize

from civicgraph.sparql.written import data_blocks


@dataclass(frozen=True)
class Delta:
    """Quads added and removed, in the store's spelling; applied removals first."""

    added: frozenset[Quad] = frozenset()
    removed: frozenset[Quad] = frozenset()

    @classmethod
    def of_update(cls, text: str) -> "Delta | None":
        """What an update of ``INSERT DATA`` and ``DELETE DATA`` changes; None for any
        other update, or data holding a blank node or anything but IRIs and literals."""
        blocks = data_blocks(text)
        if blocks is None:
            return None
        delta = cls()
        for inserting, insert in blocks:
            quads = _spelled(insert)
            if quads is None:
                return None
            delta = delta.then(cls(added=quads) if inserting else cls(removed=quads))
        return delta

    def then(self, later: "Delta") -> "Delta":
        """This change followed by ``later``, as one."""
        return Delta((self.added - later.removed) | later.added, self.removed | later.removed)

    def within(self, graphs: set[str | None]) -> "Delta":
        """The change to ``graphs`` alone."""
        added = frozenset(quad for quad in self.added if _graph(quad) in graphs)
        return Delta(added, frozenset(quad for quad in self.removed if _graph(quad) in graphs))

    def holds_in(self, contains: Callable[[Quad], bool]) -> bool:
        """Whether a store (its ``contains``) shows the change made: each quad added is
        in it, and each removed one (not added again) is not."""
        gone = self.removed - self.added
        return all(map(contains, self.added)) and not any(map(contains, gone))

    def graphs(self) -> set[str | None]:
        """The graphs it changes (None: the default graph)."""
        return {_graph(quad) for quad in self.added | self.removed}

    def applied(
        self, rows: list[bytes], graph: str | None
    ) -> tuple[list[bytes], list[bytes], list[bytes]]:
        """A graph's recorded rows (sorted, unique: ``versions.canonical_rows``) with
        the change applied, in the same form; and the rows that added and removed."""
        added = set(_rows(self.added, graph))
        plus = sorted(row for row in added if not _holds(rows, row))
        minus = sorted(row for row in set(_rows(self.removed, graph)) - added if _holds(rows, row))
        gone = set(minus)
        kept = [row for row in rows if row not in gone] if gone else list(rows)
        kept.extend(plus)
        kept.sort()  # two sorted runs: a merge
        return kept, plus, minus


def _spelled(insert: str) -> frozenset[Quad] | None:
    """The quads an ``INSERT DATA`` puts in an empty store, as a store writes them (an
    integer's ``01`` as ``1``, a time zone's ``+00:00`` as ``Z``); None if it is
    refused or holds a term other than an IRI or a literal."""
    store = Store()
    try:
        store.update(insert)
    except (SyntaxError, ValueError, OSError):
        return None
    quads = frozenset(store)
    return quads if all(_plain(quad) for quad in quads) else None


def _plain(quad: Quad) -> bool:
    """Whether a quad holds only IRIs and literals, in a named graph or the default one:
    a blank node or a triple term has no one spelling across stores."""
    return (
        isinstance(quad.subject, NamedNode)
        and isinstance(quad.object, NamedNode | Literal)
        and isinstance(quad.graph_name, NamedNode | DefaultGraph)
    )


def _graph(quad: Quad) -> str | None:
    name = quad.graph_name
    return name.value if isinstance(name, NamedNode) else None


def _rows(quads: Iterable[Quad], graph: str | None) -> list[bytes]:
    """The N-Triples rows of the quads in ``graph``, as a dump of it spells them."""
    triples = [quad.triple for quad in quads if _graph(quad) == graph]
    return (serialize(triples, format=RdfFormat.N_TRIPLES) or b"").splitlines()


def _holds(rows: list[bytes], row: bytes) -> bool:
    at = bisect_left(rows, row)
    return at < len(rows) and rows[at] == row
