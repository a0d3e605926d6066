"""Search: ``/search?q=&page=`` for people and ``/search.json``, the one search endpoint.

The page, the typeahead, the explorer's entity boxes and scripts all read the same
ranking from here (``/api/graph/entities`` redirects to ``/search.json``). Results
come in pages with their total, never silently cut off.
"""

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from civicgraph.readmodels.search import DEFAULT_LIMIT, Hit, Page
from civicgraph.webapp import readmodels
from civicgraph.webapp.paged import asked_page
from civicgraph.webapp.urls import entity_path

bp = Blueprint("search", __name__)
#: Most results one request may ask for.
MAX_LIMIT = 100


def _page() -> Page:
    text = request.args.get("q", "")
    per_page = min(max(request.args.get("limit", DEFAULT_LIMIT, type=int) or 1, 1), MAX_LIMIT)
    number = asked_page()
    return readmodels.searcher().find(text, number, per_page)


@bp.get("/search")
def page() -> ResponseReturnValue:
    """Results as a list of links, a page at a time; works without JavaScript."""
    return render_template("search/page.html", query=request.args.get("q", ""), found=_page())


def _hit_json(hit: Hit) -> dict[str, Any]:
    """One result; ``id`` and ``classLabel`` repeat ``iri`` and the type for the explorer."""
    kind = ", ".join(hit.types) or hit.kind
    return {
        "iri": hit.iri,
        "id": hit.iri,
        "label": hit.label,
        "kind": hit.kind,
        "types": list(hit.types),
        "classLabel": kind,
        "matched": hit.matched,
        "rank": hit.tier.name.lower(),
        "url": entity_path(hit.iri),
    }


@bp.get("/search.json")
def as_json() -> ResponseReturnValue:
    """The same results as JSON, with the total and paging, for the typeahead and scripts."""
    found = _page()
    return jsonify(
        {
            "query": found.query,
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
            "limit": found.per_page,
            "did_you_mean": found.suggestion or None,
            "without": found.without or None,
            "results": [_hit_json(hit) for hit in found.hits],
        }
    )
