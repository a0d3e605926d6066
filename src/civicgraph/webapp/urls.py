"""The one URL builder templates and views use for links to entities and pages.

Entity IRIs live under ``https://w3id.org/civicgraph/id/``; this app serves each at
the same path (``/id/{kind}/{slug}``), so a link is built from the parsed IRI, never
by string surgery in a template. Ontology terms link to their anchor on the ontology
page; pages of other areas (the network explorer) are reached by their fixed paths.
Any other IRI from data becomes a link only through ``href_for``, and only when it is
``http`` or ``https``: ``javascript:`` or ``data:`` IRIs are legal RDF and would run
script when clicked.
"""

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, request, url_for

from civicgraph.formats import Format
from civicgraph.readmodels.labels import local_name
from civicgraph.vocab import CIV, parse_entity_iri
from civicgraph.webapp.state import current_state

_ONTOLOGY_NS = CIV.namespace


def _root() -> str:
    """The application's root path, with a trailing slash, under any script root."""
    return url_for("pages.home")


def external_url(path: str) -> str:
    """The absolute address of a path of this server (as ``url_for`` gives it), as readers
    reach it: the configured public address, else the one this request came to.

    Behind a reverse proxy a request comes to the proxy's inside address
    (``127.0.0.1:8000``), which no citation or dataset description should carry.
    """
    public = current_state().settings.public_url.rstrip("/")
    return (public or request.host_url.rstrip("/")) + path


def entity_path(iri: str, suffix: str = "") -> str | None:
    """The local path of an entity page (``suffix`` ``.ttl`` or ``.jsonld`` for RDF)."""
    ref = parse_entity_iri(iri)
    if ref is None:
        return None
    return _root() + f"id/{ref.kind}/{ref.slug}{suffix}"


def ontology_term_path(iri: str) -> str | None:
    """The anchor of an ontology class or property on the ontology page."""
    if not iri.startswith(_ONTOLOGY_NS) or len(iri) == len(_ONTOLOGY_NS):
        return None
    return url_for("ontology.page") + "#" + iri[len(_ONTOLOGY_NS) :]


def term_path(iri: str) -> str | None:
    """Where this app shows an IRI: its entity page or its ontology entry, if any."""
    return entity_path(iri) or ontology_term_path(iri)


#: The only schemes an IRI from data may have to become a link.
WEB_SCHEMES = frozenset({"http", "https"})


def web_iri(iri: str) -> str | None:
    """``iri`` if it is an ``http``/``https`` IRI, else ``None``.

    Browsers ignore leading spaces and control characters and tabs or newlines
    inside the scheme; an RDF IRI holds none of them, but a literal (a source's
    ``schema:url``) may, so anything with them is refused too.
    """
    if any(ch <= " " for ch in iri):
        return None
    try:
        scheme = urlsplit(iri).scheme
    except ValueError:
        return None
    return iri if scheme.lower() in WEB_SCHEMES else None


def href_for(iri: str) -> str | None:
    """Where a link to ``iri`` goes: this app's page for it, else the IRI if it is web.

    Every template that links an IRI from data uses this; ``None`` means: show it
    as text.
    """
    return term_path(iri) or web_iri(iri)


def search_path(text: str = "") -> str:
    """The search page, with a query when given."""
    return url_for("search.page", q=text) if text else url_for("search.page")


def query_path(text: str = "") -> str:
    """The query editor; with text, a permalink that restores that query."""
    return url_for("query.page", query=text) if text else url_for("query.page")


def gallery_path(name: str = "") -> str:
    """The example gallery, or one example's form."""
    return url_for("gallery.example", name=name) if name else url_for("gallery.page")


def explorer_path(focus: str = "") -> str:
    """The network explorer, centred on an entity when given."""
    path = _root() + "graph"
    return f"{path}?{urlencode({'focus': focus})}" if focus else path


def browse_path(iri: str) -> str:
    """The list of every entity of a class (its sub-classes included)."""
    return url_for("browse.page", name=local_name(iri))


def export_path(fmt: Format, graph: str | None = None, version: int | None = None) -> str:
    """A download of the dataset, or of one named graph, in one format, now or as it was."""
    args: dict[str, Any] = {"format": fmt.name}
    if graph is not None:
        args["graph"] = graph
    if version is not None:
        args["version"] = version
    return url_for("export.download", **args)


BUILDERS = {
    "entity_path": entity_path,
    "ontology_term_path": ontology_term_path,
    "term_path": term_path,
    "href_for": href_for,
    "search_path": search_path,
    "query_path": query_path,
    "gallery_path": gallery_path,
    "explorer_path": explorer_path,
    "export_path": export_path,
    "browse_path": browse_path,
}


def register(app: Flask) -> None:
    """Make the builders available to every template."""
    app.jinja_env.globals.update(BUILDERS)
