"""Downloads of the dataset or one named graph, and the VoID/DCAT description."""

import tempfile
from contextlib import AbstractContextManager
from typing import Any, BinaryIO, cast

from flask import Blueprint, Response, jsonify, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from civicgraph.dataset import catalog, export, stats, versions
from civicgraph.dataset.loader import dataset_version
from civicgraph.errors import ExportTimeoutError, UserInputError
from civicgraph.formats import Format, Kind, by_name, formats_for
from civicgraph.store import GraphStore
from civicgraph.store.results import serialize_triples
from civicgraph.webapp import readmodels
from civicgraph.webapp.state import current_state
from civicgraph.webapp.urls import export_path, external_url
from civicgraph.webapp.versions_pages import (
    current_log,
    latest_number,
    rebuilding,
    version_number,
)

bp = Blueprint("export", __name__)
#: Downloads spill from memory to a temporary file past this size.
SPOOL_BYTES = 16 * 1024 * 1024


def rdf_formats() -> list[Format]:
    """Every RDF format, dataset formats (which keep the named graphs) first."""
    dataset = list(formats_for(Kind.DATASET))
    return dataset + [f for f in formats_for(Kind.GRAPH) if f not in dataset]


def _pinned() -> int | None:
    """The dataset version a request asks for (``?version=N``), or None for the current one."""
    raw = request.args.get("version", "").strip()
    if not raw:
        return None
    number = version_number(raw)
    if number is None:
        raise UserInputError(f"A dataset version is a number from /versions, not {raw!r}")
    return number


def _store_for(number: int | None) -> GraphStore:
    """The live store, or the dataset rebuilt as it was at version ``number``."""
    if number is None:
        return current_state().store
    return versions.store_at(current_log(), number)


def _limited_for(number: int | None) -> AbstractContextManager[None]:
    """The time limit and memory budget of rebuilding version ``number``, or of writing
    out the current data: either takes seconds per million triples, for anyone."""
    if number is None:
        return current_state().store.limited(ExportTimeoutError)
    return rebuilding()


def _offer() -> dict[str, Any]:
    """What the export page offers: the data graphs with their sizes, the formats, and
    the version (now, or the one ``?version=`` pins)."""
    pinned = _pinned()
    with _limited_for(pinned):
        store = _store_for(pinned)
        named = {g for g in export.data_graphs(store) if g}
        return {
            "graphs": [g for g in store.graphs() if g.iri in named],
            "formats": rdf_formats(),
            "version": dataset_version(store) if pinned is None else None,
            "number": latest_number(),
            "pinned": pinned,
        }


@bp.get("/export")
def page() -> ResponseReturnValue:
    """The whole dataset and each named graph, in every RDF format, now or at a version."""
    return render_template("export/page.html", **_offer())


@bp.get("/export.json")
def as_json() -> ResponseReturnValue:
    """The JSON twin of ``/export``: each download's address, for a script to fetch."""
    offer = _offer()
    formats, pinned = offer["formats"], offer["pinned"]

    def downloads(graph: str | None) -> dict[str, str]:
        return {f.name: external_url(export_path(f, graph, pinned)) for f in formats}

    return jsonify(
        version=offer["version"],
        version_number=pinned if pinned is not None else offer["number"],
        pinned=pinned is not None,
        formats=[
            {
                "name": f.name,
                "label": f.label,
                "media_type": f.media_type,
                "extension": f.extension,
            }
            for f in formats
        ],
        dataset=downloads(None),
        graphs=[
            {"iri": g.iri, "triples": g.triples, "downloads": downloads(g.iri)}
            for g in offer["graphs"]
        ],
        void=external_url(url_for("export.void")),
    )


@bp.get("/export/download")
def download() -> ResponseReturnValue:
    """One file, named after what it holds and the dataset version."""
    fmt = by_name(request.args.get("format", "trig"))
    if Kind.RESULTS in fmt.kinds:
        fmt = by_name("trig")
    graph = request.args.get("graph") or None
    pinned = _pinned()
    if pinned is not None and graph is not None:  # what the log knows, before the rebuild
        export.check_graph(graph, current_log().get(pinned).graphs.__contains__)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed below)
    try:
        with _limited_for(pinned):
            store = _store_for(pinned)
            label = dataset_version(store) if pinned is None else f"v{pinned}"
            export.export(store, cast(BinaryIO, spool), fmt, graph)
    except BaseException:
        spool.close()
        raise
    name = export.export_filename(label, fmt, graph)
    spool.seek(0)
    response = send_file(spool, mimetype=fmt.media_type, as_attachment=True, download_name=name)
    response.headers["Content-Type"] = fmt.content_type  # send_file adds a charset to text/*
    response.call_on_close(spool.close)
    return response


@bp.get("/.well-known/void")
def void() -> ResponseReturnValue:
    """A VoID/DCAT description of the dataset, in Turtle (VoID §7.2)."""
    store = current_state().store
    header = readmodels.ontology().header
    description = catalog.Description(
        iri=external_url(url_for("export.void")) + "#dataset",
        version=dataset_version(store),
        license=header.get("license", catalog.DEFAULT_LICENSE),
        stats=stats.collect(store),
        sources=catalog.sources(store),
        endpoint=external_url(url_for("sparql.query")),
        dumps={f: external_url(export_path(f)) for f in rdf_formats()},
    )
    turtle = serialize_triples(catalog.void_graph(description), by_name("turtle"))
    return Response(turtle, content_type="text/turtle; charset=utf-8")
