"""The example gallery: canned queries, their parameter forms, and their text."""

from flask import Blueprint, Response, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue

from civicgraph.errors import UserInputError
from civicgraph.readmodels import gallery
from civicgraph.webapp.state import current_state
from civicgraph.webapp.urls import gallery_path, query_path

bp = Blueprint("gallery", __name__)


@bp.get("/gallery")
def page() -> ResponseReturnValue:
    """Every example with its title and description."""
    return render_template("gallery/page.html", queries=gallery.gallery())


def _entry(query: gallery.CannedQuery) -> dict[str, object]:
    """One example as the JSON twins give it: title, description, parameters, text."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "form": query.form,
        "params": [
            {"name": p.name, "type": p.type, "label": p.label, "default": p.default}
            for p in query.params
        ],
        "text": query.text,
        "url": gallery_path(query.name),
    }


@bp.get("/gallery.json")
def as_json() -> ResponseReturnValue:
    """The gallery as JSON: titles, descriptions, parameters and text."""
    return jsonify([_entry(q) for q in gallery.gallery()])


@bp.get("/gallery/<name>.json")
def example_json(name: str) -> ResponseReturnValue:
    """The JSON twin of one example's page."""
    return jsonify(_entry(gallery.canned(name)))


def _form(query: gallery.CannedQuery, error: str = "", status: int = 200) -> Response:
    store = current_state().store
    choices = {p.name: gallery.options(store, p) for p in query.params}
    html = render_template(
        "gallery/example.html", query=query, choices=choices, values=request.args, error=error
    )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/gallery/<name>")
def example(name: str) -> ResponseReturnValue:
    """One example: its parameters as a form, then its text."""
    return _form(gallery.canned(name))


@bp.get("/gallery/<name>.rq")
def text(name: str) -> ResponseReturnValue:
    """The example's SPARQL, as written."""
    return Response(
        gallery.canned(name).text, content_type="application/sparql-query; charset=utf-8"
    )


@bp.get("/gallery/<name>/open")
def open_in_editor(name: str) -> ResponseReturnValue:
    """Write the chosen values into the query and open it in the editor."""
    query = gallery.canned(name)
    try:
        rendered = gallery.render(query, request.args)
    except UserInputError as error:
        return _form(query, error.detail, 400)
    return redirect(query_path(rendered), code=303)
