"""``RemoteStore``: any SPARQL 1.1 Protocol and Graph Store Protocol server.

Queries go to the query URL as form-encoded POSTs (SPARQL 1.1 Protocol §2.1.2; a POST
of ``application/sparql-query`` hangs on Virtuoso 7) with an ``Accept`` header fitted
to the query's form, and their answers are read by ``store.answers`` into the same
types the embedded store returns. Bindings become a ``VALUES`` block (see
``sparql.binding``). Updates are POSTed as ``application/sparql-update`` (§2.2.2).

Loads are checked and counted here first, so a syntax error names its line and
column and never reaches the server; the data is then sent as N-Triples with a Graph
Store Protocol POST (§5.5) into a private staging graph, and one SPARQL Update moves
or adds it into place and drops the staging graph. One update request is one
transaction on Oxigraph, Fuseki (TDB2), GraphDB, Neptune and Virtuoso (checked on
Virtuoso by killing it during the upload and during the move), so the target graph
changes all at once or not at all. The live graph is never the target of a Graph
Store write: a GSP PUT on Oxigraph clears then loads as two steps, and a GSP POST on
Virtuoso commits in batches that readers see one by one. A crashed load leaves its
staging graph behind; each staging graph's name carries its start time, and a later
load removes those older than any load could still be running.

Data lives in named graphs. On these servers a query without a dataset sees the
union of all graphs (Oxigraph ``--union-default-graph``, Fuseki
``tdb2:unionDefaultGraph true``, Virtuoso always), so the unnamed default graph is not
addressed: dataset-wide reads list the named graphs with one SPARQL query and fetch
each by name, and never rely on GSP ``?default`` or HEAD (Virtuoso answers 500 and
501). The server's own graphs (``Settings.store_system_graphs``) are left out.
"""

import json
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, BinaryIO, Final, cast
from urllib.parse import urlsplit, urlunsplit

import requests
from pyoxigraph import NamedNode, Quad, RdfFormat, parse, serialize
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from civicgraph.config import Settings
from civicgraph.errors import (
    CivicgraphError,
    QuerySyntaxError,
    QueryTimeoutError,
    RdfSyntaxError,
    StoreError,
    UserInputError,
)
from civicgraph.formats import Format, by_name
from civicgraph.sparql.binding import bind
from civicgraph.store.answers import accept_for, body, canonical_terms, parse_answer
from civicgraph.store.base import GraphInfo, ProgressCallback, RdfInput, Upload
from civicgraph.store.results import (
    AskResult,
    QueryResult,
    SelectResult,
    SerializedResult,
    Term,
    serialize_negotiated,
    term_value,
)
from civicgraph.store.streams import (
    STAGING_PREFIX,
    ProgressReader,
    checked_source,
    materialize,
    syntax_error,
    write_quads,
)

NTRIPLES: Final = by_name("ntriples")
EXCERPT: Final = 300
#: Loads wait this many query time limits for the server to commit.
LOAD_TIMEOUT_FACTOR: Final = 30
#: A staging graph older than this many load time limits belongs to a crashed load.
STALE_FACTOR: Final = 2
#: Loads up to this size are staged in memory before upload, larger ones on disk.
SPOOL_BYTES: Final = 32 * 1024 * 1024
_COUNT_PER_GRAPH: Final = (
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
)
#: Virtuoso cuts answers at its ``ResultSetMaxRows`` silently but for this header.
SERVER_ROW_CAP: Final = "X-SPARQL-MaxRows"
#: Virtuoso's own time limit (``MaxQueryExecutionTime``): the error codes of a 500, and
#: the state it sends with a partial "anytime" answer.
SERVER_TIMEOUT_CODES: Final = ("SR171", "S1T00")
SERVER_PARTIAL: Final = ("X-SQL-State", "S1TAT")
_NO_DEFAULT: Final = (
    "A remote store keeps data in named graphs: its query default graph is the union "
    "of them all, so the unnamed default graph cannot be loaded, dropped or exported; "
    "name the graph"
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


def _auth(settings: Settings) -> AuthBase | None:
    """HTTP basic (Fuseki with shiro, GraphDB) or digest (Virtuoso's ``-auth`` URLs).

    Virtuoso answers a basic attempt with a bare 401 that names no scheme, so the
    scheme cannot be found out from the server and is a setting.
    """
    if not settings.store_user:
        return None
    password = settings.store_password or ""
    if settings.store_auth == "digest":
        return HTTPDigestAuth(settings.store_user, password)
    return HTTPBasicAuth(settings.store_user, password)


def staging_graph(now: float | None = None) -> str:
    """A fresh staging graph name that records when its load started (Unix seconds)."""
    started = int(time.time() if now is None else now)
    return f"{STAGING_PREFIX}{started}-{uuid.uuid4()}"


def _staging_started(graph: str) -> int | None:
    """When the load that owns a staging graph started, if its name says so."""
    stamp = graph.removeprefix(STAGING_PREFIX).partition("-")[0]
    return int(stamp) if stamp.isdigit() else None


class RemoteStore:
    """A SPARQL server reached over HTTP through one reused session."""

    def __init__(self, settings: Settings) -> None:
        self.endpoints = RemoteEndpoints.from_settings(settings)
        self.timeout = settings.query_timeout
        self.system_graphs = frozenset(settings.store_system_graphs)
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=32)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        if settings.store_token:
            self._session.headers["Authorization"] = f"Bearer {settings.store_token}"
        else:
            self._session.auth = _auth(settings)

    @property
    def load_timeout(self) -> float:
        """How long a load's upload may take before it is given up."""
        return self.timeout * LOAD_TIMEOUT_FACTOR

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
        """Run a query on the server; rows past ``max_rows`` are never downloaded."""
        text = _with_base(bind(sparql, bindings), base_iri)
        form: list[tuple[str, str]] = [("query", text)]
        form += [("default-graph-uri", _named(g).value) for g in default_graphs or ()]
        form += [("named-graph-uri", g) for g in named_graphs or ()]
        headers = {"Accept": accept_for(text)}
        with self._request(
            "POST", self.endpoints.query, data=form, headers=headers, sparql=True
        ) as response:
            result = canonical_terms(materialize(parse_answer(response, text), max_rows, max_bytes))
            return _server_capped(result, response.headers.get(SERVER_ROW_CAP, ""))

    def query_serialized(self, sparql: str, accept: str | None, **options: Any) -> SerializedResult:
        """``query``, written here in the format ``accept`` prefers.

        The server's own answer is not passed on: it is read, cut at the caps and
        made canonical first, so every backend answers alike.
        """
        return serialize_negotiated(self.query(sparql, **options), accept)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL Update; the server applies one request in one transaction."""
        self._post_update(_with_base(sparql, base_iri), self.timeout)

    def _post_update(self, text: str, read_timeout: float) -> None:
        headers = {"Content-Type": "application/sparql-update; charset=utf-8"}
        with self._request(
            "POST",
            self.endpoints.update,
            data=text.encode(),
            headers=headers,
            sparql=True,
            read_timeout=read_timeout,
        ):
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
        target = _named(graph)
        with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as ntriples:
            count = _to_ntriples(source, fmt, base_iri, on_progress, cast(BinaryIO, ntriples))
            ntriples.seek(0)
            self.remove_stale_staging()
            if count == 0:
                self._load_nothing(target, replace)
                return 0
            return self._stage_and_move(cast(BinaryIO, ntriples), target, replace)

    def load_parts(self, upload: Upload) -> int:
        """Load each document into one staging graph, then move it into place in one
        update (each document's own blank nodes: they cross as separate uploads)."""
        target = _named(upload.graph)
        staging = NamedNode(staging_graph())
        try:
            for n, (body, fmt) in enumerate(upload.parts):
                self.load(body, fmt, staging.value, replace=n == 0, base_iri=upload.base_iri)
            count = self._count(staging)
            if count == 0:
                self._load_nothing(target, upload.replace)
                return 0
            verb = "MOVE" if upload.replace else "ADD"
            move = f"{verb} GRAPH {staging} TO GRAPH {target} ;\nDROP SILENT GRAPH {staging}"
            self._post_update(move, self.load_timeout)
        except CivicgraphError as first:
            self._drop_quietly(staging, first)
            raise
        return count

    def _load_nothing(self, target: NamedNode, replace: bool) -> None:
        """An empty load: a replace empties the graph, an add changes nothing."""
        if replace:
            self.update(f"DROP SILENT GRAPH {target}")

    def _stage_and_move(self, ntriples: BinaryIO, target: NamedNode, replace: bool) -> int:
        """Upload into a staging graph, then one update moves it into place; returns the
        triples the staging graph held (a triple written twice in the file counts once,
        as the server keeps it, and as the embedded store counts it).

        ``MOVE`` is not SILENT: if the staging graph vanished, the update fails
        instead of emptying the target. The staging graph is dropped on failure, and
        a failure of that cleanup never hides the first one.
        """
        staging = NamedNode(staging_graph())
        try:
            self._post_graph(staging.value, ntriples)
            count = self._count(staging)
            verb = "MOVE" if replace else "ADD"
            move = f"{verb} GRAPH {staging} TO GRAPH {target} ;\nDROP SILENT GRAPH {staging}"
            self._post_update(move, self.load_timeout)  # copies every triple: a load's time
        except CivicgraphError as first:
            self._drop_quietly(staging, first)
            raise
        return count

    def _count(self, graph: NamedNode) -> int:
        """The triples the server holds in ``graph``."""
        result = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        assert isinstance(result, SelectResult)
        return sum(int(term_value(row["n"])) for row in result.dicts())

    def _drop_quietly(self, graph: NamedNode, first: CivicgraphError) -> None:
        try:
            self.update(f"DROP SILENT GRAPH {graph}")
        except CivicgraphError as cleanup:
            first.add_note(f"Removing the staging graph {graph} failed too: {cleanup}")

    def remove_stale_staging(self, older_than: float | None = None) -> list[str]:
        """Drop staging graphs of loads that started more than ``older_than`` s ago.

        Other civicgraph processes may be loading into the same server right now, so
        only graphs older than twice the load time limit are taken to be left by a
        crashed load (the name records when its load started).
        """
        limit = STALE_FACTOR * self.load_timeout if older_than is None else older_than
        now = time.time()
        stale = [
            g
            for g, _ in self._graph_counts()
            if g.startswith(STAGING_PREFIX) and now - (_staging_started(g) or 0) > limit
        ]
        if stale:
            self.update(" ;\n".join(f"DROP SILENT GRAPH {NamedNode(g)}" for g in stale))
        return stale

    def _post_graph(self, graph: str, data: BinaryIO) -> None:
        headers = {"Content-Type": NTRIPLES.media_type}
        url = self._gsp_url()
        self._authenticate(url, graph)
        with self._request(
            "POST",
            url,
            params={"graph": graph},
            data=data,
            headers=headers,
            read_timeout=self.load_timeout,
        ):
            return

    def _authenticate(self, url: str, graph: str) -> None:
        """Answer a digest challenge with a small request, so a large body is sent once.

        With digest auth the first request of a session is refused with the
        challenge, and its body would be sent twice.
        """
        if isinstance(self._session.auth, HTTPDigestAuth):
            params = {"graph": graph}
            with self._request("GET", url, params=params, allow=(404,)):
                return

    def drop_graph(self, graph: str | None) -> bool:
        """Remove a named graph; ``DROP SILENT``, as a missing graph is no error here."""
        target = _named(graph)
        existed = self.has_graph(target.value)
        self.update(f"DROP SILENT GRAPH {target}")
        return existed

    def has_graph(self, graph: str) -> bool:
        """Whether a named graph holds a triple, asked with SPARQL (GSP HEAD is optional)."""
        result = self.query(f"ASK {{ GRAPH {NamedNode(graph)} {{ ?s ?p ?o }} }}")
        return isinstance(result, AskResult) and result.value

    def dump(self, out: BinaryIO, fmt: Format, graphs: Sequence[str | None] | None = None) -> None:
        """Stream named graphs from GSP GETs (§5.2) into ``out``; all data graphs by default."""
        counts = dict(self._graph_counts())
        names = self.graph_names() if graphs is None else graphs
        wanted = [(_named(g), counts.get(str(g), 0)) for g in names]
        write_quads(self._quads(wanted), out, fmt)

    def _quads(self, graphs: Sequence[tuple[NamedNode, int]]) -> Iterator[Quad]:
        """Each graph's triples; one cut short by the server is an error, never a file.

        Virtuoso cuts a Graph Store GET at its ``ResultSetMaxRows`` without a word, so
        each graph's triples are counted against the count SPARQL gave.
        """
        for name, expected in graphs:
            headers = {"Accept": NTRIPLES.media_type}
            params = {"graph": name.value}
            got = 0
            with self._request("GET", self._gsp_url(), params=params, headers=headers) as response:
                for q in parse(body(response), RdfFormat.N_TRIPLES):
                    got += 1
                    yield Quad(q.subject, q.predicate, q.object, name)
            if got < expected:
                raise StoreError(
                    f"The SPARQL server sent {got:,} of the {expected:,} triples of {name}: "
                    "it cut the answer (Virtuoso: raise [SPARQL] ResultSetMaxRows)"
                )

    def graphs(self) -> list[GraphInfo]:
        """Non-empty named graphs with triple counts, counted by one SPARQL query.

        Staging graphs and the server's own graphs are left out.
        """
        return [
            GraphInfo(g, n)
            for g, n in self._graph_counts()
            if not g.startswith(STAGING_PREFIX) and g not in self.system_graphs
        ]

    def graph_names(self) -> list[str | None]:
        """The names of ``graphs`` (the server counts them in the same query)."""
        return [g.iri for g in self.graphs()]

    def _graph_counts(self) -> list[tuple[str, int]]:
        result = self.query(_COUNT_PER_GRAPH)
        assert isinstance(result, SelectResult)
        return [(term_value(row["g"]), int(term_value(row["n"]))) for row in result.dicts()]

    def close(self) -> None:
        """Close the session's connections."""
        self._session.close()

    def _gsp_url(self) -> str:
        if not self.endpoints.gsp:
            raise StoreError(
                f"No Graph Store Protocol URL is known for {self.endpoints.query}; set "
                "CIVICGRAPH_STORE_GSP_URL (Fuseki: …/ds/data, Virtuoso: "
                "…/sparql-graph-crud-auth, Oxigraph: …/store)"
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
                raise _http_error(method, url, response, sparql, self.timeout)
            if response.headers.get(SERVER_PARTIAL[0]) == SERVER_PARTIAL[1]:
                raise QueryTimeoutError(self.timeout)
            yield response
        except requests.Timeout as exc:
            raise QueryTimeoutError(timeout[1]) from exc
        except requests.RequestException as exc:
            raise StoreError(f"The SPARQL server at {url} broke off: {exc}") from exc
        finally:
            response.close()


def _http_error(
    method: str, url: str, response: requests.Response, sparql: bool, limit: float
) -> CivicgraphError:
    """A 400 to SPARQL text is a syntax error (§2.1.5), the server's own time limit a
    time-limit error; anything else, a store failure."""
    excerpt = response.text[:EXCERPT].strip()
    status = response.status_code
    said, fields = _server_words(excerpt)
    if sparql and status == 400:
        return _syntax_error(said, fields)
    if sparql and status == 500 and any(code in excerpt for code in SERVER_TIMEOUT_CODES):
        return QueryTimeoutError(limit)
    if status == 401:
        said = said or _auth_hint(response)
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


def _server_capped(result: QueryResult, cap: str) -> QueryResult:
    """Mark an answer the server cut at its own row cap as truncated, never silently."""
    if not cap.isdigit() or isinstance(result, AskResult) or result.truncated:
        return result
    rows = result.rows if isinstance(result, SelectResult) else result.triples
    return replace(result, truncated=True) if len(rows) >= int(cap) else result


def _auth_hint(response: requests.Response) -> str:
    """What to change after a 401, from the scheme the server asked for."""
    scheme = response.headers.get("WWW-Authenticate", "").partition(" ")[0].lower()
    if scheme in {"basic", "digest"}:
        return f"the server wants {scheme} auth: set CIVICGRAPH_STORE_AUTH={scheme} and the user"
    return (
        "credentials refused: check CIVICGRAPH_STORE_USER and CIVICGRAPH_STORE_PASSWORD, "
        "and CIVICGRAPH_STORE_AUTH (Virtuoso wants digest)"
    )


def _named(graph: str | None) -> NamedNode:
    if graph is None:
        raise UserInputError(_NO_DEFAULT)
    return NamedNode(graph)


def _with_base(sparql: str, base_iri: str | None) -> str:
    """Prepend a BASE declaration on the first line, keeping the query's line numbers."""
    return sparql if base_iri is None else f"BASE {NamedNode(base_iri)} {sparql}"


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
