"""What a query may do, enforced before and while it runs.

Before: ``SERVICE`` and ``LOAD`` make pyoxigraph fetch other IRIs over HTTP on a
visitor's behalf, so they are refused from the query's tokens (``sparql/fetching.py``).
While: ``GuardedStore`` runs every read under a time limit that really stops it.
Under ``civicgraph serve`` each serving process evaluates in place, and its ``limit``
(``webapp/inplace.py``) has the master's watchdog end the process at the limit; an
application run in one process (tests, embedding) runs reads in a ``QueryPool``
child that is killed at the limit instead. An in-memory store cannot be opened
from another process, so its queries run in this process, with the row cap but
without a hard time limit.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, BinaryIO, Protocol, TypeVar

from civicgraph.config import Settings
from civicgraph.errors import ExportTimeoutError, QueryTimeoutError, StoreError
from civicgraph.formats import Format
from civicgraph.sparql.fetching import refuse_fetching
from civicgraph.store import EmbeddedStore, GraphInfo, GraphStore, ProgressCallback, RdfInput
from civicgraph.store.base import Upload
from civicgraph.store.remote import RemoteStore
from civicgraph.store.results import QueryResult, SerializedResult, Term
from civicgraph.store.views import ViewStore
from civicgraph.store.workers import READ_CALLS, QueryPool
from civicgraph.store.writer import apply_write, changes_data

T = TypeVar("T")
_log = logging.getLogger(__name__)

#: What a request that ran past its time limit is told, given the limit (and, by its
#: ``over_memory``, what it is told past the memory budget).
Overrun = type[QueryTimeoutError]


class Limit(Protocol):
    """Makes the context a read is evaluated in: it stops the read at the time limit."""

    def __call__(self, overrun: Overrun = ...) -> AbstractContextManager[None]:
        """The context; past the limit the client is told ``overrun`` (a query's, by
        default)."""
        ...


class GuardedStore:
    """A ``GraphStore`` whose reads are checked and time-limited and whose writes are seen.

    With ``limit`` (a serving process), reads are evaluated in place inside it and
    writes go to ``primary``, which sends them to the writer process (that records
    them). Without it, reads go to a ``QueryPool`` over an on-disk primary, and
    writes go to the primary here, each recorded as a new revision that makes the
    pool's children reopen.
    """

    def __init__(
        self,
        primary: GraphStore,
        settings: Settings,
        limit: Limit | None = None,
        on_write: Callable[[str], None] | None = None,
    ) -> None:
        self.primary = primary
        #: Told what each write that changed the data was (the version log listens).
        self.on_write = on_write
        self.byte_cap = settings.answer_byte_cap
        self.limit = limit
        self._writes = 0
        self._remembered: dict[str, tuple[int, Any]] = {}
        self.pool: QueryPool | None = None
        path = primary.path if isinstance(primary, EmbeddedStore) else None
        if limit is None and path is not None and not getattr(primary, "read_only", True):
            self.pool = QueryPool(
                path,
                size=settings.query_workers,
                timeout=settings.query_timeout,
                memory_budget=settings.memory_budget,
                short_limit=settings.short_query_limit,
            )

    def write_count(self) -> int | None:
        """A number that changes with every write this process can see, or None.

        Writes of other serving processes reach this one through the shared write
        counter its view watches; in one process every write passes through here. A
        remote store may be written by other programs, so it has no such number.
        """
        if isinstance(self.primary, ViewStore):
            return self.primary.view.generation.value()
        if isinstance(self.primary, RemoteStore):
            return None
        return self._writes

    def remembered(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the next write: per-request work that only the
        data decides (the dataset version, the load records) is then done once."""
        count = self.write_count()
        if count is None:
            return compute()
        found = self._remembered.get(name)
        if found is not None and found[0] == count:
            value: T = found[1]
            return value
        value = compute()
        self._remembered[name] = (count, value)
        return value

    def limited(self, overrun: Overrun = QueryTimeoutError) -> AbstractContextManager[None]:
        """The context a serving process evaluates in (its time limit, memory budget and
        fairness, kept by the master's watchdog), for work done beside this store, such
        as a query answered from an earlier version or two versions compared; past the
        limit the client is told ``overrun``. No limit where there is none."""
        return self.limit(overrun) if self.limit is not None else nullcontext()

    def _read(self, method: str, **kwargs: Any) -> Any:
        if self.pool is not None:
            return self.pool.run(method, **kwargs)
        call = READ_CALLS[method]
        if self.limit is None:
            return call(self.primary, **kwargs)
        with self.limit():
            return call(self.primary, **kwargs)

    def _write(self, action: str, method: str, **kwargs: Any) -> Any:
        """Apply a write and record its revision (the writer process does both for a
        view); make the pool's children reopen."""
        if isinstance(self.primary, ViewStore):
            result = getattr(self.primary, method)(**kwargs)
        else:
            result = apply_write(self.primary, method, kwargs)
            if self.pool is not None:
                self.pool.bump()
        self._writes += 1
        if self.on_write is not None and changes_data(method, kwargs, result):
            try:
                self.on_write(action)
            except StoreError as exc:  # the write is applied: the client must hear so
                _log.warning("The write is applied, but its version was not recorded: %s", exc)
        return result

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
        """Refuse SERVICE and LOAD, then run the query within the time limit."""
        refuse_fetching(sparql)
        result: QueryResult = self._read(
            "query",
            sparql=sparql,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            bindings=bindings,
            max_rows=max_rows,
            max_bytes=max_bytes,
            base_iri=base_iri,
        )
        return result

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
        """Like ``query``, answered in the format ``accept`` prefers (negotiated by kind).

        The answer holds at most the byte cap of terms (or ``max_bytes``, if smaller);
        with a pool, the worker serializes, so the answer crosses the socket as bytes.
        """
        refuse_fetching(sparql)
        answer: SerializedResult = self._read(
            "query_serialized",
            sparql=sparql,
            accept=accept,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            max_rows=max_rows,
            max_bytes=self.byte_cap if max_bytes is None else min(max_bytes, self.byte_cap),
            base_iri=base_iri,
        )
        return answer

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Refuse LOAD and SERVICE, then apply the update atomically."""
        refuse_fetching(sparql)
        self._write("SPARQL Update", "update", sparql=sparql, base_iri=base_iri)

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
        """Load into the primary store atomically."""
        count: int = self._write(
            "Graph Store write",
            "load",
            source=source,
            fmt=fmt,
            graph=graph,
            replace=replace,
            base_iri=base_iri,
            on_progress=on_progress,
        )
        return count

    def load_parts(self, upload: Upload) -> int:
        """Load several documents into the primary store as one write."""
        count: int = self._write("Graph Store write", "load_parts", upload=upload)
        return count

    def drop_graph(self, graph: str | None) -> bool:
        """Drop a graph in the primary store."""
        existed: bool = self._write("Graph Store delete", "drop_graph", graph=graph)
        return existed

    def has_graph(self, graph: str) -> bool:
        """Whether a named graph exists (a cheap lookup, asked of the primary store)."""
        return self.primary.has_graph(graph)

    def dump(self, out: BinaryIO, fmt: Format, graphs: Sequence[str | None] | None = None) -> None:
        """Stream graphs from the primary store, within the time limit and memory budget
        of a query: a scan of the whole store takes seconds per million triples, and
        anyone may ask for one."""
        with self.limited(ExportTimeoutError):
            self.primary.dump(out, fmt, graphs)

    def graphs(self) -> list[GraphInfo]:
        """Graphs with their triple counts, counted within the time limit."""
        found: list[GraphInfo] = self._read("graphs")
        return found

    def graph_names(self) -> list[str | None]:
        """Every non-empty graph's name (lookups, asked of the primary store)."""
        return self.primary.graph_names()

    def close(self) -> None:
        """Stop the query workers and release the primary store."""
        if self.pool is not None:
            self.pool.close()
        self.primary.close()
