"""The network explorer: the ``/graph`` page, its export, and the JSON API it draws from.

Every view reads the projection cached per dataset version (``NetworkExplorer``), so
a request costs the size of what it shows, never a rebuild. The projection is built
in the background when the app starts and after every successful write; until it is
ready, requests answer 503 with ``Retry-After`` (``PreparingError``) and the page
shows the progress and retries by itself. The page's URL carries the whole view
(focus, depth, filters, colouring), so it is its own permalink.
"""

import csv
import io
from typing import Any, Final

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from civicgraph.errors import NotFoundError, PreparingError, UserInputError
from civicgraph.formats import preferred
from civicgraph.network import (
    COMMUNITY_METHODS,
    MEASURES,
    EvidenceFilter,
    NetworkExplorer,
    Overflow,
    Projection,
    View,
    ViewRequest,
    parse_measure,
    parse_method,
    path_json,
    view_json,
)
from civicgraph.network import html as network_html
from civicgraph.network import params as read
from civicgraph.network.background import WaitPolicy
from civicgraph.network.model import INFO
from civicgraph.network.projection import project
from civicgraph.network.service import Builder
from civicgraph.spreadsheet import neutralise
from civicgraph.store.guarded import GuardedStore
from civicgraph.store.results import GraphResult
from civicgraph.webapp.state import current_state
from civicgraph.webapp.urls import entity_path

bp = Blueprint("graph", __name__)
_KEY: Final = "civicgraph.network"
_OVERFLOWS: Final = ("class", "community", "top")
_TRUE: Final = {"1", "true", "on", "yes"}
_ENTITY_MATCHES: Final = 20
#: Seconds a client is told to wait before asking again for work still being prepared.
RETRY_AFTER: Final = 3
#: Endpoints that change the data: SPARQL Update and the Graph Store Protocol.
_WRITERS: Final = frozenset({"update", "store"})
_WRITES: Final = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def attach(app: Flask, builder: Builder = project) -> NetworkExplorer:
    """Give an application a network explorer and start building its projection.

    The build runs the app's own named queries, so it reads the guarded store's
    primary in this process: the visitors' query time limit and the query workers'
    memory budget are for visitors' queries, and a long build in a worker would leave
    that worker's memory grown for the next visitor. ``builder`` makes the network
    from the store; tests pass a deliberately slow one.
    """
    state = app.extensions["civicgraph"]
    store = state.store.primary if isinstance(state.store, GuardedStore) else state.store
    patience = WaitPolicy(state.settings.network_wait, RETRY_AFTER)
    settings = state.settings
    found = NetworkExplorer(store, settings.node_cap, patience=patience, builder=builder)
    app.extensions[_KEY] = found
    found.warm()
    return found


def install(app: Flask) -> None:
    """Give an application its network explorer (one projection cache per app)."""
    attach(app)
    app.register_blueprint(bp)
    app.after_request(_rewarm)


def _rewarm(response: Response) -> Response:
    """After a successful write, start building the new dataset version's network."""
    writes = request.blueprint in _WRITERS and request.method in _WRITES
    if writes and response.status_code < 400:
        explorer().warm()
    return response


def explorer() -> NetworkExplorer:
    """The explorer of the application handling this request."""
    found: NetworkExplorer = current_app.extensions[_KEY]
    return found


def _int(args: MultiDict[str, str], name: str, default: int) -> int:
    value = args.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise UserInputError(f"Parameter {name} must be a whole number, not {value!r}") from None


def _overflow(args: MultiDict[str, str]) -> Overflow:
    value = args.get("overflow") or "class"
    if value not in _OVERFLOWS:
        raise UserInputError(f"overflow must be one of: {', '.join(_OVERFLOWS)}")
    return value  # type: ignore[return-value]


def view_request(args: MultiDict[str, str]) -> ViewRequest:
    """Read focus, depth, filters and overflow handling from query parameters."""
    focus, source = args.get("focus"), args.get("source")
    return ViewRequest(
        focus=read.entity(focus) if focus else None,
        depth=_int(args, "depth", 1),
        classes=read.terms(args.getlist("classes")),
        relations=read.terms(args.getlist("relations")),
        evidence=EvidenceFilter(
            sourced_only=args.get("sourced", "").lower() in _TRUE,
            source=read.entity(source) if source else None,
            min_confidence=read.confidence(args.get("min_confidence")),
        ),
        overflow=_overflow(args),
        show_isolated=args.get("isolated", "").lower() in _TRUE,
    )


def _decorated(view: View, projection: Projection, args: MultiDict[str, str]) -> dict[str, Any]:
    """The view's JSON, with community numbers and a size measure when asked for."""
    doc = view_json(view, entity_path)
    if args.get("colour") == "community":
        index = projection.community_of(parse_method(args.get("method") or "greedy"))
        for node in doc["nodes"]:
            node["community"] = index.get(node["id"])
    if args.get("size"):
        values = projection.measure(parse_measure(args["size"]))
        for node in doc["nodes"]:
            node["value"] = values.get(node["id"], 0.0)
    return doc


def _result_view(text: str, wanted: ViewRequest) -> View:
    """Run a query (through the app's guarded store: no SERVICE or LOAD, time-limited)."""
    state = current_state()
    result = state.store.query(text, max_rows=state.settings.row_cap)
    if not isinstance(result, GraphResult):
        raise UserInputError("The network view draws CONSTRUCT or DESCRIBE results only")
    return explorer().result_view(result.triples, wanted)


def current_view(args: MultiDict[str, str]) -> dict[str, Any]:
    """The JSON document of the view the parameters describe."""
    wanted = view_request(args)
    query = args.get("query")
    method = parse_method(args.get("method") or "greedy")
    view = _result_view(query, wanted) if query else explorer().view(wanted, method)
    return _decorated(view, explorer().projection(), args)


def _preparing_page(error: PreparingError) -> ResponseReturnValue:
    """The page shown while the network is built; its script reloads once it is ready."""
    page = render_template("graph/preparing.html", error=error)
    return page, 503, {"Retry-After": str(error.retry_after)}


@bp.get("/graph")
def page() -> ResponseReturnValue:
    """The explorer page; its query string is the permalink of the view."""
    try:
        projection = explorer().projection()
    except PreparingError as error:
        return _preparing_page(error)
    return render_template(
        "graph/graph.html",
        args=request.args,
        facets=projection.facets(),
        measures=MEASURES,
        methods=COMMUNITY_METHODS,
        node_cap=explorer().node_cap,
        labels={n: d[INFO].label for n, d in projection.graph.nodes(data=True)},
    )


@bp.get("/graph/export.html")
def export_html() -> ResponseReturnValue:
    """The current view as one standalone HTML file that works offline."""
    doc = current_view(request.args)
    notice = f"Showing a summary of {doc['total_nodes']} nodes." if doc["truncated"] else ""
    html = network_html.render(doc, colour=request.args.get("colour") or "class", notice=notice)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Disposition"] = 'attachment; filename="civicgraph-network.html"'
    return response


@bp.get("/api/graph")
def api_graph() -> ResponseReturnValue:
    """Nodes and edges of the whole graph, an ego network, or a query result."""
    return jsonify(current_view(request.args))


@bp.get("/api/graph/status")
def api_status() -> ResponseReturnValue:
    """Whether the network is ready: 200 once it is, 503 with progress while it is built."""
    projection = explorer().projection()
    return jsonify({"state": "ready", "nodes": projection.graph.number_of_nodes()})


@bp.get("/api/graph/entities")
def api_entities() -> ResponseReturnValue:
    """Entities whose label contains ``q``, for choosing a focus or path ends."""
    needle = request.args.get("q", "").strip().casefold()
    graph = explorer().projection().graph
    found = []
    for node, data in graph.nodes(data=True):
        info = data[INFO]
        if needle in info.label.casefold() or any(needle in a.casefold() for a in info.alt_labels):
            found.append({"id": node, "label": info.label, "classLabel": info.cls_label})
    found.sort(key=lambda item: (not item["label"].casefold().startswith(needle), item["label"]))
    return jsonify({"results": found[: _int(request.args, "limit", _ENTITY_MATCHES)]})


@bp.get("/api/graph/node")
def api_node() -> ResponseReturnValue:
    """One node's details for the side panel: literals, classes and centrality."""
    iri = read.entity(request.args.get("id", ""))
    projection = explorer().projection()
    if iri not in projection.graph:
        raise NotFoundError(f"No entity {iri} in the network", iri)
    info = projection.graph.nodes[iri][INFO]
    return jsonify(
        {
            "id": iri,
            "label": info.label,
            "class": info.cls,
            "classLabel": info.cls_label,
            "groupLabel": info.group_label,
            "description": info.description,
            "altLabels": list(info.alt_labels),
            "literals": [{"property": p, "value": v} for p, v in info.literals],
            "url": entity_path(iri),
            "metrics": {m: projection.measure(m)[iri] for m in ("degree", "pagerank")},
        }
    )


@bp.get("/api/path")
def api_path() -> ResponseReturnValue:
    """Shortest and simple paths between two entities, each hop with its evidence."""
    args = request.args
    if not args.get("from") or not args.get("to"):
        raise UserInputError("Give both ends of the path as 'from' and 'to'")
    projection = explorer().projection()
    result = explorer().paths(
        read.entity(args["from"]),
        read.entity(args["to"]),
        max_hops=_int(args, "max_hops", 4),
        k=_int(args, "k", 5),
        relations=read.terms(args.getlist("relations")),
    )
    return jsonify(path_json(result, projection.graph, projection.degrees(), entity_path))


def _metric_rows(projection: Projection, name: str) -> list[dict[str, Any]]:
    values = projection.measure(parse_measure(name))
    graph = projection.graph
    rows = [
        {
            "id": n,
            "label": graph.nodes[n][INFO].label,
            "class": graph.nodes[n][INFO].cls,
            "value": v,
        }
        for n, v in values.items()
    ]
    return sorted(rows, key=lambda r: (-r["value"], r["id"]))


@bp.get("/api/metrics")
def api_metrics() -> ResponseReturnValue:
    """A centrality measure for every entity, highest first, as JSON or CSV."""
    name = request.args.get("measure") or "degree"
    rows = _metric_rows(explorer().projection(), name)
    wants_csv = request.args.get("format") == "csv" or (
        request.args.get("format") is None
        and preferred(request.headers.get("Accept"), ("application/json", "text/csv")) == "text/csv"
    )
    if not wants_csv:
        return jsonify({"measure": name, "values": rows})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["id", "label", "class", "value"], lineterminator="\r\n")
    writer.writeheader()
    # A file for spreadsheets: text from data must not run as a formula there.
    writer.writerows(
        {k: neutralise(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows
    )
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="civicgraph-{name}.csv"'
    return response


@bp.get("/api/communities")
def api_communities() -> ResponseReturnValue:
    """Communities of the whole network, largest first."""
    method = parse_method(request.args.get("method") or "greedy")
    projection = explorer().projection()
    graph = projection.graph
    return jsonify(
        {
            "method": method,
            "communities": [
                {
                    "id": number,
                    "size": len(members),
                    "members": [
                        {"id": n, "label": graph.nodes[n][INFO].label} for n in sorted(members)
                    ],
                }
                for number, members in enumerate(projection.communities(method))
            ],
        }
    )
