"""Pages and their JSON twins: a client that asks a page's address for JSON gets JSON.

Each page below has a twin (``/index.json``, ``/search.json``, ``/browse.json``,
``/browse/Person.json``, ``/gallery.json``, ``/gallery/{name}.json``,
``/versions.json``, ``/ontology.json``, ``/export.json``; ``/api/graph`` for the
network explorer, and ``/sparql`` for the query editor: its query's results) that
its head announces with ``<link rel="alternate">``. A script that sends ``Accept:
application/json`` to the page's own address, or adds ``?format=json``, gets the
twin's answer there instead of HTML to scrape; a browser, which prefers HTML, gets
the page. Both answers say ``Vary: Accept``.
"""

from typing import Final

from flask import Flask, Response, current_app, make_response, request

from civicgraph.formats import preferred

#: Each page's endpoint, and its twin's.
TWINS: Final = {
    "pages.home": "pages.home_json",
    "search.page": "search.as_json",
    "browse.index": "browse.index_json",
    "browse.page": "browse.as_json",
    "gallery.page": "gallery.as_json",
    "gallery.example": "gallery.example_json",
    "versions.listing": "versions.listing_json",
    "ontology.page": "ontology.as_json",
    "export.page": "export.as_json",
    "graph.page": "graph.api_graph",
    "query.page": "sparql.query",
}


def asks_json() -> bool:
    """True when the client adds ``?format=json`` or names JSON above HTML: a page's
    address answers a page by default (``*/*``, a browser's list)."""
    if request.args.get("format") == "json":
        return True
    accept = request.headers.get("Accept")
    return preferred(accept, ["text/html", "application/json"]) == "application/json"


def install(app: Flask) -> None:
    """Answer JSON at a page's address when asked, and say that the answer varies."""
    app.before_request(_twin_when_asked)
    app.after_request(_vary)


def _twin_when_asked() -> Response | None:
    twin = TWINS.get(request.endpoint or "")
    if twin is None or not asks_json():
        return None
    return make_response(current_app.view_functions[twin](**(request.view_args or {})))


def _vary(response: Response) -> Response:
    if request.endpoint in TWINS:
        response.vary.add("Accept")
    return response
