"""Research-object downloads: ``/bundle`` for any query, ``/gallery/{name}/bundle`` for examples.

The query runs through the application's guarded store, so the time limit, the row
cap and the SERVICE/LOAD policy apply as on ``/sparql``; the zip is made in memory,
within the same time limit and memory budget, from a result of at most the answer
byte cap (a larger one is refused).
"""

import re

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from civicgraph.errors import UserInputError
from civicgraph.formats import Format, Kind, by_name
from civicgraph.readmodels import gallery
from civicgraph.readmodels.bundle import make_bundle
from civicgraph.webapp.state import current_state

bp = Blueprint("bundle", __name__)


def _format() -> Format | None:
    name = request.args.get("format")
    if not name:
        return None
    fmt = by_name(name)
    if not fmt.kinds & {Kind.RESULTS, Kind.GRAPH}:
        raise UserInputError(f"{fmt.label} cannot hold a query result")
    return fmt


def _download(query: str, title: str) -> Response:
    state = current_state()
    latest = state.versions.latest() if state.versions else None
    with state.store.limited():  # the bundle's making, not only its query
        data = make_bundle(
            state.store,
            query,
            _format(),
            title=title,
            dataset_version=latest.number if latest else None,
            max_rows=state.settings.row_cap,
            max_bytes=state.settings.answer_byte_cap,
            # The version log already holds the dataset's hash: no dump per request.
            data_fingerprint=latest.content_hash if latest else None,
        )
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "query"
    version = f"-v{latest.number}" if latest else ""
    response = Response(data, content_type="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="civicgraph-{slug}{version}-ro-crate.zip"'
    )
    return response


@bp.get("/bundle")
def bundle() -> ResponseReturnValue:
    """The RO-Crate of ``query``'s result (``format`` picks the result's format)."""
    query = request.args.get("query", "").strip()
    if not query:
        raise UserInputError("Give the query to bundle as ?query=…")
    return _download(query, request.args.get("title") or "SPARQL query result")


@bp.get("/gallery/<name>/bundle")
def gallery_bundle(name: str) -> ResponseReturnValue:
    """The RO-Crate of one gallery example, with the parameters chosen on its form."""
    canned = gallery.canned(name)
    return _download(gallery.render(canned, request.args), canned.title)
