"""``/sparql``: the SPARQL 1.1 Protocol query operation, and the service description.

GET ``?query=``, POST a form, or POST ``application/sparql-query`` (Protocol §2.1);
``default-graph-uri``/``named-graph-uri`` fix the dataset (§2.1.4). Without a query,
GET answers the Service Description. A browser that asks for HTML with a query is
sent to the workbench page with that query.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from civicgraph.errors import UserInputError
from civicgraph.formats import FORMATS, Kind, by_name, negotiate, wants_html
from civicgraph.store.results import serialize_triples
from civicgraph.webapp.bodies import Params, posted_operation, url_params
from civicgraph.webapp.cors import allow_reads, is_read
from civicgraph.webapp.query_pages import DATASET_PARAMETERS, LONGEST_LINK, editor
from civicgraph.webapp.service import ServiceEndpoints, description
from civicgraph.webapp.state import current_state
from civicgraph.webapp.twins import RDF_TYPES, asks_json
from civicgraph.webapp.urls import external_url
from civicgraph.webapp.versions_pages import answer_pinned, pinned_version

bp = Blueprint("sparql", __name__)

QUERY_TYPE = "application/sparql-query"
#: The page of the query workbench, where browsers asking for HTML are sent.
WORKBENCH_PATH = "/query"
JSON_LD = by_name("jsonld")


@dataclass(frozen=True)
class QueryRequest:
    """A query operation as the protocol delivered it."""

    text: str | None
    params: Params
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None


def _with_dataset(text: str | None, params: Params) -> QueryRequest:
    """Protocol §2.1.4: naming either part of the dataset fixes all of it."""
    default = params.iris("default-graph-uri")
    named = params.iris("named-graph-uri")
    if not default and not named:
        return QueryRequest(text, params)
    return QueryRequest(text, params, default, named)


def _no_update(params: Params) -> None:
    if "update" in params:
        raise UserInputError("Updates are not run here; POST them to /update")


#: The methods that carry the query in the URL (Flask answers HEAD where GET is allowed).
_BY_URL = frozenset({"GET", "HEAD"})


def read_query_request() -> QueryRequest:
    """Read the query and the dataset from a GET (or HEAD) or one of the two POST forms."""
    if request.method in _BY_URL:
        params = url_params()
        _no_update(params)
        return _with_dataset(params.one("query"), params)
    limit = current_state().settings.query_body_limit
    text, params = posted_operation("query", QUERY_TYPE, limit)
    _no_update(params)
    return _with_dataset(text, params)


def prefers_html() -> bool:
    """Whether the client names ``text/html`` at least as high as any machine format."""
    return wants_html(request.headers.get("Accept"), FORMATS, page=False)


def _to_workbench(found: QueryRequest) -> ResponseReturnValue:
    """See Other: the workbench shows the query, its dataset and its results.

    A query too long for an address the server itself would read (a browser's POST of
    a long query) gets the workbench at once instead, holding it: redirected, it was
    refused 414 at the next request.
    """
    keep = [(k, v) for k, v in found.params.pairs if k in DATASET_PARAMETERS]
    query = urlencode([("query", found.text or ""), *keep])
    target = f"{request.script_root}{WORKBENCH_PATH}?{query}"
    if len(target) > LONGEST_LINK:
        return editor(found.text or "", keep)
    return redirect(target, code=303)


def _service_description() -> ResponseReturnValue:
    state = current_state()
    graphs = state.store.graphs()
    wants_json = asks_json(RDF_TYPES)  # ``format=json`` or JSON first: JSON-LD is JSON
    if prefers_html() and not wants_json:
        page = render_template(
            "sparql/service.html", settings=state.settings, graphs=graphs, formats=FORMATS
        )
        return Response(page, mimetype="text/html", headers={"Vary": "Accept"})
    endpoints = ServiceEndpoints(
        external_url(url_for("sparql.query")), external_url(url_for("update.update"))
    )
    fmt = JSON_LD if wants_json else negotiate(request.headers.get("Accept"), Kind.GRAPH)
    body = serialize_triples(description(endpoints, state.settings, graphs), fmt)
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _accept(named_format: str | None) -> str | None:
    """The Accept header, or the media type a ``format`` parameter names instead.

    A link such as ``/sparql?query=…&format=csv`` then downloads in that format from a
    browser or ``pandas.read_csv``, which send no useful Accept header.
    """
    if named_format is None:
        return request.headers.get("Accept")
    return by_name(named_format).media_type


@bp.route("/sparql", methods=["GET", "POST"])
def query() -> ResponseReturnValue:
    """Run a query and answer in the negotiated format, or describe the service."""
    found = read_query_request()
    if found.text is None:
        return _service_description()
    named_format = found.params.one("format")
    if named_format is None and prefers_html():
        return _to_workbench(found)
    state = current_state()
    pinned = pinned_version(found.params.one("version"))
    if pinned is not None:
        dataset = (found.default_graphs, found.named_graphs)
        answer = answer_pinned(found.text, pinned, _accept(named_format), dataset)
    else:
        answer = state.store.query_serialized(
            found.text,
            _accept(named_format),
            default_graphs=found.default_graphs,
            named_graphs=found.named_graphs,
            max_rows=state.settings.row_cap,
            base_iri=request.base_url,
        )
    response = Response(answer.body, content_type=answer.content_type)
    response.vary.add("Accept")
    if answer.truncated:
        response.headers["X-Civicgraph-Truncated"] = str(answer.kept)
    return response


#: Every method of ``/sparql`` is a read: a POSTed query changes nothing.
_READS = frozenset({"GET", "HEAD", "POST"})


@bp.after_request
def _cors(response: Response) -> Response:
    return allow_reads(response, "GET, POST") if is_read(_READS) else response
