"""Per-class lists: ``/browse/{Class}`` (``Person``, ``Organization`` …) and its ``.json`` twin.

Linked from the home page's class counts and from each class on the ontology page.
``?type=``, ``?organization=`` and ``?year=`` narrow a list (each facet shows the count
its values would leave); ``?page=`` pages through it, so nothing is cut off.
"""

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from civicgraph.errors import NotFoundError
from civicgraph.readmodels.browse import FACETS, PER_PAGE, Listing
from civicgraph.readmodels.labels import local_name
from civicgraph.readmodels.ontology import OntologyDoc, OntologyTerm
from civicgraph.webapp import readmodels
from civicgraph.webapp.paged import asked_page
from civicgraph.webapp.urls import entity_path

bp = Blueprint("browse", __name__)
#: Most entities one page may list.
MAX_PER_PAGE = 500


def _class(doc: OntologyDoc, name: str) -> OntologyTerm:
    """The ontology class a URL names by its local name (any case)."""
    for term in doc.classes:
        if local_name(term.iri).casefold() == name.casefold():
            return term
    known = ", ".join(local_name(t.iri) for t in doc.classes)
    raise NotFoundError(f"No class named {name!r}; browse one of: {known}")


def _with_subclasses(doc: OntologyDoc, top: OntologyTerm) -> frozenset[str]:
    found, todo = set(), [top.iri]
    while todo:
        iri = todo.pop()
        if iri not in found:
            found.add(iri)
            todo.extend(doc.terms[iri].subs if iri in doc.terms else ())
    return frozenset(found)


def _listing(name: str) -> tuple[OntologyTerm, Listing]:
    doc = readmodels.ontology()
    term = _class(doc, name)
    chosen = {facet: request.args.get(facet, "") for facet in FACETS}
    page = asked_page()
    per_page = min(max(request.args.get("limit", PER_PAGE, type=int) or 1, 1), MAX_PER_PAGE)
    found = readmodels.browse().listing(
        _with_subclasses(doc, term), chosen, doc.label, page, per_page
    )
    return term, found


@bp.get("/browse/<name>")
def page(name: str) -> ResponseReturnValue:
    """The list as a page: facets beside it, pages below it."""
    term, found = _listing(name)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "browse/page.html", term=term, name=local_name(term.iri), found=found, args=args
    )


@bp.get("/browse/<name>.json")
def as_json(name: str) -> ResponseReturnValue:
    """The same list as JSON, with totals and facet counts."""
    term, found = _listing(name)
    return jsonify(
        {
            "class": term.iri,
            "label": term.label,
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
            "limit": found.per_page,
            "items": [_item(i.iri, i.label, sorted(i.types)) for i in found.items],
            "facets": {
                facet: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
                for facet, values in found.facets.items()
            },
        }
    )


def _item(iri: str, label: str, types: list[str]) -> dict[str, Any]:
    return {"iri": iri, "label": label, "types": types, "url": entity_path(iri)}
