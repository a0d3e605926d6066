"""The ontology page ``/ontology`` and its Turtle (``/ontology.ttl`` or by ``Accept``)."""

import io

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue

from civicgraph.errors import NotFoundError
from civicgraph.formats import Format, by_name
from civicgraph.webapp import readmodels
from civicgraph.webapp.negotiation import wanted_rdf
from civicgraph.webapp.state import current_state

bp = Blueprint("ontology", __name__)
TURTLE = by_name("turtle")


def _rdf(fmt: Format) -> Response:
    graph = readmodels.ontology().graph
    if graph is None:
        raise NotFoundError("No ontology is loaded; load ontology/civic.ttl first")
    out = io.BytesIO()
    current_state().store.dump(out, fmt, [graph])
    response = Response(out.getvalue(), content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/ontology")
def page() -> ResponseReturnValue:
    """Classes in their hierarchy and properties with domain, range and alignment."""
    fmt = wanted_rdf((TURTLE, by_name("jsonld"), by_name("ntriples"), by_name("rdfxml")))
    if fmt is not None:
        return _rdf(fmt)
    doc = readmodels.ontology()
    examples = [
        iri for t in doc.terms.values() for e in t.examples for iri in (e.subject, e.object)
    ]
    labels = readmodels.searcher().index().labels(examples)
    response = Response(
        render_template("ontology/page.html", doc=doc, labels=labels), mimetype="text/html"
    )
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/ontology.ttl")
def turtle() -> ResponseReturnValue:
    """The ontology as Turtle."""
    return _rdf(TURTLE)
