"""Reading a SPARQL server's answer to a query, in whichever form the server chose.

Servers differ in what they send for the same query, so the request and the reading
are both shaped by the query's form (``sparql.form``):

- CONSTRUCT and DESCRIBE ask for graph formats only. Virtuoso 7 answers a graph query
  as an ``s, p, o`` results table whenever the ``Accept`` list also names a results
  format, even at a lower quality.
- ASK answers are recognised in every form servers send: the ``boolean`` of SPARQL
  JSON or XML results (SPARQL 1.1 Query Results JSON §3.2.2, XML §2.3.2), and
  Virtuoso's one-column table ``__ASK_RETVAL`` (one row holding 1 for true, no row or
  0 for false), in JSON or XML alike.
"""

from dataclasses import replace
from typing import IO, Any, Final, cast

import requests
from pyoxigraph import Literal, NamedNode, QuerySolutions, Triple, parse, parse_query_results

from civicgraph.errors import StoreError, UserInputError
from civicgraph.formats import Kind, from_content_type
from civicgraph.sparql.forms import query_form
from civicgraph.store.results import AskResult, GraphResult, QueryResult, SelectResult

#: SELECT and ASK: SPARQL JSON results, XML as a fallback (RFC 9110 §12.5.1).
RESULTS_ACCEPT: Final = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
#: CONSTRUCT and DESCRIBE: graph formats only, N-Triples first.
GRAPH_ACCEPT: Final = "application/n-triples, text/turtle;q=0.9"
#: Any form, for a query whose form cannot be told from its text.
ANY_ACCEPT: Final = f"{RESULTS_ACCEPT}, application/n-triples;q=0.9, text/turtle;q=0.8"
#: The variable Virtuoso answers an ASK with.
VIRTUOSO_ASK: Final = "__ASK_RETVAL"
_TRUE: Final = frozenset({"1", "true"})


def accept_for(sparql: str) -> str:
    """The ``Accept`` header for a query: graph formats only for a graph query."""
    form = query_form(sparql)
    if form in {"CONSTRUCT", "DESCRIBE"}:
        return GRAPH_ACCEPT
    return ANY_ACCEPT if form is None else RESULTS_ACCEPT


def body(response: requests.Response) -> IO[bytes]:
    """The response body as a stream pyoxigraph can parse while it downloads."""
    response.raw.decode_content = True
    return cast(IO[bytes], response.raw)


def parse_answer(response: requests.Response, sparql: str) -> Any:
    """Parse a query answer by its Content-Type: results, a boolean, or a graph."""
    content_type = response.headers.get("Content-Type")
    try:
        fmt = from_content_type(content_type, Kind.RESULTS)
    except UserInputError:
        graph_format = from_content_type(content_type, Kind.GRAPH)
        return (q.triple for q in parse(body(response), graph_format.rdf_format))
    if fmt.name == "csv":
        raise StoreError("The SPARQL server answered in CSV, which loses term types")
    stream = cast(IO[bytes], VirtuosoBlankNodes(body(response)))
    parsed = parse_query_results(stream, fmt.results_format)
    if isinstance(parsed, QuerySolutions) and query_form(sparql) == "ASK":
        return _ask_table(parsed)
    return parsed


class VirtuosoBlankNodes:
    """A results stream with Virtuoso's blank node names (``nodeID://b10007``) made legal.

    pyoxigraph refuses ``:`` and ``/`` in a blank node identifier; the prefix is only
    ever written by Virtuoso and carries no meaning, so it is shortened as it streams.
    """

    OLD: Final = b"nodeID://"
    NEW: Final = b"nodeID"

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream, self._carry = stream, b""

    def read(self, size: int = -1) -> bytes:
        """Read like the stream, keeping a tail back that could start the prefix."""
        chunk = self._carry + self._stream.read(size)
        if not chunk:
            return b""
        keep = len(self.OLD) - 1 if len(chunk) > len(self.OLD) and size != -1 else 0
        text = chunk.replace(self.OLD, self.NEW)
        tail = text[len(text) - keep :] if keep else b""
        if keep and self.OLD[:1] in tail:
            self._carry, text = tail, text[: len(text) - keep]
        else:
            self._carry = b""
        return text or self.read(size)


def _ask_table(solutions: QuerySolutions) -> AskResult:
    """An ASK answered as a table: Virtuoso's ``__ASK_RETVAL``, true if a row says so."""
    names = [v.value for v in solutions.variables]
    if names != [VIRTUOSO_ASK]:
        raise StoreError(f"The SPARQL server answered an ASK with a table of {names}")
    return AskResult(any(_true(solution[0]) for solution in solutions))


def _true(value: object) -> bool:
    return isinstance(value, Literal) and value.value.strip().lower() in _TRUE


_BOOLEAN: Final = NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
_CANONICAL_BOOLEAN: Final = {"1": "true", "0": "false"}


def _canonical(term: Any) -> Any:
    """A boolean in its canonical spelling (XSD §3.3.2.2): Virtuoso answers 1 and 0."""
    if isinstance(term, Literal) and term.datatype == _BOOLEAN and term.value in _CANONICAL_BOOLEAN:
        return Literal(_CANONICAL_BOOLEAN[term.value], datatype=_BOOLEAN)
    return term


def canonical_terms(result: QueryResult) -> QueryResult:
    """The result with every literal in its canonical form, as the embedded store gives it."""
    if isinstance(result, SelectResult):
        rows = tuple(tuple(_canonical(t) for t in row) for row in result.rows)
        return replace(result, rows=rows)
    if isinstance(result, GraphResult):
        triples = tuple(
            Triple(t.subject, t.predicate, _canonical(t.object)) for t in result.triples
        )
        return replace(result, triples=triples)
    return result
