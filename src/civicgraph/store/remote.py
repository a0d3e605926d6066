"""``RemoteStore``: any SPARQL 1.1 Protocol and Graph Store Protocol server.

Queries go to the query URL as form-encoded POSTs (SPARQL 1.1 Protocol §2.1.2) with
an explicit ``Accept`` header, and their results are parsed by pyoxigraph into the
same types the embedded store returns. Bindings become a ``VALUES`` block (see
``store.binding``). Updates are POSTed as ``application/sparql-update`` (§2.2.2).

Loads are checked and counted here first, so a syntax error names its line and
column and never reaches the server; the data is then sent as N-Triples with a Graph
Store Protocol POST (§5.5) into a private staging graph, and one SPARQL Update moves
or adds it into place and drops the staging graph. One update request is one
transaction on Oxigraph, Fuseki (TDB2), GraphDB and Neptune, so the target graph
changes all at once or not at all. A GSP PUT is not used for replacing: Oxigraph's
server clears the graph and loads the new data as two separate steps.

Queries see the union of all graphs by default only when the server is configured
so (Oxigraph ``--union-default-graph``, Fuseki ``tdb2:unionDefaultGraph true``).
"""

import json
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Final, cast
from urllib.parse import urlsplit, urlunsplit

import requests
from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)

from civicgraph.config import Settings
from civicgraph.errors import (
    CivicgraphError,
    QuerySyntaxError,
    QueryTimeoutError,
    RdfSyntaxError,
    StoreError,
    UserInputError,
)
from civicgraph.formats import Format, Kind, by_name, from_content_type
from civicgraph.sparql.binding import bind
from civicgraph.store.base import GraphInfo, ProgressCallback, RdfInput
from civicgraph.store.results import QueryResult, SelectResult, Term, term_value
from civicgraph.store.streams import (
    STAGING_PREFIX,
    ProgressReader,
    checked_source,
    is_staging,
    materialize,
    syntax_error,
    write_quads,
)

#: Results in SPARQL JSON; graphs in N-Triples, Turtle as a fallback (RFC 9110 §12.5.1).
QUERY_ACCEPT: Final = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "application/n-triples;q=0.9, text/turtle;q=0.8"
)
NTRIPLES: Final = by_name("ntriples")
NQUADS: Final = by_name("nquads")
EXCERPT: Final = 300
#: Loads wait this many query time limits for the server to commit.
LOAD_TIMEOUT_FACTOR: Final = 30
#: Loads up to this size are staged in memory before upload, larger ones on disk.
SPOOL_BYTES: Final = 32 * 1024 * 1024
_COUNT_PER_GRAPH: Final = (
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
)


@dataclass(frozen=True)
class RemoteEndpoints:
    """Where a server answers queries, updates and Graph Store Protocol requests."""

    query: str
    update: str
    gsp: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "RemoteEndpoints":
        """Use the configured URLs, deriving Oxigraph's ``/query /update /store`` layout."""
        query = settings.store
        parts = urlsplit(query)
        base = parts.path.removesuffix("/query") if parts.path.endswith("/query") else None

        def sibling(name: str) -> str:
            return urlunsplit(parts._replace(path=f"{base}/{name}", query=""))

        update = settings.store_update_url or (sibling("update") if base is not None else query)
        gsp = settings.store_gsp_url or (sibling("store") if base is not None else "")
        return cls(query, update, gsp)


class RemoteStore:
    """A SPARQL server reached over HTTP through one reused session."""

    def __init__(self, settings: Settings) -> None:
        self.endpoints = RemoteEndpoints.from_settings(settings)
        self.timeout = settings.query_timeout
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=32)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        if settings.store_token:
            self._session.headers["Authorization"] = f"Bearer {settings.store_token}"
        elif settings.store_user:
            self._session.auth = (settings.store_user, settings.store_password or "")

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
        """Run a query on the server; rows past ``max_rows`` are never downloaded."""
        form: list[tuple[str, str]] = [("query", _with_base(bind(sparql, bindings), base_iri))]
        form += [("default-graph-uri", _dataset_iri(g)) for g in default_graphs or ()]
        form += [("named-graph-uri", g) for g in named_graphs or ()]
        headers = {"Accept": QUERY_ACCEPT}
        with self._request(
            "POST", self.endpoints.query, data=form, headers=headers, sparql=True
        ) as response:
            return materialize(_parse_answer(response), max_rows)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL Update; the server applies one request in one transaction."""
        body = _with_base(sparql, base_iri).encode()
        headers = {"Content-Type": "application/sparql-update; charset=utf-8"}
        with self._request("POST", self.endpoints.update, data=body, headers=headers, sparql=True):
            return

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
        """Check and count here, upload into a staging graph, then move it into place."""
        staging = f"{STAGING_PREFIX}{uuid.uuid4()}"
        with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as ntriples:
            count = _to_ntriples(source, fmt, base_iri, on_progress, cast(BinaryIO, ntriples))
            ntriples.seek(0)
            try:
                self._post_graph(staging, cast(BinaryIO, ntriples))
                verb = "MOVE" if replace else "ADD"
                target = "DEFAULT" if graph is None else str(NamedNode(graph))
                move = f"{verb} SILENT <{staging}> TO {target}"
                self.update(f"{move} ;\nDROP SILENT GRAPH <{staging}>")
            except CivicgraphError:
                self.update(f"DROP SILENT GRAPH <{staging}>")
                raise
        return count

    def _post_graph(self, graph: str, body: BinaryIO) -> None:
        headers = {"Content-Type": NTRIPLES.media_type}
        params = {"graph": graph}
        timeout = self.timeout * LOAD_TIMEOUT_FACTOR
        url = self._gsp_url()
        with self._request(
            "POST", url, params=params, data=body, headers=headers, read_timeout=timeout
        ):
            return

    def drop_graph(self, graph: str | None) -> bool:
        """Remove a named graph, or empty the default graph."""
        existed = self._default_triples() > 0 if graph is None else self.has_graph(graph)
        target = "DEFAULT" if graph is None else f"GRAPH {NamedNode(graph)}"
        self.update(f"DROP SILENT {target}")
        return existed

    def has_graph(self, graph: str) -> bool:
        """Whether a named graph exists, asked with a GSP HEAD (§5.4)."""
        with self._request(
            "HEAD", self._gsp_url(), params={"graph": graph}, allow=(404,)
        ) as response:
            return response.status_code != 404

    def dump(self, out: BinaryIO, fmt: Format, graphs: Sequence[str | None] | None = None) -> None:
        """Stream graphs from GSP GETs (§5.2) into ``out``; staging graphs are left out."""
        write_quads(self._quads(graphs), out, fmt)

    def _quads(self, graphs: Sequence[str | None] | None) -> Iterator[Quad]:
        if graphs is None:
            with self._get_rdf({}, NQUADS) as quads:
                yield from (q for q in quads if not is_staging(q.graph_name))
            return
        for graph in graphs:
            params = {"default": ""} if graph is None else {"graph": graph}
            name = DefaultGraph() if graph is None else NamedNode(graph)
            with self._get_rdf(params, NTRIPLES) as quads:
                yield from (Quad(q.subject, q.predicate, q.object, name) for q in quads)

    @contextmanager
    def _get_rdf(self, params: dict[str, str], fmt: Format) -> Iterator[Iterator[Quad]]:
        headers = {"Accept": fmt.media_type}
        with self._request("GET", self._gsp_url(), params=params, headers=headers) as response:
            yield parse(_body(response), fmt.rdf_format)

    def graphs(self) -> list[GraphInfo]:
        """Non-empty graphs with triple counts, default graph first.

        Named graphs are counted by one SPARQL query. The unnamed default graph cannot
        be named in SPARQL when the server answers with the union, so its triples are
        counted from a GSP GET of ``?default``; in civicgraph it is normally empty.
        """
        result = self.query(_COUNT_PER_GRAPH)
        assert isinstance(result, SelectResult)
        named = [
            GraphInfo(term_value(row["g"]), int(term_value(row["n"])))
            for row in result.dicts()
            if not term_value(row["g"]).startswith(STAGING_PREFIX)
        ]
        default = self._default_triples()
        return ([GraphInfo(None, default)] if default else []) + named

    def _default_triples(self) -> int:
        with self._get_rdf({"default": ""}, NTRIPLES) as quads:
            return sum(1 for _ in quads)

    def close(self) -> None:
        """Close the session's connections."""
        self._session.close()

    def _gsp_url(self) -> str:
        if not self.endpoints.gsp:
            raise StoreError(
                f"No Graph Store Protocol URL is known for {self.endpoints.query}; set "
                "CIVICGRAPH_STORE_GSP_URL (Fuseki: …/ds/data, Oxigraph: …/store)"
            )
        return self.endpoints.gsp

    @contextmanager
    def _request(
        self,
        method: str,
        url: str,
        *,
        allow: tuple[int, ...] = (),
        sparql: bool = False,
        read_timeout: float | None = None,
        **kwargs: Any,
    ) -> Iterator[requests.Response]:
        """Send one request; any failure becomes one of the project's errors."""
        timeout = (min(self.timeout, 10.0), read_timeout or self.timeout)
        try:
            response = self._session.request(method, url, timeout=timeout, stream=True, **kwargs)
        except requests.Timeout as exc:
            raise QueryTimeoutError(timeout[1]) from exc
        except requests.RequestException as exc:
            raise StoreError(f"Cannot reach the SPARQL server at {url}: {exc}") from exc
        try:
            if response.status_code >= 400 and response.status_code not in allow:
                raise _http_error(method, url, response, sparql)
            yield response
        except requests.Timeout as exc:
            raise QueryTimeoutError(timeout[1]) from exc
        except requests.RequestException as exc:
            raise StoreError(f"The SPARQL server at {url} broke off: {exc}") from exc
        finally:
            response.close()


def _http_error(
    method: str, url: str, response: requests.Response, sparql: bool
) -> CivicgraphError:
    """A 400 to SPARQL text is a syntax error (§2.1.5); anything else, a store failure."""
    excerpt = response.text[:EXCERPT].strip()
    status = response.status_code
    said, fields = _server_words(excerpt)
    if sparql and status == 400:
        return _syntax_error(said, fields)
    detail = f"The SPARQL server answered {method} {url} with {status}: {said or '(no body)'}"
    return StoreError(detail, status, excerpt)


def _server_words(excerpt: str) -> tuple[str, dict[str, Any]]:
    """The message of an error body and its fields: the ``detail`` of a JSON error
    (civicgraph's shape), else the body as it came, so it is printed once, readably."""
    try:
        found = json.loads(excerpt)
    except ValueError:
        return excerpt, {}
    if isinstance(found, dict) and "detail" in found:
        return str(found["detail"]), found
    return excerpt, {}


def _syntax_error(said: str, fields: dict[str, Any]) -> QuerySyntaxError:
    """A remote parse error, without civicgraph's own preamble written a second time."""
    line, column = fields.get("line"), fields.get("column")
    if said.startswith(_PREAMBLE):
        said = said.split(": ", 1)[-1]
    if isinstance(line, int) and isinstance(column, int):
        return QuerySyntaxError(said, line, column)
    return QuerySyntaxError(said)


_PREAMBLE = "The SPARQL text does not parse"


def _body(response: requests.Response) -> IO[bytes]:
    """The response body as a stream pyoxigraph can parse while it downloads."""
    response.raw.decode_content = True
    return cast(IO[bytes], response.raw)


def _parse_answer(response: requests.Response) -> Any:
    """Parse a query answer by its Content-Type: results, or a graph."""
    content_type = response.headers.get("Content-Type")
    try:
        fmt = from_content_type(content_type, Kind.RESULTS)
    except UserInputError:
        graph_format = from_content_type(content_type, Kind.GRAPH)
        return (q.triple for q in parse(_body(response), graph_format.rdf_format))
    if fmt.name == "csv":
        raise StoreError("The SPARQL server answered in CSV, which loses term types")
    return parse_query_results(_body(response), fmt.results_format)


def _with_base(sparql: str, base_iri: str | None) -> str:
    """Prepend a BASE declaration on the first line, keeping the query's line numbers."""
    return sparql if base_iri is None else f"BASE {NamedNode(base_iri)} {sparql}"


def _dataset_iri(graph: str | None) -> str:
    if graph is None:
        raise UserInputError(
            "A remote store cannot name its unnamed default graph in a query's dataset; "
            "name the graphs to query instead"
        )
    return graph


def _to_ntriples(
    source: RdfInput,
    fmt: Format,
    base_iri: str | None,
    on_progress: ProgressCallback | None,
    out: BinaryIO,
) -> int:
    """Parse ``source`` (raising RdfSyntaxError with its position) into N-Triples."""
    name = str(source) if isinstance(source, Path) else "request body"
    source = checked_source(source, fmt, name)
    counted = 0

    def triples(stream: IO[bytes] | bytes) -> Iterator[Any]:
        nonlocal counted
        for quad in parse(stream, fmt.rdf_format, base_iri=base_iri, without_named_graphs=True):
            counted += 1
            yield quad.triple

    try:
        if isinstance(source, Path):
            with source.open("rb") as stream:
                reader = ProgressReader(stream, on_progress) if on_progress else stream
                serialize(triples(cast(IO[bytes], reader)), out, RdfFormat.N_TRIPLES)
        else:
            serialize(triples(cast(IO[bytes], source)), out, RdfFormat.N_TRIPLES)
    except SyntaxError as exc:
        raise syntax_error(name, exc) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise RdfSyntaxError(name, str(exc)) from exc
    return counted
