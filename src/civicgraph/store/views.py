"""Read-only views of an on-disk store, one per serving process, reopened after writes.

A serving process evaluates queries in place, over its own ``Store.read_only`` view
of the database that one writer process owns, opened on the newest checkpoint the
writer published (``store/checkpoints.py``). A read-only view sees what was
committed when it was opened, so the writer counts its writes in a shared file
(``Generation``, eight bytes mapped into every process) and a view whose count is
older reopens before its next read. Reading the count costs a memory load, so the
check runs on every read.
"""

import struct
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

from civicgraph.errors import StoreError
from civicgraph.formats import Format
from civicgraph.store.base import GraphInfo, ProgressCallback, RdfInput, Upload, Writes
from civicgraph.store.checkpoints import Checkpoints, Held
from civicgraph.store.embedded import EmbeddedStore
from civicgraph.store.results import QueryResult, SerializedResult
from civicgraph.store.shared import mapped_file

_COUNT: Final = struct.Struct("<Q")
#: What pyoxigraph raises for a file the writer's compaction removed (either, by where).
_LOST_FILE: Final = (StoreError, FileNotFoundError)
#: Pauses between attempts to open the store read-only, in seconds.
OPEN_RETRY_DELAYS: Final = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
#: How many times a view looks for the current checkpoint while the count moves on.
_LOOKS: Final = 6


class Generation:
    """A write counter in a small shared file: the writer bumps it, views read it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._map = mapped_file(path, _COUNT.size)

    def value(self) -> int:
        """The number of writes so far."""
        count: int = _COUNT.unpack_from(self._map, 0)[0]
        return count

    def bump(self) -> None:
        """Record one more write (only the writer process calls this)."""
        _COUNT.pack_into(self._map, 0, self.value() + 1)


def open_read_only(path: Path) -> EmbeddedStore:
    """Open read-only beside the live writer, retrying while it races the writer.

    pyoxigraph's docs call a read-only open beside a writer undefined; in practice the
    open fails now and then when the writer's compaction deletes a file the open was
    about to read ("Corruption: … No such file", or, from the first read the opening
    makes, a plain ``FileNotFoundError``), and succeeds a moment later.
    """
    for delay in OPEN_RETRY_DELAYS:
        try:
            return EmbeddedStore(path, read_only=True)
        except _LOST_FILE:
            time.sleep(delay)
    return EmbeddedStore(path, read_only=True)


class ReadView:
    """This process's read-only view of the store, current as of the last write.

    With ``checkpoints`` it opens the one the writer published for the current count
    (``store/checkpoints.py``), which no compaction changes; the store itself where
    there is none (before the first, or where none can be made).
    """

    def __init__(
        self, path: Path, generation: Generation, checkpoints: Checkpoints | None = None
    ) -> None:
        self.path, self.generation, self.checkpoints = path, generation, checkpoints
        self._held: Held | None = None
        self._seen, self._store = self._open()

    def source(self) -> "ViewSource":
        """How a helper process opens the view this one has."""
        folder = self.checkpoints.folder if self.checkpoints is not None else None
        return ViewSource(self.path, self.generation.path, folder)

    def _open(self) -> tuple[int, EmbeddedStore]:
        """The count read, and the view of it: its checkpoint, held, or the store.

        A checkpoint is removed once a newer one is published and no view holds it:
        one missing as the count moved on is looked for again, at the newer count.
        """
        for _ in range(_LOOKS):
            seen = self.generation.value()
            held = self.checkpoints.hold(seen) if self.checkpoints is not None else None
            if held is not None or self.generation.value() == seen:
                break
        try:
            store = open_read_only(held.path if held is not None else self.path)
        except BaseException:
            if held is not None:
                held.release()
            raise
        self._held = held
        return seen, store

    def _reopen(self) -> None:
        """Close the view and let go of its checkpoint, then open the current one."""
        self.close()
        self._seen, self._store = self._open()

    def current(self) -> EmbeddedStore:
        """The view, reopened first if the writer wrote since it was opened."""
        if self.generation.value() != self._seen:
            self._reopen()
        return self._store

    def refresh(self) -> None:
        """Reopen now, dropping what the database cached of the blocks it read."""
        self._reopen()

    def read(self, method: str, **kwargs: Any) -> Any:
        """Call a read method, reopening once if the writer compacted a file away (a
        view of the store itself, where there is no checkpoint)."""
        try:
            return getattr(self.current(), method)(**kwargs)
        except _LOST_FILE:
            self._reopen()
            return getattr(self._store, method)(**kwargs)

    def close(self) -> None:
        """Release the view, and its checkpoint."""
        self._store.close()
        if self._held is not None:
            self._held.release()
            self._held = None


@dataclass(frozen=True)
class ViewSource:
    """Where a helper process opens the view a serving process has (paths: picklable),
    or the store read-only where there is none (an app in one process).

    The network's helper reads every triple with grouping queries: over the store
    itself, a compaction could leave it reading a lost file without end
    (``store/checkpoints.py``), so it holds the current checkpoint as views do.
    """

    store: Path
    generation: Path | None = None
    checkpoints: Path | None = None

    @contextmanager
    def opened(self) -> Iterator[EmbeddedStore]:
        """The view, open and held for the block."""
        if self.generation is None:
            store = open_read_only(self.store)
            try:
                yield store
            finally:
                store.close()
            return
        checkpoints = Checkpoints(self.checkpoints) if self.checkpoints is not None else None
        view = ReadView(self.store, Generation(self.generation), checkpoints)
        try:
            yield view.current()
        finally:
            view.close()


class ViewStore:
    """A ``GraphStore`` that reads from a ``ReadView`` and sends writes to the writer."""

    def __init__(self, view: ReadView, writer: Writes) -> None:
        self.view, self.writer = view, writer

    def query(self, sparql: str, **options: Any) -> QueryResult:
        """Run a query over the view."""
        result: QueryResult = self.view.read("query", sparql=sparql, **options)
        return result

    def query_serialized(self, sparql: str, accept: str | None, **options: Any) -> SerializedResult:
        """Run a query over the view, answered as the endpoint sends it."""
        found: SerializedResult = self.view.read(
            "query_serialized", sparql=sparql, accept=accept, **options
        )
        return found

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Apply an update in the writer process."""
        self.writer.update(sparql, base_iri=base_iri)

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
        """Load in the writer process (progress is not reported across processes)."""
        return self.writer.load(source, fmt, graph, replace=replace, base_iri=base_iri)

    def load_parts(self, upload: Upload) -> int:
        """Load several documents in the writer process, as one write."""
        return self.writer.load_parts(upload)

    def drop_graph(self, graph: str | None) -> bool:
        """Drop a graph in the writer process."""
        return self.writer.drop_graph(graph)

    def has_graph(self, graph: str) -> bool:
        """Whether a named graph exists, as the view sees it."""
        found: bool = self.view.read("has_graph", graph=graph)
        return found

    def dump(self, out: BinaryIO, fmt: Format, graphs: Sequence[str | None] | None = None) -> None:
        """Stream graphs from the view."""
        self.view.current().dump(out, fmt, graphs)

    def graphs(self) -> list[GraphInfo]:
        """Graphs with their triple counts, as the view sees them."""
        found: list[GraphInfo] = self.view.read("graphs")
        return found

    def graph_names(self) -> list[str | None]:
        """Every non-empty graph's name, as the view sees it."""
        found: list[str | None] = self.view.read("graph_names")
        return found

    def close(self) -> None:
        """Release the view (the writer belongs to its own process)."""
        self.view.close()
