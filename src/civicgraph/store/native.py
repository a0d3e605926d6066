"""SELECT answers written by pyoxigraph itself, when they fit the row and byte caps.

Converting every solution into Python terms and writing SPARQL JSON in Python costs
more than evaluating a cheap query, and pyoxigraph's own writer does the same work in
Rust without the interpreter lock. It cannot be told to stop at a number of rows,
so it writes into ``_CappedSink``, which counts rows as the bytes pass (a JSON
solution list separates solutions with ``},{``, which a literal can contain only
where it adds to the count, so the count never falls short) and stops the writer
once either cap may be passed. An answer that did not fit is written again from a
fresh evaluation by the Python path, which cuts it exactly and announces the cut.
"""

from typing import IO, Final, cast

from pyoxigraph import QueryResultsFormat, QuerySolutions

from civicgraph.formats import Format
from civicgraph.store.results import SerializedResult

#: Between two solutions of a SPARQL JSON answer.
_SEPARATOR: Final = b"},{"


class _OverCapError(Exception):
    """The answer being written may hold more than a cap allows."""


class _CappedSink:
    """Where pyoxigraph writes an answer: keeps the bytes, stops past a cap."""

    def __init__(self, max_rows: int | None, max_bytes: int | None) -> None:
        self.max_rows, self.max_bytes = max_rows, max_bytes
        self.parts: list[bytes] = []
        self.size = self.separators = 0
        self._tail = b""

    def write(self, data: bytes) -> int:
        """Take the next piece; raise ``_OverCapError`` once a cap may be passed."""
        self.size += len(data)
        self.separators += (self._tail + data).count(_SEPARATOR)
        self._tail = data[-(len(_SEPARATOR) - 1) :]
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise _OverCapError
        if self.max_rows is not None and self.separators + 1 > self.max_rows:
            raise _OverCapError
        self.parts.append(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the bytes are kept in memory."""


def write_natively(
    solutions: QuerySolutions, fmt: Format, max_rows: int | None, max_bytes: int | None
) -> SerializedResult | None:
    """The answer in SPARQL JSON, or None when it may not fit the caps."""
    sink = _CappedSink(max_rows, max_bytes)
    try:
        solutions.serialize(cast(IO[bytes], sink), format=QueryResultsFormat.JSON)
    except _OverCapError:
        return None
    body = b"".join(sink.parts)
    return SerializedResult(body, fmt.content_type, False, sink.separators + 1)
