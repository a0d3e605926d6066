"""``EmbeddedStore``: pyoxigraph in this process, on disk with a path, in memory without.

Atomic graph replacement: data is parsed first (into memory, or for a large source or
graph into a private staging graph), then a single SPARQL Update brings it into place
(``store/replacement.py``). Oxigraph applies one update in one transaction, so a crash
or a parse error leaves the target graph as it was; a leftover staging graph (a crash
between the steps) is dropped on the next open.
"""

import json
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, BinaryIO, Final, TypeAlias, cast

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    Triple,
    Variable,
)

from civicgraph.errors import (
    RdfSyntaxError,
    StoreError,
    StoreLockedError,
    UserInputError,
)
from civicgraph.formats import Format
from civicgraph.sparql import star
from civicgraph.sparql.lexer import declares_dataset, has_relative_iri, operation_separator
from civicgraph.sparql.messages import explained
from civicgraph.store import replacement
from civicgraph.store.base import GraphInfo, ProgressCallback, RdfInput, Upload
from civicgraph.store.native import native_format, write_natively
from civicgraph.store.pieces import load_in_pieces
from civicgraph.store.results import QueryResult, SerializedResult, Term, serialize_negotiated
from civicgraph.store.streams import (
    STAGING_PREFIX,
    ProgressReader,
    checked_source,
    is_staging,
    materialize,
    syntax_error,
    write_quads,
)
from civicgraph.store.structure import check_structure
from civicgraph.vocab import SKOLEM_BASE

#: Files larger than this go through pyoxigraph's bulk loader, which does not hold the
#: whole parse in one transaction (staging or the loading marker makes that safe). It
#: is the faster of the two from about a megabyte of N-Triples (10k triples: 0.14 s
#: against 0.42 s; 100k: 1.2 s against 3.4 s), and it leaves no log for the next open
#: to replay; below, the one transaction costs less than building the loader's files.
BULK_THRESHOLD: Final = 1024 * 1024
_log = logging.getLogger(__name__)
#: Where a write in the writer records its number and result, in the transaction that
#: commits it (``EmbeddedStore.write_number``); a staging graph: hidden, and dropped by
#: the next open, which reads it first (``written``).
WRITTEN: Final = f"{STAGING_PREFIX}written"
_WRITE: Final = NamedNode("urn:civicgraph:write")
#: The longest text a write's record takes: two numbers in a JSON list.
_RECORD_CHARS: Final = 64
#: Marks a load into an empty graph that has not finished: ``marker loading graph``.
_LOADING: Final = NamedNode("urn:civicgraph:loading")
_DEFAULT_GRAPH_MARK: Final = NamedNode("urn:civicgraph:default-graph")
#: A graph a query's dataset may name.
_Graph: TypeAlias = NamedNode | BlankNode | DefaultGraph
_COUNT_PER_GRAPH: Final = (
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
)


def _record(term: object) -> tuple[int, int | None] | None:
    """A write's record (``EmbeddedStore._recorded``) read back, or None if ``term`` is
    not one."""
    if not isinstance(term, Literal) or len(term.value) > _RECORD_CHARS:
        return None
    try:
        found = json.loads(term.value)
    except ValueError:
        return None
    if not (isinstance(found, list) and len(found) == 2):
        return None
    number, result = found
    if type(number) is not int or not (result is None or type(result) is int):
        return None
    return number, result


def graph_name(graph: str | None) -> NamedNode | DefaultGraph:
    """pyoxigraph's name for a graph argument (``None`` is the default graph)."""
    return DefaultGraph() if graph is None else NamedNode(graph)


def _sparql_graph(graph: str | None) -> str:
    return "DEFAULT" if graph is None else f"GRAPH <{graph}>"


#: What pyoxigraph's parser says when a line read from a file or a stream passes its
#: buffer (16 MiB); from bytes in memory it reads any line. A piece load gives it
#: bytes, and a line longer than a piece as a stream (``store/pieces.py``).
_LINE_LIMIT: Final = "Reached the buffer maximal size"
_LONG_LINE: Final = "a line is longer than the 16 MiB the parser reads at once from a file"


class EmbeddedStore:
    """A pyoxigraph store owned by this process."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self._store = self._open(self.path, read_only)
        #: A read-only snapshot's graphs of a write in progress (``_unfinished``).
        self._hidden = self._unfinished() if read_only else set()
        #: The dataset of a query that declares none, when some graphs are hidden
        #: (``_mid_write``); None otherwise.
        self._visible = self._mid_write() if self._hidden else None
        #: The number of the write under way in the writer process: the transaction that
        #: commits it records it (``_recorded``); None elsewhere, and once recorded.
        self.write_number: int | None = None
        #: A write whose commit the last writer recorded but did not see answered (it
        #: stopped first): its number and result.
        self.written: tuple[int, int | None] | None = None
        if self.path is not None and not read_only:
            self.written = self._found_written()
            self._drop_staging_graphs()
            self._name_blank_graphs()

    def _recorded(self, operation: str, result: int | None) -> str:
        """A client's ``operation``, and the record of the write under way
        (``write_number``) after it, in one update: one transaction. The record is made
        once per write. (After: pyoxigraph reads no prologue after a ``;``.)"""
        record = self._record(result)
        return operation if record is None else operation + operation_separator(operation) + record

    def _recorded_first(self, operations: list[str], result: int | None) -> str:
        """This store's own ``operations`` in one update, the record of the write under
        way before them. A transaction reads slowly after many writes: the record's
        graph cleared after 30k triples removed and 30k added took the update from
        2.2 s to 5.6 s."""
        record = self._record(result)
        return " ;\n".join(operations if record is None else [record, *operations])

    def _record(self, result: int | None) -> str | None:
        """The operations that record the write under way with its result, None outside
        the writer; the write's number is taken, once."""
        number, self.write_number = self.write_number, None
        if number is None:
            return None
        record = Literal(json.dumps([number, result]))
        inserted = f"INSERT DATA {{ GRAPH <{WRITTEN}> {{ {_WRITE} {_WRITE} {record} }} }}"
        # The one record there: an answered write's may be left if the writer stopped
        # before it dropped it (``forget_written``). Not ``CLEAR``, which made a whole
        # transaction of many writes twice as slow, wherever it stood.
        return f"DELETE WHERE {{ GRAPH <{WRITTEN}> {{ ?s ?p ?o }} }} ;\n{inserted}"

    def _found_written(self) -> tuple[int, int | None] | None:
        """The record of a write the last writer committed but did not see through.

        A token holder's update can write anything into that graph too: what is not a
        record of ours (two numbers, the second possibly null) is no record.
        """
        for quad in self._store.quads_for_pattern(_WRITE, _WRITE, None, NamedNode(WRITTEN)):
            found = _record(quad.object)
            if found is not None:
                return found
        return None

    def forget_written(self) -> bool:
        """Drop the record of the write just answered (sent: until then a writer that
        stops must leave it for the next to find); whether there was one."""
        if not self._store.contains_named_graph(NamedNode(WRITTEN)):
            return False
        self._store.remove_graph(NamedNode(WRITTEN))
        return True

    def _mid_write(self) -> tuple[list[_Graph], list[NamedNode | BlankNode]]:
        """The graphs a reader may see, as a default graph list and named graphs, when
        the store was opened in the middle of a write (``_hidden`` is not empty).

        A read-only view opened while the writer replaces a graph sees the new content
        in its staging graph beside the old one; opened while it loads into an empty
        graph, it sees the loading marker and perhaps the loaded graph before the load
        is done. A query over the union of graphs would see what no write meant. The
        writer's next signal makes the view reopen; until then its queries, graph lists
        and dumps leave out staging graphs and graphs still loading, unless a query's
        dataset names them.
        """
        kept = [n for n in self._store.named_graphs() if n not in self._hidden]
        default: list[_Graph] = [] if DefaultGraph() in self._hidden else [DefaultGraph()]
        return [*default, *kept], kept

    def _unfinished(self) -> set[_Graph]:
        """Staging graphs, and the graphs their loading markers name."""
        staging = [n for n in self._store.named_graphs() if is_staging(n)]
        marked = {graph_name(graph) for name in staging for graph in self._marked(name)}
        return {*staging, *marked}

    def _marked(self, staging: _Graph) -> list[str | None]:
        """The graphs the loading markers in a staging graph name (None: the default).

        Only an IRI names a graph: a marker of any other shape (a token holder's update
        can write anything, even here) is no load of ours and is left alone.
        """
        objects = (q.object for q in self._store.quads_for_pattern(None, _LOADING, None, staging))
        return [_marked_graph(o) for o in objects if isinstance(o, NamedNode)]

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
        max_bytes: int | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a query over the union of graphs, or over the dataset given.

        A query's own ``FROM``/``FROM NAMED`` wins over the union default graph, and
        a dataset given here wins over both (SPARQL 1.1 Protocol §2.1.4).
        """
        dataset = _Dataset(default_graphs, named_graphs, base_iri, bindings)
        with _query_errors(sparql):
            return materialize(self._evaluate(sparql, dataset), max_rows, max_bytes)

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
        """``query``, answered in the format ``accept`` prefers: what the endpoint sends.

        An answer in a format pyoxigraph writes (``store/native.py``: SPARQL JSON and
        XML, CSV, TSV; Turtle, N-Triples, N3, RDF/XML, JSON-LD) that fits the caps is
        written by it; one that may not is evaluated again and cut in Python.
        """
        dataset = _Dataset(default_graphs, named_graphs, base_iri)
        with _query_errors(sparql):
            raw = self._evaluate(sparql, dataset)
            fmt = native_format(raw, accept)
            if fmt is not None and not isinstance(raw, QueryBoolean):
                native = write_natively(raw, fmt, max_rows, max_bytes)
                if native is not None:
                    return native
                raw = self._evaluate(sparql, dataset)
            return serialize_negotiated(materialize(raw, max_rows, max_bytes), accept)

    def _evaluate(
        self, sparql: str, dataset: "_Dataset"
    ) -> QuerySolutions | QueryBoolean | QueryTriples:
        """pyoxigraph's lazy result of a query over the union of graphs, or the dataset."""
        default, named = dataset.default_graphs, dataset.named_graphs
        substitutions = {Variable(k): v for k, v in (dataset.bindings or {}).items()}
        base = dataset.base_iri if dataset.base_iri and has_relative_iri(sparql) else None
        check_structure(sparql, "query", base)
        union = default is None and not declares_dataset(sparql)
        chosen: list[_Graph] | None = None if default is None else [graph_name(g) for g in default]
        names: list[NamedNode | BlankNode] | None = (
            None if named is None else [NamedNode(g) for g in named]
        )
        if self._visible is not None and not declares_dataset(sparql):
            chosen = self._visible[0] if union else chosen
            names = self._visible[1] if names is None else names
            union = False
        ask = partial(
            self._store.query,
            base_iri=base,
            substitutions=substitutions or None,
            use_default_graph_as_union=union,
            default_graph=chosen,
            named_graphs=names,
        )
        # SELECT *, whose columns the engine sorts by name, is asked with them in the
        # order the text names them: again the first time, at once after that
        text = star.known_order(sparql)
        result = ask(text)
        if text is not sparql or not isinstance(result, QuerySolutions):
            return result
        ordered = star.learn(sparql, [v.value for v in result.variables])
        return result if ordered is None else ask(ordered)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL Update in one transaction."""
        check_structure(sparql, "update", base_iri)
        recorded = self._recorded(sparql, None)
        try:
            try:
                self._store.update(recorded, base_iri=base_iri)
            except SyntaxError:
                if recorded is sparql:
                    raise
                self._store.update(sparql, base_iri=base_iri)  # its error, in its own text
        except SyntaxError as exc:
            raise explained(sparql, str(exc)) from exc
        except RuntimeError as exc:  # e.g. CREATE GRAPH of a graph that exists
            raise UserInputError(f"The update cannot run, and changed nothing: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"The store failed while updating: {exc}") from exc

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
        """Load into ``graph`` so that it changes all at once or not at all.

        An empty graph is loaded into directly (a marker records the load until it
        is complete, so a crash is undone on the next open); a graph with content is
        loaded into a staging graph first, then brought in by one update.
        """
        if not self._has_triples(graph):
            return self._load_into_empty(source, fmt, graph, base_iri, on_progress)
        if not fmt.names_graphs and _fits_in_memory(source):
            written = self._write_in_memory(
                graph,
                lambda into: self._parse_into(source, fmt, None, base_iri, on_progress, into=into),
                replace=replace,
            )
            if written is not None:
                return written
        return self._through_staging([(source, fmt)], graph, replace, base_iri, on_progress)

    def load_parts(self, upload: Upload) -> int:
        """Several documents (a multipart upload's) into their graph as one write.

        They are parsed into one staging graph, which one update then moves into
        place: in the writer that is one write, so no other write (an update over
        ``GRAPH ?g``, say) can see or change the staging graph half-filled, and the
        write's time limit is the whole upload's. Each document's blank nodes are its
        own, as the store names them afresh at every parse.
        """
        sources = list(upload.parts)
        return self._through_staging(sources, upload.graph, upload.replace, upload.base_iri, None)

    def _through_staging(
        self,
        sources: Sequence[tuple[RdfInput, Format]],
        graph: str | None,
        replace: bool,
        base_iri: str | None,
        on_progress: ProgressCallback | None,
    ) -> int:
        """Parse ``sources`` into a staging graph, then replace (or add to) ``graph`` with
        it in one update, which records the write; the staging graph goes either way."""
        staging = f"{STAGING_PREFIX}{uuid.uuid4()}"
        try:
            for source, fmt in sources:
                self._parse_into(source, fmt, staging, base_iri, on_progress)
            count = self._count(staging)
            target = "DEFAULT" if graph is None else f"<{graph}>"
            added = f"ADD SILENT <{staging}> TO {target}"
            moved = replacement.from_staging(staging, graph) if replace else added
            self._store.update(self._recorded_first([moved], count))
            return count
        finally:
            self._store.remove_graph(NamedNode(staging))

    def _write_in_memory(
        self, graph: str | None, parse: Callable[[Store], None], *, replace: bool
    ) -> int | None:
        """Replace ``graph``'s triples by (or, not ``replace``, add to them) those ``parse``
        puts in an in-memory store, in one update of the triples that differ
        (``replacement.in_memory``); None, having written nothing, where the staging
        graph is to do it: the graph is too large to read into memory, a triple that
        goes or comes holds a triple term, or SPARQL refuses the update's text."""
        if replace and self._count(graph) > replacement.MOST_TRIPLES:
            return None
        parsed = Store()
        parse(parsed)
        new = {quad.triple for quad in parsed}
        del parsed
        old = self._triples_of(graph) if replace else set()
        operations = replacement.in_memory(old, new, graph)
        if operations is None:
            return None
        number = self.write_number
        try:
            if operations or number is not None:
                self._store.update(self._recorded_first(operations, len(new)))
        except SyntaxError:  # a term SPARQL would not read back: the staging graph copies it
            _log.warning("A replacement of <%s> goes through a staging graph", graph)
            self.write_number = number
            return None
        return len(new)

    def _triples_of(self, graph: str | None) -> set[Triple]:
        """A graph's triples, read into memory.

        A traceback keeps its frames' locals: the store's iterator is let go before an
        error (a ``MemoryError`` part-way, say) leaves, or it would keep the database
        (and its lock) open (``_parse_file``)."""
        triples = set()
        quads = self._store.quads_for_pattern(None, None, None, graph_name(graph))
        try:
            for quad in quads:
                triples.add(quad.triple)
        except BaseException:
            del quads
            raise
        return triples

    def _load_into_empty(
        self,
        source: RdfInput,
        fmt: Format,
        graph: str | None,
        base_iri: str | None,
        on_progress: ProgressCallback | None,
    ) -> int:
        """Load straight into an empty graph: undoing it is emptying the graph again.

        Copying a loaded staging graph costs more than parsing it, so first loads,
        the common case, skip the copy.
        """
        marker = NamedNode(f"{STAGING_PREFIX}{uuid.uuid4()}")
        alone = not fmt.names_graphs and not any(self._store)
        self._store.add(Quad(marker, _LOADING, _marker_object(graph), marker))
        try:
            self._parse_into(source, fmt, graph, base_iri, on_progress)
            # Into an empty store, every quad but the marker is the graph's: the store
            # counts its quads in one pass over one index, in half the time a count of
            # the graph takes (0.15 s against 0.32 s a million triples).
            count = len(self._store) - 1 if alone else self._count(graph)
        except BaseException:
            self._empty(graph)
            self._store.remove_graph(marker)
            raise
        # The load is whole once its marker is gone.
        self._store.update(self._recorded_first([f"DROP SILENT GRAPH {marker}"], count))
        return count

    def _parse_into(
        self,
        source: RdfInput,
        fmt: Format,
        graph: str | None,
        base_iri: str | None,
        on_progress: ProgressCallback | None,
        *,
        into: Store | None = None,
    ) -> None:
        """Parse ``source`` into ``graph`` of this store, or of the store ``into``."""
        name = str(source) if isinstance(source, Path) else "request body"
        target = graph_name(graph)
        source = checked_source(source, fmt, name)
        try:
            if not isinstance(source, Path):
                self._parse_bytes(source, fmt, target, base_iri, into=into)
            else:
                self._parse_file(source, fmt, target, base_iri, on_progress, into=into)
        except SyntaxError as exc:
            raise syntax_error(name, exc) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise RdfSyntaxError(name, str(exc)) from exc
        except MemoryError as exc:
            if _LINE_LIMIT not in str(exc):
                raise
            raise RdfSyntaxError(name, _LONG_LINE) from exc
        if fmt.names_graphs:
            self._name_blank_graphs()

    def _parse_bytes(
        self,
        data: bytes,
        fmt: Format,
        target: NamedNode | DefaultGraph,
        base_iri: str | None,
        *,
        into: Store | None,
    ) -> None:
        """An upload through the bulk loader when it is big, else in one transaction.

        A 64 MB upload of N-Triples (430k triples) took 12-13 s in one transaction and
        3.6-4 s through the loader, which also leaves no log for views to replay.
        """
        if into is not None:
            into.load(data, fmt.rdf_format, base_iri=base_iri, to_graph=target)
        elif len(data) > BULK_THRESHOLD:
            self._store.bulk_load(data, fmt.rdf_format, base_iri=base_iri, to_graph=target)
        else:
            self._store.load(data, fmt.rdf_format, base_iri=base_iri, to_graph=target)

    def _parse_file(
        self,
        source: Path,
        fmt: Format,
        target: NamedNode | DefaultGraph,
        base_iri: str | None,
        on_progress: ProgressCallback | None,
        *,
        into: Store | None,
    ) -> None:
        """A file through the bulk loader when it is big (N-Triples in pieces, two loads
        at a time: ``store/pieces.py``), else in one transaction.

        The pieces are loads of their own, each committed as it ends: they go only
        where a failure is undone whole, into an empty graph under its loading marker
        or into a staging graph (``load``), and only from N-Triples, whose triples all
        go there.
        """
        big = source.stat().st_size > BULK_THRESHOLD
        if big and into is None and fmt.rdf_format == RdfFormat.N_TRIPLES:
            load_in_pieces(
                source,
                lambda piece: self._bulk_load(piece, target, base_iri),
                on_progress=on_progress,
                base_iri=base_iri,
            )
            return
        with source.open("rb") as stream:
            reader = cast(IO[bytes], ProgressReader(stream, on_progress)) if on_progress else stream
            # Neither this store nor a bound method of it is kept in a local: a
            # traceback that keeps this frame alive must not keep the database (and its
            # lock) open.
            if into is not None:
                into.load(reader, fmt.rdf_format, base_iri=base_iri, to_graph=target)
            elif big:
                self._store.bulk_load(reader, fmt.rdf_format, base_iri=base_iri, to_graph=target)
            else:
                self._store.load(reader, fmt.rdf_format, base_iri=base_iri, to_graph=target)

    def _bulk_load(
        self, piece: bytes | IO[bytes], target: NamedNode | DefaultGraph, base_iri: str | None
    ) -> None:
        """One piece of N-Triples through the bulk loader (``store/pieces.py``)."""
        self._store.bulk_load(piece, RdfFormat.N_TRIPLES, base_iri=base_iri, to_graph=target)

    def _name_blank_graphs(self) -> None:
        """Give each graph named by a blank node (TriG and N-Quads allow it) an IRI.

        SPARQL can name such a graph in no query or update, and exports, graph lists
        and the version log go by graph IRIs: kept under a blank node, a graph would be
        stored but never written out again. Its triples are copied to a Skolem IRI made
        from the blank node's label, then the blank graph is removed; a crash between
        the two leaves a copy that the next open finishes (under the same IRI).
        """
        for blank in [n for n in self._store.named_graphs() if isinstance(n, BlankNode)]:
            named = NamedNode(SKOLEM_BASE + blank.value)
            quads = self._store.quads_for_pattern(None, None, None, blank)
            self._store.extend(Quad(q.subject, q.predicate, q.object, named) for q in quads)
            self._store.remove_graph(blank)
            _log.warning("A graph named by a blank node is stored as <%s>", named.value)

    def _count(self, graph: str | None) -> int:
        pattern = "?s ?p ?o" if graph is None else f"GRAPH <{graph}> {{ ?s ?p ?o }}"
        result = self._store.query(f"SELECT (COUNT(*) AS ?n) {{ {pattern} }}")
        assert isinstance(result, QuerySolutions)
        return int(next(iter(result))["n"].value)

    def drop_graph(self, graph: str | None) -> bool:
        """Remove a named graph, or empty the default graph."""
        existed = self._has_triples(graph)
        if graph is None:
            dropped = "CLEAR SILENT DEFAULT"
        elif self._store.contains_named_graph(NamedNode(graph)):
            dropped, existed = f"DROP SILENT GRAPH {NamedNode(graph)}", True
        else:
            return existed
        self._store.update(self._recorded_first([dropped], int(existed)))
        return existed

    def _has_triples(self, graph: str | None) -> bool:
        return any(self._store.quads_for_pattern(None, None, None, graph_name(graph)))

    def contains(self, quad: Quad) -> bool:
        """Whether the store holds ``quad`` (a write's check that it took effect)."""
        return quad in self._store

    def has_graph(self, graph: str) -> bool:
        """Whether a named graph exists (empty or not)."""
        return bool(self._store.contains_named_graph(NamedNode(graph)))

    def dump(self, out: BinaryIO, fmt: Format, graphs: Sequence[str | None] | None = None) -> None:
        """Stream the chosen graphs; staging graphs are never part of a dump."""
        names = [graph_name(g) for g in graphs] if graphs is not None else self._all_graph_names()
        quads = (q for name in names for q in self._store.quads_for_pattern(None, None, None, name))
        write_quads(quads, out, fmt)

    def _all_graph_names(self) -> list[NamedNode | DefaultGraph]:
        named = sorted(
            (n for n in self._store.named_graphs() if isinstance(n, NamedNode)),
            key=lambda n: n.value,
        )
        every: list[NamedNode | DefaultGraph] = [DefaultGraph()]
        every += [n for n in named if not n.value.startswith(STAGING_PREFIX)]
        return [name for name in every if name not in self._hidden]

    def graphs(self) -> list[GraphInfo]:
        """List non-empty graphs with triple counts, default graph first."""
        default = self._count_default()
        result = self._store.query(_COUNT_PER_GRAPH)
        assert isinstance(result, QuerySolutions)
        named = [
            GraphInfo(row["g"].value, int(row["n"].value))
            for row in result
            if not row["g"].value.startswith(STAGING_PREFIX) and row["g"] not in self._hidden
        ]
        return ([GraphInfo(None, default)] if default else []) + named

    def graph_names(self) -> list[str | None]:
        """Every non-empty graph's name, default graph first; no triple is counted."""
        return [
            None if isinstance(name, DefaultGraph) else name.value
            for name in self._all_graph_names()
            if any(self._store.quads_for_pattern(None, None, None, name))
        ]

    def _count_default(self) -> int:
        if DefaultGraph() in self._hidden:
            return 0
        result = self._store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
        assert isinstance(result, QuerySolutions)
        return int(next(iter(result))["n"].value)

    def _empty(self, graph: str | None) -> None:
        if graph is None:
            self._store.clear_graph(DefaultGraph())
        else:
            self._store.remove_graph(NamedNode(graph))

    def _drop_staging_graphs(self) -> None:
        """Undo what a crash left: staging graphs, and loads into empty graphs cut short."""
        for name in list(self._store.named_graphs()):
            if is_staging(name):
                for graph in self._marked(name):
                    self._empty(graph)
                self._store.remove_graph(name)

    def backup(self, target: Path) -> None:
        """Write a consistent copy of an on-disk store into a new directory.

        A writable store makes a RocksDB checkpoint (hard links, near instant). A
        read-only store, opened beside a serving process that holds the write lock,
        copies its snapshot quad by quad instead: a checkpoint taken through a
        read-only handle leaves out what the writer still holds in its log (measured
        with pyoxigraph 0.5: an empty backup of a live store of 100k quads). It leaves
        out a write the snapshot caught in progress, as queries do (``_mid_write``):
        the copy has no marker to undo a load with.
        """
        if self.path is None:
            raise StoreError("An in-memory store has no files to back up; export it instead")
        if not self.read_only:
            self._store.backup(str(target))
            return
        copy = Store(str(target))
        quads = self._store.quads_for_pattern(None, None, None, None)
        copy.bulk_extend(q for q in quads if q.graph_name not in self._hidden)
        for name in self._store.named_graphs():  # empty ones have no quad to bring them
            if name not in self._hidden:
                copy.add_graph(name)
        copy.flush()

    def flush(self) -> None:
        """Push buffered writes to disk (bulk loads write around the log)."""
        self._store.flush()

    def optimize(self) -> None:
        """Compact the database's files now, waiting for the compaction to end."""
        self._store.optimize()

    def close(self) -> None:
        """Release the store, its writes flushed; pyoxigraph closes it when the object goes.

        Without the flush, what a load wrote stays in the database's log, and every
        open replays it: seconds per hundred thousand triples, and each serving
        process's read view holds its own copy in memory.
        """
        store, self._store = self._store, Store()
        try:
            if self.path is not None and not self.read_only:
                store.flush()
        except OSError as exc:  # the writes are safe in the log: only opens get slower
            _log.warning("Could not flush the store at %s: %s", self.path, exc)
        finally:
            del store  # a traceback must not keep the database (and its lock) open


def _fits_in_memory(source: RdfInput) -> bool:
    """Whether a replacement may parse ``source`` into memory (``replacement.MOST_BYTES``);
    a stream is read once, and only the staging graph takes it."""
    if isinstance(source, bytes):
        return len(source) <= replacement.MOST_BYTES
    return isinstance(source, Path) and source.stat().st_size <= replacement.MOST_BYTES


def _marker_object(graph: str | None) -> NamedNode:
    return _DEFAULT_GRAPH_MARK if graph is None else NamedNode(graph)


def _marked_graph(term: NamedNode) -> str | None:
    return None if term == _DEFAULT_GRAPH_MARK else term.value


@dataclass(frozen=True)
class _Dataset:
    """What a query runs over besides its text (SPARQL 1.1 Protocol §2.1.4), and its base."""

    default_graphs: Sequence[str | None] | None
    named_graphs: Sequence[str] | None
    base_iri: str | None
    bindings: Mapping[str, Term] | None = None


@contextmanager
def _query_errors(sparql: str) -> Iterator[None]:
    """pyoxigraph's errors while parsing or evaluating, as the errors users are shown.

    Evaluation is lazy, so they may come while the answer is being read or written.
    """
    try:
        yield
    except SyntaxError as exc:
        raise explained(sparql, str(exc)) from exc
    except RuntimeError as exc:  # e.g. a binding for a variable the query does not project
        raise UserInputError(f"The query cannot run: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"The store failed while querying: {exc}") from exc
