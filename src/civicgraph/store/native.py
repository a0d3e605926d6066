"""Answers written by pyoxigraph itself, when they fit the row and byte caps.

Converting every solution or triple into Python terms and checking or writing it in
Python costs more than evaluating a cheap query, and pyoxigraph's own writers do the
same work in Rust without the interpreter lock. A CONSTRUCT or DESCRIBE answer in
Turtle, N-Triples or N3 goes to ``pyoxigraph.serialize`` straight from the result,
cut at the row cap by ``itertools.islice``; the other graph formats need a check or
a rewrite per triple in Python (RDF/XML, JSON-LD, the dataset formats). A SELECT
answer in SPARQL JSON is written by the result itself, which cannot be told to stop
at a number of rows, so it writes into ``_CappedSink``, which counts rows as the
bytes pass (a JSON solution list separates solutions with ``},{``, which a literal
can contain only where it adds to the count, so the count never falls short) and
stops the writer once either cap may be passed; graphs go to the same sink for the
byte cap. An answer that did not fit is written again from a
fresh evaluation by the Python path, which cuts it exactly and announces the cut.
"""

from collections.abc import Iterator
from itertools import islice
from typing import IO, Final, cast

from pyoxigraph import (
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    Triple,
    serialize,
)

from civicgraph.formats import Format, Kind, negotiate
from civicgraph.store.expressible import writer_refusals
from civicgraph.store.results import SerializedResult
from civicgraph.vocab import PREFIXES

#: Between two solutions of a SPARQL JSON answer.
_SEPARATOR: Final = b"},{"
#: The fewest bytes a solution takes in a SPARQL JSON answer: ``{}`` and a separator.
_SHORTEST_ROW: Final = 3


class _OverCapError(Exception):
    """The answer being written may hold more than a cap allows."""


class _ReadError(Exception):
    """The store failed while the writer was reading the answer from it."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _read(triples: Iterator[Triple]) -> Iterator[Triple]:
    """The triples, with the store's errors told apart from the writer's refusals.

    Both are ``OSError``: a refusal is a 406, but a store file the writer compacted
    away meanwhile must reach the read view, which reopens and asks again.
    """
    try:
        yield from triples
    except OSError as exc:
        raise _ReadError(exc) from exc


class _CappedSink:
    """Where pyoxigraph writes an answer: keeps the bytes, stops past a cap.

    Rows are counted only once the bytes could hold more than ``max_rows`` of them
    (``_SHORTEST_ROW`` bytes each): counting costs about 5 µs per 8 KiB piece, which
    an answer far below the cap, the usual one, need not pay.
    """

    def __init__(self, max_rows: int | None, max_bytes: int | None) -> None:
        self.max_rows, self.max_bytes = max_rows, max_bytes
        self.parts: list[bytes] = []
        self.size = 0
        #: Separators seen since counting began (None: not begun).
        self.separators: int | None = None
        self._uncounted = None if max_rows is None else _SHORTEST_ROW * max_rows
        self._tail = b""

    def write(self, data: bytes) -> int:
        """Take the next piece; raise ``_OverCapError`` once a cap may be passed."""
        self.size += len(data)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise _OverCapError
        self.parts.append(data)
        if self._uncounted is not None and self.size > self._uncounted:
            self._count(data)
        return len(data)

    def _count(self, data: bytes) -> None:
        """Count the separators in ``data`` (in every piece so far, the first time)."""
        if self.separators is None:
            self.separators, self._tail = 0, b""
            data = b"".join(self.parts)
        joined = self._tail + data  # a separator may span this piece and those before
        self.separators += joined.count(_SEPARATOR)
        self._tail = joined[-(len(_SEPARATOR) - 1) :]
        if self.max_rows is not None and self.separators + 1 > self.max_rows:
            raise _OverCapError

    def flush(self) -> None:
        """Nothing to flush: the bytes are kept in memory."""


#: Graph formats pyoxigraph writes with no check or rewrite per triple in Python.
_GRAPH_FORMATS: Final = frozenset({"turtle", "ntriples", "n3"})
#: Graph formats that declare the project's prefixes.
_PREFIXED: Final = frozenset({"turtle", "n3"})


def native_format(
    raw: QuerySolutions | QueryBoolean | QueryTriples, accept: str | None
) -> Format | None:
    """The format ``accept`` gets for ``raw``, if pyoxigraph writes it alone; else None."""
    if isinstance(raw, QuerySolutions):
        fmt = negotiate(accept, Kind.RESULTS)
        return fmt if fmt.name == "json" else None
    if isinstance(raw, QueryTriples):
        fmt = negotiate(accept, Kind.GRAPH)
        return fmt if fmt.name in _GRAPH_FORMATS else None
    return None


def write_natively(
    raw: QuerySolutions | QueryTriples, fmt: Format, max_rows: int | None, max_bytes: int | None
) -> SerializedResult | None:
    """The answer in ``fmt`` (from ``native_format``), or None when it may not fit the caps."""
    if isinstance(raw, QueryTriples):
        return _write_triples(raw, fmt, max_rows, max_bytes)
    sink = _CappedSink(max_rows, max_bytes)
    try:
        raw.serialize(cast("IO[bytes]", sink), format=QueryResultsFormat.JSON)
    except _OverCapError:
        return None
    return SerializedResult(b"".join(sink.parts), fmt.content_type)


def _write_triples(
    triples: QueryTriples, fmt: Format, max_rows: int | None, max_bytes: int | None
) -> SerializedResult | None:
    """The first ``max_rows`` triples written, or None when they pass the byte cap."""
    sink = _CappedSink(None, max_bytes)
    kept = triples if max_rows is None else islice(triples, max_rows)
    prefixes = PREFIXES if fmt.name in _PREFIXED else None
    try:
        with writer_refusals(fmt):
            out = cast("IO[bytes]", sink)
            serialize(_read(kept), out, format=fmt.rdf_format, prefixes=prefixes)
    except _OverCapError:
        return None
    except _ReadError as failed:
        raise failed.error from None
    truncated = max_rows is not None and next(triples, None) is not None
    return SerializedResult(b"".join(sink.parts), fmt.content_type, truncated, max_rows or 0)
