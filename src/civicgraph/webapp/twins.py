"""Pages and their JSON twins: a client that asks a page's address for JSON gets JSON.

Each page below has a twin (``/index.json``, ``/search.json``, ``/browse.json``,
``/browse/Person.json``, ``/gallery.json``, ``/gallery/{name}.json``,
``/versions.json``, ``/ontology.json``, ``/export.json``; ``/api/graph`` for the
network explorer, and ``/sparql`` for the query editor: its query's results, or the
service description without one) that
its head announces with ``<link rel="alternate">``. A script that sends ``Accept:
application/json`` to the page's own address, or adds ``?format=json``, gets the
twin's answer there instead of HTML to scrape; a browser, which prefers HTML, gets
the page. Both answers say ``Vary: Accept``.
"""

from collections.abc import Sequence
from typing import Final

from flask import Flask, Response, current_app, make_response, request

from civicgraph.formats import Kind, formats_for, preferred

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


#: The RDF a page also answers at its own address (the ontology, the service
#: description): a client that ranks one of them above JSON gets it, not the twin.
RDF_TYPES: Final = tuple(m for f in formats_for(Kind.GRAPH) for m in f.media_types)
#: The pages that also answer RDF.
_ALSO_RDF: Final = frozenset({"ontology.page"})


def asks_json(also: Sequence[str] = ()) -> bool:
    """True when the client adds ``?format=json`` or names JSON above HTML and above
    what else the page answers (``also``): a page's address answers a page by default
    (``*/*``, a browser's list)."""
    if request.args.get("format") == "json":
        return True
    accept = request.headers.get("Accept")
    offered = ["text/html", "application/json", *also]
    return preferred(accept, offered) == "application/json"


def install(app: Flask) -> None:
    """Answer JSON at a page's address when asked, and say that the answer varies."""
    app.before_request(_twin_when_asked)
    app.after_request(_vary)


def _twin_when_asked() -> Response | None:
    endpoint = request.endpoint or ""
    twin = TWINS.get(endpoint)
    if twin is None or not asks_json(RDF_TYPES if endpoint in _ALSO_RDF else ()):
        return None
    return make_response(current_app.view_functions[twin](**(request.view_args or {})))


def _vary(response: Response) -> Response:
    if request.endpoint in TWINS:
        response.vary.add("Accept")
    return response
