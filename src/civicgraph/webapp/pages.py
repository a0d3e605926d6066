"""Human pages: the home page that says what the graph holds."""

from typing import Any

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue

from civicgraph.dataset import catalog, export
from civicgraph.dataset.loader import dataset_version
from civicgraph.formats import by_name
from civicgraph.store import jsonld
from civicgraph.vocab import graph_name
from civicgraph.webapp.browse_pages import class_entries, class_rows
from civicgraph.webapp.state import current_state
from civicgraph.webapp.versions_pages import latest_number

bp = Blueprint("pages", __name__)


def _facts() -> dict[str, Any]:
    store = current_state().store
    graphs = tuple(store.graphs())
    return {
        "graphs": graphs,
        "triples": sum(g.triples for g in graphs),
        # The server's own record of loads: counted apart, as exports and versions leave it out.
        "bookkeeping": sum(g.triples for g in graphs if not export.is_data_graph(g.iri)),
        "data_graphs": [
            {"name": graph_name(g.iri), "iri": g.iri, "triples": g.triples}
            for g in graphs
            if export.is_data_graph(g.iri)
        ],
        "turtle": by_name("turtle"),
        "version": dataset_version(store),
        "number": latest_number(),
        "last_load": catalog.last_load(store),
        "sources": catalog.sources(store),
        "classes": class_rows(),
    }


@bp.get("/")
def home() -> ResponseReturnValue:
    """Counts per class, sources with dates, the dataset version and the ways in."""
    return render_template("pages/home.html", **_facts())


@bp.get("/index.json")
def home_json() -> ResponseReturnValue:
    """The home page's facts as JSON."""
    facts = _facts()
    return jsonify(
        {
            "version": facts["version"],
            "version_number": facts["number"],
            "last_load": facts["last_load"],
            "triples": facts["triples"],
            "graphs": [{"iri": g.iri, "triples": g.triples} for g in facts["graphs"]],
            "classes": class_entries(facts["classes"]),
            "sources": [
                {"iri": s.iri, "label": s.label, "date": s.date, "url": s.url}
                for s in facts["sources"]
            ],
        }
    )


@bp.get("/context.jsonld")
def context() -> ResponseReturnValue:
    """The JSON-LD context every JSON-LD answer of this app is compacted against."""
    response = jsonify(jsonld.context_document())
    response.content_type = "application/ld+json"
    return response
