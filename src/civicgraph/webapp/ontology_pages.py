"""The ontology page ``/ontology``, its Turtle (``/ontology.ttl`` or by ``Accept``) and
its JSON twin (``/ontology.json``)."""

import io
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, url_for
from flask.typing import ResponseReturnValue

from civicgraph.errors import NotFoundError
from civicgraph.formats import Format, by_name
from civicgraph.readmodels.ontology import OntologyTerm
from civicgraph.webapp import readmodels
from civicgraph.webapp.negotiation import wanted_rdf
from civicgraph.webapp.state import current_state
from civicgraph.webapp.urls import external_url

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
    labels = readmodels.names(examples)
    response = Response(
        render_template("ontology/page.html", doc=doc, labels=labels), mimetype="text/html"
    )
    response.headers["Vary"] = "Accept"
    return response


def _term(term: OntologyTerm) -> dict[str, Any]:
    """A class, property or concept as the twin gives it, with its place on the page."""
    return {
        "iri": term.iri,
        "curie": term.curie,
        "label": term.label,
        "comment": term.comment,
        "page": external_url(url_for("ontology.page", _anchor=term.anchor)),
    }


def _property(term: OntologyTerm) -> dict[str, Any]:
    """A property: what it links, its inverse, and how many triples use it."""
    found = {"kind": term.kind, "domain": term.domain, "range": term.range}
    return {**_term(term), **found, "inverse": term.inverse, "triples": term.uses}


@bp.get("/ontology.json")
def as_json() -> ResponseReturnValue:
    """The JSON twin of ``/ontology``: its classes, properties and concepts."""
    doc = readmodels.ontology()
    return jsonify(
        header=doc.header,
        turtle=external_url(url_for("ontology.turtle")),
        classes=[{**_term(c), "super_classes": c.supers} for c in doc.classes],
        properties=[_property(p) for p in doc.properties],
        concepts=[_term(c) for c in doc.concepts],
    )


@bp.get("/ontology.ttl")
def turtle() -> ResponseReturnValue:
    """The ontology as Turtle."""
    return _rdf(TURTLE)
