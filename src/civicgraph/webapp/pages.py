"""Human pages: the home page that says what the graph holds."""

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue

from civicgraph import stats
from civicgraph.loader import dataset_version
from civicgraph.webapp.state import current_state

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> ResponseReturnValue:
    """Counts per class and per graph, and the dataset version."""
    store = current_state().store
    found = stats.collect(store)
    return render_template("pages/home.html", stats=found, version=dataset_version(store))


@bp.get("/index.json")
def home_json() -> ResponseReturnValue:
    """The home page's facts as JSON."""
    store = current_state().store
    found = stats.collect(store)
    return jsonify(
        {
            "version": dataset_version(store),
            "triples": found.triples,
            "graphs": [{"iri": g.iri, "triples": g.triples} for g in found.graphs],
            "classes": [{"iri": c.iri, "name": c.name, "count": c.count} for c in found.classes],
        }
    )
