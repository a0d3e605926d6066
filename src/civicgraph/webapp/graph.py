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
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from pyoxigraph import NamedNode, Triple
from werkzeug.datastructures import MultiDict

from civicgraph.errors import PreparingError, UserInputError
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
    exports,
    parse_measure,
    parse_method,
    path_json,
    view_json,
)
from civicgraph.network import html as network_html
from civicgraph.network import params as read
from civicgraph.network.background import WaitPolicy
from civicgraph.network.colours import community_colour
from civicgraph.network.dated import shift
from civicgraph.network.projection import project
from civicgraph.network.serialize import shift_json
from civicgraph.network.service import Builder, DatedProjection
from civicgraph.network.timeline import parse_day, years
from civicgraph.readmodels.search import SearchIndex
from civicgraph.spreadsheet import neutralise
from civicgraph.store.guarded import GuardedStore
from civicgraph.store.results import GraphResult, SelectResult
from civicgraph.vocab import COLUMNS
from civicgraph.webapp import readmodels
from civicgraph.webapp.state import current_state
from civicgraph.webapp.urls import entity_path, external_url

bp = Blueprint("graph", __name__)
_KEY: Final = "civicgraph.network"
_OVERFLOWS: Final = ("class", "community", "top")
_TRUE: Final = {"1", "true", "on", "yes"}
#: Seconds a client is told to wait before asking again for work still being prepared.
RETRY_AFTER: Final = 3
#: Endpoints that change the data: SPARQL Update and the Graph Store Protocol.
_WRITERS: Final = frozenset({"update", "store"})
_WRITES: Final = frozenset({"POST", "PUT", "DELETE", "PATCH"})
#: The settings a view has unless its address says otherwise: the form sends them as
#: chosen, but the page counts only those that differ as set.
DEFAULTS: Final = {"colour": "class", "method": "greedy", "overflow": "class"}


def attach(app: Flask, builder: Builder = project, *, warm: bool = True) -> NetworkExplorer:
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
    if warm:
        found.warm()
    return found


def install(app: Flask, *, warm: bool = True) -> None:
    """Give an application its network explorer (one projection cache per app).

    ``warm`` starts building the projection at once. Serving processes do not: a
    build holds the interpreter lock for long stretches, and each serving process
    builds only once a network request asks for it.
    """
    attach(app, warm=warm)
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
    value = args.get("overflow") or DEFAULTS["overflow"]
    if value not in _OVERFLOWS:
        raise UserInputError(f"overflow must be one of: {', '.join(_OVERFLOWS)}")
    return value  # type: ignore[return-value]


def _names() -> SearchIndex:
    """The index entity names are resolved against (the search's, so both agree)."""
    return readmodels.searcher().index()


def view_request(args: MultiDict[str, str]) -> ViewRequest:
    """Read focus, depth, filters and overflow handling from query parameters."""
    focus, source = args.get("focus"), args.get("source")
    return ViewRequest(
        focus=read.entity(focus, _names) if focus else None,
        depth=_int(args, "depth", 1),
        classes=read.terms(args.getlist("classes")),
        relations=read.terms(args.getlist("relations")),
        evidence=EvidenceFilter(
            sourced_only=args.get("sourced", "").lower() in _TRUE,
            source=read.entity(source, _names) if source else None,
            min_confidence=read.confidence(args.get("min_confidence")),
        ),
        overflow=_overflow(args),
        show_isolated=args.get("isolated", "").lower() in _TRUE,
    )


def _decorated(view: View, projection: Projection, args: MultiDict[str, str]) -> dict[str, Any]:
    """The view's JSON, with community numbers and a size measure when asked for."""
    doc = view_json(view, entity_path)
    if args.get("colour") == "community":
        index = projection.named_communities(parse_method(args.get("method") or DEFAULTS["method"]))
        for node in doc["nodes"]:
            number, name = index.get(node["id"], (-1, "No community"))
            node["community"], node["legend"] = number, name
            node["colour"] = community_colour(number)
    if args.get("size"):
        values = projection.measure(parse_measure(args["size"]))
        for node in doc["nodes"]:
            node["value"] = values.get(node["id"], 0.0)
    return doc


def _result_view(text: str, wanted: ViewRequest) -> View:
    """Run a query (through the app's guarded store: no SERVICE or LOAD) and draw its
    result, within the limits of its request (``_drawing_limits``)."""
    state = current_state()
    settings = state.settings
    result = state.store.query(text, max_rows=settings.row_cap, max_bytes=settings.answer_byte_cap)
    triples: Sequence[Triple] = ()
    if isinstance(result, GraphResult):
        triples = result.triples
    elif isinstance(result, SelectResult):
        triples = _column_pairs(result)
    if not triples:
        raise UserInputError(
            "The network view draws CONSTRUCT or DESCRIBE results, or a SELECT whose "
            "first two columns hold IRIs"
        )
    return explorer().result_view(triples, wanted)


@contextmanager
def _drawing_limits(args: MultiDict[str, str]) -> Iterator[None]:
    """The limits a drawing is made in: for a query's result, the query's, from its
    evaluation to the last byte of the file (ten thousand scattered edges take seconds
    to lay out, time the watchdog would not otherwise see). The network's own views
    are bounded by the node cap and drawn from the shared projection, outside them.

    The projection is opened first, outside the limits: the first drawing after a
    start opens it for every later request, and must not be stopped for that."""
    if not args.get("query"):
        yield
        return
    projection_for(args)
    with current_state().store.limited():
        yield


def _column_pairs(result: SelectResult) -> list[Triple]:
    """A SELECT's rows as edges from the IRI in its first column to the one in its second
    (rows without both are left out), named after the two columns."""
    if len(result.variables) < 2:
        return []
    link = NamedNode(f"{COLUMNS}{result.variables[0]}-to-{result.variables[1]}")
    pairs = ((row[0], row[1]) for row in result.rows)
    return [
        Triple(a, link, b)
        for a, b in pairs
        if isinstance(a, NamedNode) and isinstance(b, NamedNode)
    ]


def dated(args: MultiDict[str, str]) -> DatedProjection | None:
    """The network on the day ``as_of`` names (``undated=hide`` drops what has no date)."""
    day = args.get("as_of")
    if not day:
        return None
    hide = args.get("undated", "show") == "hide"
    return explorer().projection().at(parse_day(day), hide_undated=hide)


def projection_for(args: MultiDict[str, str]) -> Projection:
    """The projection a request reads: the whole network, or the network on a day."""
    found = dated(args)
    return found.projection if found else explorer().projection()


def _marked(doc: dict[str, Any], at: DatedProjection) -> dict[str, Any]:
    """Say which day the view shows and which of its nodes and edges carry no date."""
    model, dated = at.projection.model, at.dated
    numbers = {n["id"]: model.index(n["id"]) for n in doc["nodes"]}
    nodes = {iri for iri, n in numbers.items() if n is not None and dated.undated_nodes[n]}
    edge_numbers = {e["id"]: model.edge_index(e["id"]) for e in doc["edges"]}
    edges = {i for i, e in edge_numbers.items() if e is not None and dated.undated_edges[e]}
    return {
        **doc,
        "as_of": at.dated.day,
        "undated": {"nodes": sorted(nodes), "edges": sorted(edges)},
    }


def current_view(args: MultiDict[str, str]) -> dict[str, Any]:
    """The JSON document of the view the parameters describe."""
    wanted = view_request(args)
    query = args.get("query")
    method = parse_method(args.get("method") or DEFAULTS["method"])
    at = dated(args)
    projection = at.projection if at else explorer().projection()
    if query:
        view = _result_view(query, wanted)
    else:
        view = explorer().view(wanted, method, projection=projection)
    doc = _decorated(view, projection, args)
    return _marked(doc, at) if at else doc


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
        labels=_box_labels(request.args, projection),
        years=years(projection.first_year(), datetime.now(UTC).year),
        defaults=DEFAULTS,
    )


def _box_labels(args: MultiDict[str, str], projection: Projection) -> dict[str, str]:
    """Labels of the entities the URL names in the entity boxes, keyed by what it says.

    The boxes show a label, never a raw IRI; the page's script submits the entity.
    """
    found = {}
    for value in (args.get(name, "") for name in ("focus", "from", "to")):
        try:
            iri = read.entity(value, _names) if value else None
        except UserInputError:
            continue
        if iri is not None and iri in projection:
            found[value] = projection.label(iri)
    return found


@bp.get("/graph/export.html")
def export_html() -> ResponseReturnValue:
    """The current view as one standalone HTML file that works offline."""
    with _drawing_limits(request.args):
        doc = current_view(request.args)
        notice = f"Showing a summary of {doc['total_nodes']} nodes." if doc["truncated"] else ""
        title = _title(doc)
        colour = request.args.get("colour") or DEFAULTS["colour"]
        html = network_html.render(doc, title=title, colour=colour, notice=notice)
    response = Response(html, mimetype="text/html")
    name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "civicgraph-network"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.html"'
    return response


def _title(doc: dict[str, Any]) -> str:
    """What the exported view shows, in words: its focus entity's name, when it has one."""
    focus = next((n["label"] for n in doc["nodes"] if n["id"] == doc.get("focus")), None)
    if focus:
        return f"Network around {focus}"
    return "Network of a query result" if request.args.get("query") else "civicgraph network"


@bp.get("/api/graph")
def api_graph() -> ResponseReturnValue:
    """Nodes and edges of the whole graph, an ego network, or a query result.

    ``format`` (gexf, graphml, ttl, jsonld) downloads the same view as a file.
    """
    name = request.args.get("format") or "json"
    with _drawing_limits(request.args):
        doc = current_view(request.args)
        if name == "json":
            return jsonify(doc)
        found = exports.render(doc, name, external_url(url_for("pages.context")))
    response = Response(found.body, content_type=found.media_type)
    disposition = f'attachment; filename="civicgraph-network.{found.extension}"'
    response.headers["Content-Disposition"] = disposition
    return response


@bp.get("/api/graph/status")
def api_status() -> ResponseReturnValue:
    """Whether the network is ready: 200 once it is, 503 with progress while it is built."""
    projection = explorer().projection()
    return jsonify({"state": "ready", "nodes": projection.node_count})


@bp.get("/api/graph/entities")
def api_entities() -> ResponseReturnValue:
    """Moved: entity search has one endpoint, ``/search.json``, with one ranking."""
    query = request.query_string.decode("ascii", "replace")
    return redirect(url_for("search.as_json") + (f"?{query}" if query else ""), code=308)


@bp.get("/api/graph/node")
def api_node() -> ResponseReturnValue:
    """One node's details for the side panel: literals, classes and centrality."""
    iri = read.entity(request.args.get("id", ""), _names)
    projection = explorer().projection()
    info = projection.node_info(iri)
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
    projection = projection_for(args)
    result = explorer().paths(
        read.entity(args["from"], _names),
        read.entity(args["to"], _names),
        max_hops=_int(args, "max_hops", 4),
        k=_int(args, "k", 5),
        relations=read.terms(args.getlist("relations")),
        through_documents=args.get("documents", "").lower() in _TRUE,
        projection=projection,
    )
    return jsonify(path_json(result, projection.node_info, projection.degrees(), entity_path))


def _metric_rows(projection: Projection, name: str) -> list[dict[str, Any]]:
    values = projection.measure(parse_measure(name))
    rows = [
        {"id": n, "label": info.label, "class": info.cls, "value": v}
        for n, v in values.items()
        for info in (projection.node_info(n),)
    ]
    return sorted(rows, key=lambda r: (-r["value"], r["id"]))


@bp.get("/api/metrics")
def api_metrics() -> ResponseReturnValue:
    """A centrality measure for every entity, highest first, as JSON or CSV."""
    name = request.args.get("measure") or "degree"
    rows = _metric_rows(projection_for(request.args), name)
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
    method = parse_method(request.args.get("method") or DEFAULTS["method"])
    projection = projection_for(request.args)
    names = projection.community_labels(method)
    return jsonify(
        {
            "method": method,
            "communities": [
                {
                    "id": number,
                    "name": names[number],
                    "size": len(members),
                    "members": [{"id": n, "label": projection.label(n)} for n in sorted(members)],
                }
                for number, members in enumerate(projection.communities(method))
            ],
        }
    )


@bp.get("/api/graph/diff")
def api_diff() -> ResponseReturnValue:
    """What appeared and what ended between two days, each edge with its evidence."""
    args = request.args
    if not args.get("from") or not args.get("to"):
        raise UserInputError("Give the two days to compare as 'from' and 'to' (YYYY-MM-DD)")
    # The earlier day first, whichever way round they came: "appeared" and "ended"
    # always read forward in time (the explorer sends the day compared with as "from").
    older, newer = sorted((parse_day(args["from"]), parse_day(args["to"])))
    focus = read.entity(args["focus"], _names) if args.get("focus") else None
    projection = explorer().projection()
    found = shift(projection.model, older, newer, focus=focus)
    doc = shift_json(found, projection, entity_path)
    return jsonify({"from": older, "to": newer, "focus": focus, **doc})
