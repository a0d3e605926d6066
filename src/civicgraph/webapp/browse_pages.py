"""Browsing: ``/browse``, every class with its count, and per-class lists, ``/browse/{Class}``
(``Person``, ``Organization`` …), each with its ``.json`` twin.

The lists are linked from ``/browse``, the home page's class counts and each class on
the ontology page.
``?type=``, ``?organization=`` and ``?year=`` narrow a list (each facet shows the count
its values would leave); ``?page=`` pages through it, so nothing is cut off.
"""

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from civicgraph.dataset import stats
from civicgraph.dataset.stats import ClassCount
from civicgraph.errors import NotFoundError
from civicgraph.readmodels.browse import FACETS, PER_PAGE, Listing
from civicgraph.readmodels.labels import local_name
from civicgraph.readmodels.ontology import OntologyDoc, OntologyTerm
from civicgraph.webapp import readmodels
from civicgraph.webapp.paged import asked_page
from civicgraph.webapp.state import current_state
from civicgraph.webapp.urls import browse_path, entity_path

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


def class_entries(classes: Iterable[ClassCount], doc: OntologyDoc) -> list[dict[str, Any]]:
    """The classes the graph holds as JSON: name, label, count and where their list is."""
    return [
        {"iri": c.iri, "name": c.name, "label": doc.label(c.iri), "count": c.count,
         "url": browse_path(c.iri)}
        for c in classes
    ]  # fmt: skip


@bp.get("/browse")
def index() -> ResponseReturnValue:
    """Every class the graph holds, with its count: where browsing starts."""
    found = stats.collect(current_state().store)
    return render_template(
        "browse/index.html", classes=found.classes, ontology=readmodels.ontology()
    )


@bp.get("/browse.json")
def index_json() -> ResponseReturnValue:
    """The same classes as JSON."""
    found = stats.collect(current_state().store)
    return jsonify({"classes": class_entries(found.classes, readmodels.ontology())})


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
