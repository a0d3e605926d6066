"""Entity pages ``/id/{kind}/{slug}``: HTML for people, RDF for machines.

The same URL answers Turtle or JSON-LD by content negotiation, and ``.ttl`` /
``.jsonld`` (any RDF extension of ``formats.py``) name a format outright; the page
advertises each with ``<link rel="alternate">``. A client asking for plain JSON
(``.json``, ``Accept: application/json``) gets the JSON-LD.
"""

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue

from civicgraph.errors import NotFoundError, UnknownFormatError
from civicgraph.formats import Kind, by_name, formats_for
from civicgraph.readmodels import entities
from civicgraph.readmodels.claims import load_claims
from civicgraph.store.results import serialize_result
from civicgraph.vocab import ENTITY_KINDS, NETWORK_KINDS, entity_iri
from civicgraph.webapp import readmodels
from civicgraph.webapp.errors import error_response, wants_json
from civicgraph.webapp.graph import explorer
from civicgraph.webapp.negotiation import wanted_rdf
from civicgraph.webapp.state import current_state
from civicgraph.webapp.twins import asks_json

bp = Blueprint("entity", __name__)
#: Twins advertised on every page, in this order.
ALTERNATES = (by_name("turtle"), by_name("jsonld"))
#: What a client asking for plain JSON (``.json``, ``Accept: application/json``) gets:
#: JSON-LD is JSON, with the names of its keys defined.
_JSON_AS = "jsonld"


def _iri(kind: str, slug: str) -> str:
    if kind not in ENTITY_KINDS:
        abort(404)
    try:
        return entity_iri(kind, slug)
    except ValueError:
        abort(404)


def _rdf(iri: str, fmt_name: str) -> Response:
    fmt = by_name(fmt_name, Kind.GRAPH)
    graph = entities.entity_graph(current_state().store, iri)
    response = Response(serialize_result(graph, fmt), content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response


def _not_found(error: NotFoundError, text: str) -> Response:
    if wants_json():
        return error_response(404, error.title, error.detail, iri=error.iri)
    page = render_template("entity/not_found.html", detail=error.detail, query=text)
    response = Response(page, status=404, mimetype="text/html")
    response.vary.add("Accept")
    return response


def _in_network(kind: str, iri: str) -> bool:
    """Whether the network explorer draws the entity: some of a drawn kind are not
    (an information system, a goal scheme), and their pages offer no drawing or link
    that could only fail. While the network is built, its kind decides: the page does
    not wait for a build it does not need (it starts one, for the next visitor)."""
    if kind not in NETWORK_KINDS:
        return False
    built = explorer().built()
    return built is None or iri in built


@bp.get("/id/<kind>/<slug>")
def page(kind: str, slug: str) -> ResponseReturnValue:
    """The entity page, or its RDF when the client prefers RDF."""
    stem, dot, extension = slug.rpartition(".")
    if dot:
        try:
            return _rdf(_iri(kind, stem), _JSON_AS if extension == "json" else extension)
        except UnknownFormatError:
            abort(404)
        except NotFoundError as error:
            return _not_found(error, stem.replace("-", " "))
    iri = _iri(kind, slug)
    fmt = wanted_rdf(formats_for(Kind.GRAPH)) or (by_name(_JSON_AS) if asks_json() else None)
    if fmt is not None:
        return _rdf(iri, fmt.name)
    store = current_state().store
    try:
        entity = entities.load_entity(store, iri)
    except NotFoundError as error:
        return _not_found(error, slug.replace("-", " "))
    in_network = _in_network(kind, iri)
    html = render_template(
        "entity/page.html",
        entity=entity,
        claims=load_claims(store, iri) if kind == "document" else [],
        in_network=in_network,
        left_out=kind in NETWORK_KINDS and not in_network,
        alternates=ALTERNATES,
        ontology=readmodels.ontology(),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response
