"""``EmbeddedStore``: pyoxigraph in this process, on disk with a path, in memory without.

Atomic graph replacement: data is first parsed into a private staging graph, then a
single SPARQL Update moves it into place. Oxigraph applies one update in one
transaction, so a crash or a parse error leaves the target graph as it was; a
leftover staging graph (a crash between the two steps) is dropped on the next open.
"""

import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, BinaryIO, Final, TypeVar, cast

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    Store,
    Variable,
    serialize,
)

from civicgraph.errors import (
    QuerySyntaxError,
    RdfSyntaxError,
    StoreError,
    StoreLockedError,
    UserInputError,
)
from civicgraph.formats import Format, Kind
from civicgraph.parsesafety import check_before_parsing, check_file_before_parsing
from civicgraph.results import AskResult, GraphResult, QueryResult, SelectResult, Term
from civicgraph.sparqltext import declares_dataset
from civicgraph.store.base import GraphInfo, ProgressCallback, Source
from civicgraph.vocab import PREFIXES

STAGING_PREFIX: Final = "urn:civicgraph:staging:"
#: Files larger than this go through pyoxigraph's bulk loader, which does not hold
#: the whole parse in one transaction (the staging graph makes that safe).
BULK_THRESHOLD: Final = 16 * 1024 * 1024
T = TypeVar("T")
_COUNT_PER_GRAPH: Final = (
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
)


def graph_name(graph: str | None) -> NamedNode | DefaultGraph:
    """pyoxigraph's name for a graph argument (``None`` is the default graph)."""
    return DefaultGraph() if graph is None else NamedNode(graph)


def _sparql_graph(graph: str | None) -> str:
    return "DEFAULT" if graph is None else f"GRAPH <{graph}>"


class _ProgressReader:
    """A binary stream that reports how many bytes the parser has consumed."""

    def __init__(self, stream: BinaryIO, on_progress: ProgressCallback) -> None:
        self._stream, self._on_progress, self._read = stream, on_progress, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._read += len(chunk)
        self._on_progress(self._read)
        return chunk


class EmbeddedStore:
    """A pyoxigraph store owned by this process."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self._store = self._open(self.path, read_only)
        if self.path is not None and not read_only:
            self._drop_staging_graphs()

    @staticmethod
    def _open(path: Path | None, read_only: bool) -> Store:
        if path is None:
            return Store()
        try:
            if read_only:
                return Store.read_only(str(path))
            path.mkdir(parents=True, exist_ok=True)
            return Store(str(path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(str(path)) from exc
            raise StoreError(f"Cannot open the store at {path}: {exc}") from exc
        except RuntimeError as exc:  # RocksDB reports a racing compaction as "corruption"
            raise StoreError(f"Cannot open the store at {path}: {exc}") from exc

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
        """Run a query over the union of graphs, or over the dataset given.

        A query's own ``FROM``/``FROM NAMED`` wins over the union default graph, and
        a dataset given here wins over both (SPARQL 1.1 Protocol §2.1.4).
        """
        substitutions = {Variable(k): v for k, v in (bindings or {}).items()}
        try:
            raw = self._store.query(
                sparql,
                base_iri=base_iri,
                substitutions=substitutions or None,
                use_default_graph_as_union=default_graphs is None and not declares_dataset(sparql),
                default_graph=None
                if default_graphs is None
                else [graph_name(g) for g in default_graphs],
                named_graphs=None if named_graphs is None else [NamedNode(g) for g in named_graphs],
            )
            return _materialize(raw, max_rows)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        except RuntimeError as exc:  # e.g. a binding for a variable the query does not project
            raise UserInputError(f"The query cannot run: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"The store failed while querying: {exc}") from exc

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL Update in one transaction."""
        try:
            self._store.update(sparql, base_iri=base_iri)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        except RuntimeError as exc:  # e.g. CREATE GRAPH of a graph that exists
            raise UserInputError(f"The update cannot run, and changed nothing: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"The store failed while updating: {exc}") from exc

    def load(
        self,
        source: Source,
        fmt: Format,
        graph: str | None,
        *,
        replace: bool = True,
        base_iri: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> int:
        """Parse into a staging graph, then move or add it into ``graph`` atomically."""
        staging = f"{STAGING_PREFIX}{uuid.uuid4()}"
        try:
            self._parse_into(source, fmt, staging, base_iri, on_progress)
            count = self._count(staging)
            verb = "MOVE" if replace else "ADD"
            target = "DEFAULT" if graph is None else f"<{graph}>"
            self._store.update(f"{verb} SILENT <{staging}> TO {target}")
            return count
        finally:
            self._store.remove_graph(NamedNode(staging))

    def _parse_into(
        self,
        source: Source,
        fmt: Format,
        staging: str,
        base_iri: str | None,
        on_progress: ProgressCallback | None,
    ) -> None:
        name = str(source) if isinstance(source, Path) else "request body"
        target = NamedNode(staging)
        source = _checked(source, fmt, name)
        try:
            if not isinstance(source, Path):
                self._store.load(source, fmt.rdf_format, base_iri=base_iri, to_graph=target)
                return
            big = source.stat().st_size > BULK_THRESHOLD
            with source.open("rb") as stream:
                reader = (
                    cast(IO[bytes], _ProgressReader(stream, on_progress)) if on_progress else stream
                )
                # No bound method of the store is kept in a local: a traceback that keeps
                # this frame alive must not keep the database (and its lock) open.
                if big:
                    self._store.bulk_load(
                        reader, fmt.rdf_format, base_iri=base_iri, to_graph=target
                    )
                else:
                    self._store.load(reader, fmt.rdf_format, base_iri=base_iri, to_graph=target)
        except SyntaxError as exc:
            raise RdfSyntaxError(name, _first_line(exc), exc.lineno, exc.offset) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise RdfSyntaxError(name, str(exc)) from exc

    def _count(self, graph: str) -> int:
        result = self._store.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        assert isinstance(result, QuerySolutions)
        return int(next(iter(result))["n"].value)

    def drop_graph(self, graph: str | None) -> bool:
        """Remove a named graph, or empty the default graph."""
        existed = self._has_triples(graph)
        if graph is None:
            self._store.clear_graph(DefaultGraph())
        elif self._store.contains_named_graph(NamedNode(graph)):
            self._store.remove_graph(NamedNode(graph))
            existed = True
        return existed

    def _has_triples(self, graph: str | None) -> bool:
        return any(self._store.quads_for_pattern(None, None, None, graph_name(graph)))

    def has_graph(self, graph: str) -> bool:
        """Whether a named graph exists (empty or not)."""
        return bool(self._store.contains_named_graph(NamedNode(graph)))

    def dump(self, out: BinaryIO, fmt: Format, graphs: Sequence[str | None] | None = None) -> None:
        """Stream the chosen graphs; staging graphs are never part of a dump."""
        names = [graph_name(g) for g in graphs] if graphs is not None else self._all_graph_names()
        quads = (q for name in names for q in self._store.quads_for_pattern(None, None, None, name))
        if Kind.DATASET in fmt.kinds and fmt.name != "jsonld":
            serialize(quads, out, fmt.rdf_format, prefixes=_prefixes(fmt))
        else:
            serialize((q.triple for q in quads), out, fmt.rdf_format, prefixes=_prefixes(fmt))

    def _all_graph_names(self) -> list[NamedNode | DefaultGraph]:
        named = sorted(
            (n for n in self._store.named_graphs() if isinstance(n, NamedNode)),
            key=lambda n: n.value,
        )
        return [DefaultGraph(), *(n for n in named if not n.value.startswith(STAGING_PREFIX))]

    def graphs(self) -> list[GraphInfo]:
        """List non-empty graphs with triple counts, default graph first."""
        default = self._count_default()
        result = self._store.query(_COUNT_PER_GRAPH)
        assert isinstance(result, QuerySolutions)
        named = [
            GraphInfo(row["g"].value, int(row["n"].value))
            for row in result
            if not row["g"].value.startswith(STAGING_PREFIX)
        ]
        return ([GraphInfo(None, default)] if default else []) + named

    def _count_default(self) -> int:
        result = self._store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
        assert isinstance(result, QuerySolutions)
        return int(next(iter(result))["n"].value)

    def _drop_staging_graphs(self) -> None:
        for name in list(self._store.named_graphs()):
            if _is_staging(name):
                self._store.remove_graph(name)

    def backup(self, target: Path) -> None:
        """Write a consistent copy of an on-disk store into a new directory.

        A writable store makes a RocksDB checkpoint (hard links, near instant). A
        read-only store, opened beside a serving process that holds the write lock,
        copies its snapshot quad by quad instead: a checkpoint taken through a
        read-only handle leaves out what the writer still holds in its log (measured
        with pyoxigraph 0.5: an empty backup of a live store of 100k quads).
        """
        if self.path is None:
            raise StoreError("An in-memory store has no files to back up; export it instead")
        if not self.read_only:
            self._store.backup(str(target))
            return
        copy = Store(str(target))
        quads = self._store.quads_for_pattern(None, None, None, None)
        copy.bulk_extend(q for q in quads if not _is_staging(q.graph_name))
        copy.flush()

    def flush(self) -> None:
        """Push buffered writes to disk (bulk loads write around the log)."""
        self._store.flush()

    def close(self) -> None:
        """Release the store; pyoxigraph closes the database when the object goes."""
        self._store = Store()


def _is_staging(name: object) -> bool:
    return isinstance(name, NamedNode) and name.value.startswith(STAGING_PREFIX)


def _checked(source: Source, fmt: Format, name: str) -> Source:
    """Refuse a document whose parsing could exhaust the process (``parsesafety``)."""
    if isinstance(source, Path):
        check_file_before_parsing(source, fmt.rdf_format)
        return source
    data = source if isinstance(source, bytes) else source.read()
    check_before_parsing(data, fmt.rdf_format, name)
    return data


def _prefixes(fmt: Format) -> dict[str, str] | None:
    return PREFIXES if fmt.name in {"turtle", "trig", "n3", "rdfxml"} else None


def _first_line(exc: SyntaxError) -> str:
    return str(exc.msg if exc.msg else exc).splitlines()[0]


def _materialize(raw: object, max_rows: int | None) -> QueryResult:
    """Turn pyoxigraph's lazy iterators into tagged results, honouring the row cap."""
    if isinstance(raw, QueryBoolean):
        return AskResult(bool(raw))
    if isinstance(raw, QuerySolutions):
        variables = tuple(v.value for v in raw.variables)
        rows, truncated = _take(([s[v] for v in variables] for s in raw), max_rows)
        return SelectResult(variables, tuple(tuple(r) for r in rows), truncated)
    assert isinstance(raw, QueryTriples)
    triples, truncated = _take(iter(raw), max_rows)
    return GraphResult(tuple(triples), truncated)


def _take(items: Iterator[T], limit: int | None) -> tuple[list[T], bool]:
    taken: list[T] = []
    for item in items:
        if limit is not None and len(taken) >= limit:
            return taken, True
        taken.append(item)
    return taken, False
