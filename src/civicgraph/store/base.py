"""The ``GraphStore`` protocol every backend implements, and the types it speaks.

Kept small on purpose: the application needs to query, update, replace or extend a
graph atomically, dump, and list graphs. Anything else is built on these.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar, runtime_checkable

from civicgraph.formats import Format
from civicgraph.store.results import QueryResult, SerializedResult, Term

#: Where RDF to load comes from: bytes in memory, a file on disk, or an open binary stream.
RdfInput = bytes | Path | BinaryIO
#: Called with the number of bytes read so far, so long loads can show progress.
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class GraphInfo:
    """A named graph (``None`` for the default graph) and how many triples it holds."""

    iri: str | None
    triples: int


@dataclass(frozen=True)
class Upload:
    """Several RDF documents for one graph, written as one write (``load_parts``)."""

    #: Each document's bytes and format; each document's blank nodes are its own.
    parts: Sequence[tuple[bytes, Format]]
    #: The graph they go into (None: the default graph).
    graph: str | None
    #: Whether they replace the graph's triples (PUT) or are added to them (POST).
    replace: bool = True
    base_iri: str | None = None


class Writes(Protocol):
    """The writing half of a store: what the one writer does for everyone else."""

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL Update; all of it applies or none of it does."""
        ...

    def load(
        self,
        source: RdfInput,
        fmt: Format,
        graph: str | None,
        *,
        replace: bool = True,
        base_iri: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> int:
        """Parse ``source`` into ``graph`` atomically (replacing it, or adding to it).

        Returns the number of triples parsed. On any error the graph is unchanged.
        """
        ...

    def load_parts(self, upload: Upload) -> int:
        """Parse an upload's documents into its graph atomically, as one write; returns
        the number of triples they hold."""
        ...

    def drop_graph(self, graph: str | None) -> bool:
        """Remove a graph (empty the default graph); returns whether it held anything."""
        ...


class GraphStore(Writes, Protocol):
    """What the application needs from a triple store.

    A graph argument of ``None`` means the store's default graph. Queries see, by
    default, the union of every graph; ``default_graphs``/``named_graphs`` restrict the
    dataset as SPARQL 1.1 Protocol §2.1.4 describes.
    """

    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[str | None] | None = None,
        named_graphs: Sequence[str] | None = None,
        bindings: Mapping[str, Term] | None = None,
        max_rows: int | None = None,
        max_bytes: int | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a query; SELECT rows past ``max_rows`` are cut and flagged ``truncated``."""
        ...

    def query_serialized(
        self,
        sparql: str,
        accept: str | None,
        *,
        default_graphs: Sequence[str | None] | None = None,
        named_graphs: Sequence[str] | None = None,
        max_rows: int | None = None,
        max_bytes: int | None = None,
        base_iri: str | None = None,
    ) -> SerializedResult:
        """``query``, answered in the format ``accept`` prefers: what the endpoint sends."""
        ...

    def has_graph(self, graph: str) -> bool:
        """Whether a named graph exists."""
        ...

    def dump(self, out: BinaryIO, fmt: Format, graphs: Sequence[str | None] | None = None) -> None:
        """Write the given graphs (all by default) to ``out``.

        A dataset format (TriG, N-Quads) keeps each triple in its named graph; a graph
        format (Turtle, N-Triples …) merges them into one graph.
        """
        ...

    def graphs(self) -> list[GraphInfo]:
        """Every non-empty graph with its triple count, default graph first."""
        ...

    def graph_names(self) -> list[str | None]:
        """Every non-empty graph's name (None: the default graph), default graph first:
        ``graphs`` without the counts, which read every triple."""
        ...

    def close(self) -> None:
        """Release files, locks and connections."""
        ...


T = TypeVar("T")


@runtime_checkable
class Remembers(Protocol):
    """A store that keeps values computed from its data until the next write it sees."""

    def remembered(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, or the value it gave since the last write."""
        ...
