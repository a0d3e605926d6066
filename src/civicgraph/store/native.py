"""Answers written by pyoxigraph itself, when they fit the row and byte caps.

Converting every solution or triple into Python terms and checking or writing it in
Python costs more than evaluating a cheap query, and pyoxigraph's own writers do the
same work in Rust without the interpreter lock. A SELECT answer in SPARQL JSON, SPARQL
XML, CSV or TSV and a CONSTRUCT or DESCRIBE answer in Turtle, N-Triples, N3, RDF/XML or
JSON-LD are written by the result itself (JSON-LD then compacted, ``store/jsonld.py``).
The others need a rewrite per term in Python: the dataset formats and the spreadsheet
variants.

Some of those writers leave what a reader would not read back as meant, so the answer is
read back once written (``_read_back``), by a reader rather than by a pattern where one
exists, and one that fails is written by the Python path, which refuses it with the
reason or writes it faithfully: SPARQL XML holding a character XML 1.0 cannot carry, or
a bare carriage return (read back as a line break), found by a search of its bytes; CSV
whose rows a CSV reader does not read as one cell per variable (an IRI holding a comma
is left unquoted, a row of one empty cell written as an empty line); RDF/XML that an XML
parser with namespaces does not read (a predicate or type that ends in no XML name, a
character XML 1.0 forbids), whose carriage returns are written as references. JSON-LD is
compacted in the read-back, and sent only if it still fits the byte cap.

A result cannot be told to stop at a number of rows, so it writes into ``_CappedSink``,
which bounds the rows from above as the bytes pass and stops the writer once either cap
may be passed (``_RowMarks``): a JSON solution list separates solutions with ``},{``, an
XML one opens each with ``<result>``, a CSV or TSV answer ends its header and each row
with a line break, a graph writer ends or joins every triple with a line break or `` ,
`` (RDF/XML writes each on a line of its own, a typed node's type on its subject's
opening line; JSON-LD opens each triple's object with ``[{"@`` or ``"},{"@``); a
literal can hold those bytes only where it adds to the count (XML escapes its ``<``,
TSV its line breaks, JSON its quotes), so the count never falls short. Graph answers
are written as the writer writes them, subjects grouped, IRIs in full: the project's
prefixes cost a triple's trip through Python each (a fifth of a 10,000-triple answer's
time). An answer that did not fit is written again from a fresh evaluation by the
Python path, which cuts it exactly and announces the cut.
"""

import csv
import io
from dataclasses import dataclass
from typing import IO, Final, cast

from pyoxigraph import QueryBoolean, QuerySolutions, QueryTriples

from civicgraph.errors import CannotExpressError
from civicgraph.formats import Format, Kind, negotiate
from civicgraph.spreadsheet import TABULAR, wants_spreadsheet
from civicgraph.store import jsonld
from civicgraph.store.expressible import check_rdfxml, xml_forbidden_in
from civicgraph.store.results import SerializedResult


@dataclass(frozen=True)
class _RowMarks:
    """How a writer's bytes bound its rows from above: each row adds one of ``marks``,
    but for ``unmarked`` of them, and none takes fewer than ``shortest`` bytes; each of
    ``unmarks`` takes one back (it closes what one of ``marks`` opened and no row)."""

    marks: tuple[bytes, ...]
    unmarked: int
    shortest: int
    unmarks: tuple[bytes, ...] = ()


#: A SPARQL JSON solution list: ``},{`` between two solutions; ``{}`` and a separator.
SOLUTIONS: Final = _RowMarks((b"},{",), 1, 3)
#: A SPARQL XML solution list: each solution opens with ``<result>``.
XML_SOLUTIONS: Final = _RowMarks((b"<result>",), 0, len(b"<result></result>"))
#: A TSV answer: a line break ends the header and each row (one of no bound variable).
TSV_ROWS: Final = _RowMarks((b"\n",), -1, 1)
#: A CSV answer: CR LF ends the header and each row; a quoted value may hold more.
CSV_ROWS: Final = _RowMarks((b"\r\n",), -1, 2)
#: A graph writer (N-Triples, Turtle, N3; no prefixes): a line break ends a triple and
#: its subject or predicate (``" .\n"``, ``" ;\n"``), `` , `` joins one to the object
#: before; a literal writes its line breaks escaped. The shortest triple: `` , 1``.
TRIPLES: Final = _RowMarks((b"\n", b" , "), 0, 4)
#: pyoxigraph's RDF/XML: each triple is a property element on a line of its own, two
#: tabs in, but a typed node's type, written as the name of its subject's element (one
#: tab in, where an untyped subject opens ``<rdf:Description`` and every subject
#: closes ``</``): the lines opened one tab in, less those, count the types. Each mark
#: opens with another; a literal writes its ``<`` escaped, so holds none. Counting every
#: line break sent answers of short subjects past half the row cap to the Python path.
XML_TRIPLES: Final = _RowMarks(
    (b"\n\t\t<", b"\n\t<"), 0, 4, unmarks=(b"\n\t</", b"\n\t<rdf:Description")
)
#: pyoxigraph's expanded JSON-LD: each object of a triple is an object whose first key is
#: a keyword (``{"@id":…}``, ``{"@value":…}``, ``{"@language":…}``), first in its
#: property's list (``[{"@``, as the document's first subject is too) or after the one
#: before, which ends in a string (``"},{"@``; a subject after a subject follows a
#: list's ``]``). A string writes its quotes ``\"``, so holds neither mark. Counting
#: subjects too sent answers of short subjects past half the row cap to the Python
#: path; the read-back counts the triples exactly (``jsonld.compact_at_most``).
JSONLD_OBJECTS: Final = _RowMarks((b'[{"@', b'"},{"@'), -1, len(b'{"@id":""}'))


class _OverCapError(Exception):
    """The answer being written may hold more than a cap allows."""


class _CappedSink:
    """Where pyoxigraph writes an answer: keeps the bytes, stops past a cap.

    Rows are counted only once the bytes could hold more than ``max_rows`` of them
    (``shortest`` bytes each): counting costs about 5 µs per 8 KiB piece, which an
    answer far below the cap, the usual one, need not pay.
    """

    def __init__(self, rows: _RowMarks, max_rows: int | None, max_bytes: int | None) -> None:
        self.rows, self.max_rows, self.max_bytes = rows, max_rows, max_bytes
        self.parts: list[bytes] = []
        self.size = 0
        #: Marks seen since counting began (None: not begun).
        self.marks: int | None = None
        self._uncounted = None if max_rows is None else rows.shortest * max_rows
        self._carried = max(len(mark) for mark in (*rows.marks, *rows.unmarks)) - 1
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
        """Count the marks in ``data`` (in every piece so far, the first time)."""
        if self.marks is None:
            self.marks, self._tail = 0, b""
            data = b"".join(self.parts)
        joined = self._tail + data  # a mark may span this piece and those before
        # The tail is shorter than the longest mark: a mark wholly in it is a shorter
        # one, counted with the piece before.
        self.marks += sum(joined.count(m) - self._tail.count(m) for m in self.rows.marks)
        self.marks -= sum(joined.count(m) - self._tail.count(m) for m in self.rows.unmarks)
        self._tail = joined[-self._carried :] if self._carried else b""
        if self.max_rows is not None and self.marks + self.rows.unmarked > self.max_rows:
            raise _OverCapError

    def flush(self) -> None:
        """Nothing to flush: the bytes are kept in memory."""


#: Graph formats pyoxigraph writes with no check or rewrite per triple in Python (its
#: RDF/XML is checked whole, once written), and how each bounds its triples.
_GRAPH_FORMATS: Final = {
    "turtle": TRIPLES,
    "ntriples": TRIPLES,
    "n3": TRIPLES,
    "rdfxml": XML_TRIPLES,
    "jsonld": JSONLD_OBJECTS,
}
#: Graph writers whose refusal of a term is an ``OSError``, as a store's failure is.
_REFUSING: Final = frozenset({"rdfxml", "jsonld"})
#: Result formats pyoxigraph writes alone, and how each bounds its rows.
_RESULT_FORMATS: Final = {
    "json": SOLUTIONS,
    "xml": XML_SOLUTIONS,
    "csv": CSV_ROWS,
    "tsv": TSV_ROWS,
}


def native_format(
    raw: QuerySolutions | QueryBoolean | QueryTriples, accept: str | None
) -> Format | None:
    """The format ``accept`` gets for ``raw``, if pyoxigraph writes it alone; else None."""
    if isinstance(raw, QuerySolutions):
        fmt = negotiate(accept, Kind.RESULTS)
        if fmt.name not in _RESULT_FORMATS:
            return None
        variant = fmt.media_type in TABULAR and wants_spreadsheet(accept, fmt.media_type)
        return None if variant else fmt
    if isinstance(raw, QueryTriples):
        fmt = negotiate(accept, Kind.GRAPH)
        return fmt if fmt.name in _GRAPH_FORMATS else None
    return None


def write_natively(
    raw: QuerySolutions | QueryTriples, fmt: Format, max_rows: int | None, max_bytes: int | None
) -> SerializedResult | None:
    """The answer in ``fmt`` (from ``native_format``), or None when it may not fit the
    caps or holds what ``fmt`` cannot carry.

    A store error while the result is written (a file compacted away) is the store's
    ``OSError``, which the read view answers by reopening and asking again: these
    writers refuse nothing a query can build, but for the RDF/XML and JSON-LD writers,
    whose refusals are ``OSError`` too (``rdf:li`` as a predicate, a triple term): there
    it is left to the Python path.
    """
    marks = (_GRAPH_FORMATS if isinstance(raw, QueryTriples) else _RESULT_FORMATS)[fmt.name]
    sink = _CappedSink(marks, max_rows, max_bytes)
    out = cast("IO[bytes]", sink)
    try:
        if isinstance(raw, QueryTriples):
            raw.serialize(out, format=fmt.rdf_format)
        else:
            raw.serialize(out, format=fmt.results_format)
    except _OverCapError:
        return None
    except OSError:
        if fmt.name not in _REFUSING:
            raise
        # The writer's refusal (an rdf: term as a predicate, a triple term in JSON-LD),
        # or the store's error: the Python path evaluates again, and refuses with the
        # reason or meets that error.
        return None
    width = len(raw.variables) if isinstance(raw, QuerySolutions) else 0
    body = _read_back(b"".join(sink.parts), fmt, width, max_rows, max_bytes)
    return None if body is None else SerializedResult(body, fmt.content_type)


def _read_back(
    body: bytes, fmt: Format, width: int, max_rows: int | None, max_bytes: int | None
) -> bytes | None:
    """``body`` as it is sent, or None where a reader would not read back what pyoxigraph
    meant to write (the Python path writes it then, or refuses it with the reason)."""
    if fmt.name == "xml":  # a carriage return left bare would be read as a line break
        return None if b"\r" in body or xml_forbidden_in(body) else body
    if fmt.name == "csv":
        return body if _rows_whole(body, width) else None
    if fmt.name == "rdfxml":
        try:
            body = check_rdfxml(body, fmt)
        except CannotExpressError:
            return None
    elif fmt.name == "jsonld":
        compacted = jsonld.compact_at_most(body, max_rows)
        if compacted is None:
            return None
        body = compacted
    return None if max_bytes is not None and len(body) > max_bytes else body  # grown


def _rows_whole(body: bytes, width: int) -> bool:
    """Whether a CSV reader reads every line of ``body`` as ``width`` cells.

    pyoxigraph's CSV writer leaves an IRI holding a comma unquoted (a cell too many,
    and the columns after it shifted) and writes a row of one empty cell as an empty
    line (no cell): such an answer is written by the Python path. Python's reader, in
    C, is the judge; nothing is inferred from the bytes. The text is decoded as the
    reader goes, so no decoded copy of the whole answer is held beside its bytes.
    """
    try:
        text = io.TextIOWrapper(io.BytesIO(body), encoding="utf-8", newline="")
        return all(len(row) == width for row in csv.reader(text))
    except (csv.Error, UnicodeDecodeError):
        return False
