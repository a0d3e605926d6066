"""Search: ``/search?q=`` for people and ``/search.json`` with the same ranking."""

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from civicgraph.readmodels.search import DEFAULT_LIMIT, Hit
from civicgraph.webapp import readmodels
from civicgraph.webapp.urls import entity_path

bp = Blueprint("search", __name__)
#: Most results one request may ask for.
MAX_LIMIT = 100


def _hits() -> tuple[str, list[Hit]]:
    text = request.args.get("q", "")[:200]
    limit = min(max(request.args.get("limit", DEFAULT_LIMIT, type=int) or 1, 1), MAX_LIMIT)
    return text, readmodels.searcher().search(text, limit)


@bp.get("/search")
def page() -> ResponseReturnValue:
    """Results as a list of links; works without JavaScript."""
    text, hits = _hits()
    return render_template("search/page.html", query=text, hits=hits)


@bp.get("/search.json")
def as_json() -> ResponseReturnValue:
    """The same results as JSON, for the typeahead and for scripts."""
    text, hits = _hits()
    return jsonify(
        {
            "query": text,
            "results": [
                {
                    "iri": hit.iri,
                    "label": hit.label,
                    "kind": hit.kind,
                    "types": list(hit.types),
                    "matched": hit.matched,
                    "rank": hit.tier.name.lower(),
                    "url": entity_path(hit.iri),
                }
                for hit in hits
            ],
        }
    )
