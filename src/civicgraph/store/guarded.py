"""What a query may do, enforced before and while it runs.

Before: ``SERVICE`` and ``LOAD`` make pyoxigraph fetch other IRIs over HTTP on a
visitor's behalf, so they are refused from the query's tokens (``sparql/fetching.py``).
While: ``GuardedStore`` runs every read of the application in a ``QueryPool`` child
that is killed at the time limit. An in-memory store cannot be opened from another
process, so its queries run in this process, with the row cap but without a hard
time limit.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, BinaryIO

from civicgraph.config import Settings
from civicgraph.dataset.loader import record_revision
from civicgraph.formats import Format
from civicgraph.sparql.fetching import refuse_fetching
from civicgraph.store import EmbeddedStore, GraphInfo, GraphStore, ProgressCallback, RdfInput
from civicgraph.store.results import QueryResult, SerializedResult, Term, serialize_negotiated
from civicgraph.store.streams import STAGING_PREFIX
from civicgraph.store.workers import QueryPool


class GuardedStore:
    """A ``GraphStore`` whose reads are checked and time-limited and whose writes are seen.

    Writes go to the primary store in this process; each one bumps the pool's write
    generation so that the children reopen before their next read.
    """

    def __init__(
        self,
        primary: GraphStore,
        settings: Settings,
        on_write: Callable[[str], None] | None = None,
    ) -> None:
        self.primary = primary
        self.on_write = on_write
        self.pool: QueryPool | None = None
        if isinstance(primary, EmbeddedStore) and primary.path and not primary.read_only:
            self.pool = QueryPool(
                primary.path,
                size=settings.query_workers,
                timeout=settings.query_timeout,
                memory_budget=settings.memory_budget,
                short_limit=settings.short_query_limit,
            )

    def _read(self, method: str, **kwargs: Any) -> Any:
        if self.pool is not None:
            return self.pool.run(method, **kwargs)
        return getattr(self.primary, method)(**kwargs)

    def _wrote(self, action: str, graph: str | None = None) -> None:
        """Record a change: a new dataset revision, and fresh stores for the workers.

        Called only after a write succeeded: a refused write changed nothing, so it
        must not change the version either. Staging graphs are invisible, so filling
        or dropping one is not a change; moving one into place (an update) is.
        """
        if graph is not None and graph.startswith(STAGING_PREFIX):
            return
        record_revision(self.primary)
        if self.pool is not None:
            self.pool.bump()
        if self.on_write is not None:
            self.on_write(action)

    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[str | None] | None = None,
        named_graphs: Sequence[str] | None = None,
        bindings: Mapping[str, Term] | None = None,
        max_rows: int | None = None,
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
        base_iri: str | None = None,
    ) -> SerializedResult:
        """Like ``query``, answered in the format ``accept`` prefers (negotiated by kind).

        With a pool, the worker serializes: the answer crosses the socket as bytes.
        """
        refuse_fetching(sparql)
        options: dict[str, Any] = {
            "default_graphs": default_graphs,
            "named_graphs": named_graphs,
            "max_rows": max_rows,
            "base_iri": base_iri,
        }
        if self.pool is not None:
            answer: SerializedResult = self.pool.run(
                "query_serialized", sparql=sparql, accept=accept, **options
            )
            return answer
        return serialize_negotiated(self.primary.query(sparql, **options), accept)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Refuse LOAD and SERVICE, then apply the update atomically."""
        refuse_fetching(sparql)
        self.primary.update(sparql, base_iri=base_iri)
        self._wrote("SPARQL Update")

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
        count = self.primary.load(
            source, fmt, graph, replace=replace, base_iri=base_iri, on_progress=on_progress
        )
        self._wrote("Graph Store write", graph)
        return count

    def drop_graph(self, graph: str | None) -> bool:
        """Drop a graph in the primary store."""
        existed = self.primary.drop_graph(graph)
        if existed:
            self._wrote("Graph Store delete", graph)
        return existed

    def has_graph(self, graph: str) -> bool:
        """Whether a named graph exists (a cheap lookup, asked of the primary store)."""
        return self.primary.has_graph(graph)

    def dump(self, out: BinaryIO, fmt: Format, graphs: Sequence[str | None] | None = None) -> None:
        """Stream graphs from the primary store (a scan, not a query: no time limit)."""
        self.primary.dump(out, fmt, graphs)

    def graphs(self) -> list[GraphInfo]:
        """Graphs with their triple counts, counted within the time limit."""
        found: list[GraphInfo] = self._read("graphs")
        return found

    def close(self) -> None:
        """Stop the query workers and release the primary store."""
        if self.pool is not None:
            self.pool.close()
        self.primary.close()
