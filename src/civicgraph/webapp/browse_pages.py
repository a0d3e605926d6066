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

from civicgraph.errors import NotFoundError
from civicgraph.readmodels.browse import FACETS, PER_PAGE, ClassRow, Listing
from civicgraph.readmodels.labels import local_name
from civicgraph.readmodels.ontology import OntologyDoc, OntologyTerm
from civicgraph.webapp import readmodels
from civicgraph.webapp.paged import asked_page
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


def class_entries(rows: Iterable[ClassRow]) -> list[dict[str, Any]]:
    """The classes as JSON: each with the count its list shows and its place in the tree."""
    return [
        {"iri": r.iri, "name": local_name(r.iri), "label": r.label, "count": r.count,
         "depth": r.depth, "parent": r.parent, "url": browse_path(r.iri)}
        for r in rows
    ]  # fmt: skip


@bp.get("/browse")
def index() -> ResponseReturnValue:
    """Every class the graph holds, with its count: where browsing starts."""
    return render_template("browse/index.html", classes=class_rows())


@bp.get("/browse.json")
def index_json() -> ResponseReturnValue:
    """The same classes as JSON."""
    return jsonify({"classes": class_entries(class_rows())})


def class_rows() -> list[ClassRow]:
    """The classes the graph holds, as the class tables show them."""
    return readmodels.browse().class_rows(readmodels.ontology())


def _listing(name: str) -> tuple[OntologyTerm, Listing]:
    doc = readmodels.ontology()
    term = _class(doc, name)
    chosen = {facet: request.args.get(facet, "") for facet in FACETS}
    page = asked_page()
    per_page = min(max(request.args.get("limit", PER_PAGE, type=int) or 1, 1), MAX_PER_PAGE)
    found = readmodels.browse().listing(
        doc.with_subclasses(term.iri), chosen, doc.label, page, per_page
    )
    return term, found


@bp.get("/browse/<name>")
def page(name: str) -> ResponseReturnValue:
    """The list as a page: facets beside it, pages below it."""
    term, found = _listing(name)
    # Only what the list reads goes into its links: any other parameter would reach
    # ``url_for`` as an argument of its own (``name``, ``_external``, ``_anchor``).
    args = {k: v for k, v in request.args.items() if k in (*FACETS, "limit")}
    label = readmodels.ontology().label
    summaries = {item.iri: item.summary(term.iri, label) for item in found.items}
    return render_template(
        "browse/page.html",
        term=term,
        name=local_name(term.iri),
        found=found,
        args=args,
        summaries=summaries,
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
            "items": [_item(i.iri, i.label, sorted(i.types), sorted(i.years)) for i in found.items],
            "facets": {
                facet: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
                for facet, values in found.facets.items()
            },
        }
    )


def _item(iri: str, label: str, types: list[str], years: list[str]) -> dict[str, Any]:
    return {"iri": iri, "label": label, "types": types, "years": years, "url": entity_path(iri)}
