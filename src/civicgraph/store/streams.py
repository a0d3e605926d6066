"""What both backends do the same way around pyoxigraph: progress, results, dumps, errors.

The embedded store gets pyoxigraph's results from its own engine and the remote store
parses them from a server's response; both turn them into the same tagged results,
write dumps the same way, and report RDF syntax errors with the same position.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Final, TypeVar

from pyoxigraph import Literal, NamedNode, Quad, QueryBoolean, QuerySolutions, Triple, serialize

from civicgraph.errors import RdfSyntaxError
from civicgraph.formats import Format, Kind
from civicgraph.store.base import ProgressCallback, RdfInput
from civicgraph.store.expressible import expressible, writer_refusals
from civicgraph.store.parsesafety import check_before_parsing, check_file_before_parsing
from civicgraph.store.results import AskResult, GraphResult, QueryResult, SelectResult, Term
from civicgraph.vocab import PREFIXES, XSD

T = TypeVar("T")
#: Graphs that hold a load while it is parsed; never listed, dumped or kept.
STAGING_PREFIX: Final = "urn:civicgraph:staging:"


def is_staging(name: object) -> bool:
    """Whether a graph name is a staging graph (never listed, dumped or kept)."""
    return isinstance(name, NamedNode) and name.value.startswith(STAGING_PREFIX)


class ProgressReader:
    """A binary stream that reports how many bytes the parser has consumed."""

    def __init__(self, stream: BinaryIO, on_progress: ProgressCallback) -> None:
        self._stream, self._on_progress, self._read = stream, on_progress, 0

    def read(self, size: int = -1) -> bytes:
        """Read like the wrapped stream, then report the running total."""
        chunk = self._stream.read(size)
        self._read += len(chunk)
        self._on_progress(self._read)
        return chunk


def materialize(
    raw: AskResult | QueryBoolean | QuerySolutions | Iterable[Triple],
    max_rows: int | None,
    max_bytes: int | None = None,
) -> QueryResult:
    """Turn pyoxigraph's lazy results into tagged results, honouring the row and byte caps."""
    if isinstance(raw, AskResult):
        return raw
    if isinstance(raw, QueryBoolean):
        return AskResult(bool(raw))
    if isinstance(raw, QuerySolutions):
        variables = tuple(v.value for v in raw.variables)
        # A solution iterates over its values in projection order, unbound as None:
        # converting it whole is about 2.4x faster than indexing it per variable.
        solutions = (tuple(s) for s in raw)
        rows, truncated = _take(solutions, max_rows, max_bytes, _RowSize(variables))
        return SelectResult(variables, tuple(rows), truncated)
    triples, truncated = _take(iter(raw), max_rows, max_bytes, _size)
    return GraphResult(tuple(triples), truncated)


#: What a term costs in an answer beyond its value, datatype, language and variable
#: name: the widest is SPARQL XML's elements around a literal with a language or type.
_TERM_OVERHEAD: Final = len('<binding name=""><literal datatype=""></literal></binding>')
#: What a row costs in an answer beyond its terms: SPARQL XML's ``<result>`` element.
_ROW_OVERHEAD: Final = len("<result></result>")
#: What a base direction adds to a literal: its attributes in SPARQL XML, the widest.
_DIRECTION: Final = len(
    ' its:dir="ltr" xmlns:its="http://www.w3.org/2005/11/its" its:version="2.0"'
)
#: Characters that every answer format writes as themselves, one byte each.
_PLAIN: Final = re.compile(r"[ !#-%'-;=?-\[\]-~]*")
#: The most bytes one character can take once written: a control character in JSON
#: (``\u0001``).
_WIDEST: Final = 6


def _size(item: Iterable[Term | None]) -> int:
    """How many bytes a row's (or triple's) terms can take once written out, at most.

    A value of plain ASCII (no quote, backslash, ampersand or angle bracket) is
    written as itself; any other value is counted at the widest escape, so that no
    answer can grow past the byte cap by escaping. A literal's datatype IRI (but
    ``xsd:string``, which no format writes) or language tag and base direction are
    written beside its value, and count as much.
    """
    total = 0
    for term in item:
        if term is None:
            continue
        total += _TERM_OVERHEAD
        if isinstance(term, Literal):
            total += _written(term.value)
            if term.language:
                total += len(term.language)
                total += 0 if term.direction is None else _DIRECTION
            elif term.datatype != XSD.string:
                total += _written(term.datatype.value)
        elif isinstance(term, Triple):
            total += _written(str(term)) * _depth(term)
        else:
            total += _written(term.value)
    return total


def _depth(term: Triple) -> int:
    """How deep triple terms nest in ``term``'s object (1 for a flat one): RDF/XML
    indents each level's lines, so a term nested d deep takes about d² bytes there."""
    depth = 1
    while isinstance(term.object, Triple):
        term, depth = term.object, depth + 1
    return depth


def _written(text: str) -> int:
    """The most bytes ``text`` takes in any answer format."""
    return len(text) * (1 if _PLAIN.fullmatch(text) is not None else _WIDEST)


class _RowSize:
    """``_size`` of a row, its element and separators, and its bound variables' names:
    SPARQL JSON and XML write the name again beside every value (a variable's name
    needs no escape), CSV and TSV a separator for every variable."""

    def __init__(self, variables: tuple[str, ...]) -> None:
        self.names = tuple(len(name.encode()) for name in variables)
        #: A row's own cost: its element, and a separator per variable, bound or not.
        self.row = _ROW_OVERHEAD + len(variables)

    def __call__(self, row: tuple[Term | None, ...]) -> int:
        named = sum(n for n, term in zip(self.names, row, strict=True) if term is not None)
        return self.row + _size(row) + named


def _take(
    items: Iterator[T], limit: int | None, max_bytes: int | None, size: Callable[[T], int]
) -> tuple[list[T], bool]:
    """At most ``limit`` items within ``max_bytes``, and whether there were more.

    One more item than fits is read to know. The byte cap keeps a few rows of huge
    literals from filling the serving process, as a row cap alone would let them.
    """
    if max_bytes is None:
        if limit is None:
            return list(items), False
        taken = list(islice(items, limit + 1))
        if len(taken) > limit:
            del taken[limit:]
            return taken, True
        return taken, False
    kept: list[T] = []
    total = 0
    for item in items:
        total += size(item)
        if total > max_bytes or (limit is not None and len(kept) >= limit):
            return kept, True
        kept.append(item)
    return kept, False


def write_quads(quads: Iterable[Quad], out: BinaryIO, fmt: Format) -> None:
    """Write quads: a dataset format keeps their graphs, a graph format merges them."""
    prefixes = PREFIXES if fmt.name in {"turtle", "trig", "n3", "rdfxml"} else None
    with writer_refusals(fmt):
        if Kind.DATASET in fmt.kinds and fmt.name != "jsonld":
            serialize(quads, out, fmt.rdf_format, prefixes=prefixes)
        else:
            triples = expressible((q.triple for q in quads), fmt)
            serialize(triples, out, fmt.rdf_format, prefixes=prefixes)


def checked_source(source: RdfInput, fmt: Format, name: str) -> bytes | Path:
    """Refuse a document whose parsing could exhaust the process (``parsesafety``)."""
    if isinstance(source, Path):
        check_file_before_parsing(source, fmt.rdf_format)
        return source
    data = source if isinstance(source, bytes) else source.read()
    check_before_parsing(data, fmt.rdf_format, name)
    return data


def syntax_error(source: str, exc: SyntaxError) -> RdfSyntaxError:
    """pyoxigraph's parse error as ours, with the first line of its message."""
    message = str(exc.msg if exc.msg else exc).splitlines()[0]
    return RdfSyntaxError(source, message, exc.lineno, exc.offset)
