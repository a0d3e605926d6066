"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol.

Graphs are named indirectly (``/store?graph=IRI``, ``/store?default``) or directly
(``/store/some/path`` is the graph whose IRI is that URL), GSP §4. GET and HEAD are
public reads; PUT, POST and DELETE need the write token. Every upload lands
atomically: it is parsed completely before the target graph changes.
"""

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from pyoxigraph import DefaultGraph, NamedNode, parse

from civicgraph.errors import NotFoundError, UploadTimeoutError, UserInputError
from civicgraph.formats import Format, Kind, by_name, from_content_type, from_path, negotiate
from civicgraph.store import GraphStore
from civicgraph.store.base import Upload
from civicgraph.store.parsesafety import check_before_parsing
from civicgraph.store.streams import STAGING_PREFIX
from civicgraph.vocab import graph_iri
from civicgraph.webapp.auth import require_writer
from civicgraph.webapp.bodies import (
    checked_iri,
    empty,
    media_type,
    read_body,
    require_utf8,
    url_params,
)
from civicgraph.webapp.cors import allow_reads, is_read
from civicgraph.webapp.multipart import FilePart, file_parts
from civicgraph.webapp.state import current_state

bp = Blueprint("store", __name__)

MULTIPART = "multipart/form-data"
_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]
#: A whole-store GET answers in a format that keeps the named graphs, TriG first.
_DATASET_OFFER = tuple(by_name(name) for name in ("trig", "nquads", "jsonld"))


@dataclass(frozen=True)
class Target:
    """What a request names: one graph (``None`` is the default graph), or the store."""

    graph: str | None
    whole_store: bool = False

    @property
    def label(self) -> str:
        """How messages name the target."""
        return "the default graph" if self.graph is None else f"graph <{self.graph}>"


def _indirect_target() -> Target:
    params = url_params()
    graph = params.one("graph")
    if graph is not None and "default" in params:
        raise UserInputError("Name one graph: either ?graph=IRI or ?default, not both")
    if graph is not None and graph.startswith(STAGING_PREFIX):
        raise UserInputError(
            f"Graphs named {STAGING_PREFIX}… are the server's own (uploads on their way "
            "into place); name another graph"
        )
    if graph is not None:
        return Target(checked_iri(graph, "graph"))
    if "default" in params:
        return Target(None)
    return Target(None, whole_store=True)


def _direct_target() -> Target:
    params = url_params()
    if "graph" in params or "default" in params:
        raise UserInputError("This URL names its graph itself; drop ?graph and ?default")
    return Target(checked_iri(request.base_url, "graph"))


def _refuse_named_graphs(body: bytes, fmt: Format, base: str) -> None:
    """A graph upload in a format that can name graphs must not write into other graphs.

    Only such formats (``Format.names_graphs``) are parsed here, and only after the
    checks that keep pyoxigraph's parser from exhausting or crashing the process
    (``parsesafety``). The parse is the load's own (the same bytes, format and base
    IRI), so a syntax error here is one there too: it is left for the store's loader,
    which reports line and column, and writes nothing.
    """
    if not fmt.names_graphs:
        return
    check_before_parsing(body, fmt.rdf_format, "upload")
    try:
        for quad in parse(body, fmt.rdf_format, base_iri=base):
            if not isinstance(quad.graph_name, DefaultGraph):
                raise UserInputError(
                    f"The body puts triples in graph {quad.graph_name}; a graph upload holds "
                    "triples of one graph only"
                )
    except (SyntaxError, ValueError):
        return


def _part_format(part: FilePart) -> Format:
    """A part's format from its Content-Type, or else from its file name."""
    if part.content_type:
        return from_content_type(part.content_type, Kind.GRAPH)
    return from_path(part.filename, Kind.GRAPH)


def _uploads() -> list[tuple[bytes, Format]]:
    """The RDF documents of the body: one, or one per part of a multipart form."""
    body = read_body(current_state().settings.upload_limit, "upload")
    if media_type() != MULTIPART:
        require_utf8("upload")
        fmt = from_content_type(request.headers.get("Content-Type"), Kind.GRAPH)
        return [(body, fmt)]
    parts = [(part.content, _part_format(part)) for part in file_parts(body)]
    if not parts:
        raise UserInputError("The multipart body has no file parts to load")
    return parts


def _store_into(store: GraphStore, target: Target, *, replace: bool) -> None:
    """Parse every upload, then put it in place in one write."""
    uploads = _uploads()
    base = target.graph or request.base_url
    # The parse below holds every quad of a JSON-LD document in memory (a 60 MB body
    # of numbers asked for gigabytes): it runs within the serving process's time limit
    # and memory budget, which stop it with a 503 instead of ending the process.
    with current_state().store.limited(UploadTimeoutError):
        for body, fmt in uploads:
            _refuse_named_graphs(body, fmt, base)
    if len(uploads) == 1:
        body, fmt = uploads[0]
        count = store.load(body, fmt, target.graph, replace=replace, base_iri=base)
    else:  # one write: no other sees the parts half-written, one time limit for all
        count = store.load_parts(Upload(uploads, target.graph, replace, base))
    if count == 0 and target.graph is not None:
        store.update(f"CREATE SILENT GRAPH {NamedNode(target.graph)}")


def _exists(store: GraphStore, target: Target) -> bool:
    return target.graph is None or store.has_graph(target.graph)


def _get(store: GraphStore, target: Target) -> ResponseReturnValue:
    """The graph (or the whole store) in the negotiated format; HEAD gets the same headers."""
    accept = request.headers.get("Accept")
    if target.whole_store:
        fmt, graphs = negotiate(accept, Kind.DATASET, _DATASET_OFFER), None
    else:
        if not _exists(store, target):
            raise NotFoundError(f"There is no {target.label} in this store", iri=target.graph)
        fmt, graphs = negotiate(accept, Kind.GRAPH), [target.graph]
    if request.method == "HEAD":  # the headers alone: no need to write the graphs out
        # An empty iterable, not b"": a length of 0 would claim the graph is empty.
        response = Response(iter(()), content_type=fmt.content_type)
    else:
        buffer = io.BytesIO()
        store.dump(buffer, fmt, graphs)
        response = Response(buffer.getvalue(), content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _put(store: GraphStore, target: Target) -> ResponseReturnValue:
    """Replace a graph: 201 when it is new, 204 when it existed (GSP §5.3)."""
    if target.whole_store:
        raise UserInputError("PUT replaces one graph: name it with ?graph=IRI or ?default")
    existed = _exists(store, target)
    _store_into(store, target, replace=True)
    return empty(204 if existed else 201)


def _post(store: GraphStore, target: Target) -> ResponseReturnValue:
    """Add to a graph (GSP §5.5); to the store itself, create a graph and say where."""
    if target.whole_store:
        created = Target(graph_iri(f"upload-{uuid.uuid4().hex}"))
        _store_into(store, created, replace=True)
        return empty(201, created.graph)
    existed = _exists(store, target)
    _store_into(store, target, replace=False)
    return empty(204 if existed else 201)


def _delete(store: GraphStore, target: Target) -> ResponseReturnValue:
    """Drop a graph (GSP §5.4); 404 when there is none."""
    if target.whole_store:
        raise UserInputError("DELETE drops one graph: name it with ?graph=IRI or ?default")
    if not _exists(store, target):
        raise NotFoundError(f"There is no {target.label} in this store", iri=target.graph)
    store.drop_graph(target.graph)
    return empty(204)


_WRITES = {"PUT": _put, "POST": _post, "DELETE": _delete}


def _dispatch(find_target: Callable[[], Target]) -> ResponseReturnValue:
    """Reads are public; a write is authorized before anything of it is looked at."""
    store = current_state().store
    if request.method in ("GET", "HEAD"):
        return _get(store, find_target())
    require_writer()
    return _WRITES[request.method](store, find_target())


@bp.route("/store", methods=_METHODS)
def store() -> ResponseReturnValue:
    """Indirect graph identification: ``?graph=IRI``, ``?default``, or the whole store."""
    return _dispatch(_indirect_target)


@bp.route("/store/<path:_path>", methods=_METHODS)
def direct(_path: str) -> ResponseReturnValue:
    """Direct graph identification: the request URL is the graph's IRI."""
    return _dispatch(_direct_target)


_READS = frozenset({"GET", "HEAD"})


@bp.after_request
def _cors(response: Response) -> Response:
    """Reads (and their preflights) get CORS; writes and their preflights never do."""
    if is_read(_READS):
        return allow_reads(response, "GET, HEAD")
    return response
