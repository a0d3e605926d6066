"""The one URL builder templates and views use for links to entities and pages.

Entity IRIs live under ``https://w3id.org/civicgraph/id/``; this app serves each at
the same path (``/id/{kind}/{slug}``), so a link is built from the parsed IRI, never
by string surgery in a template.
"""

from flask import Flask, url_for

from civicgraph.vocab import parse_entity_iri


def entity_path(iri: str, suffix: str = "") -> str | None:
    """The local path of an entity page (``suffix`` ``.ttl`` or ``.jsonld`` for RDF)."""
    ref = parse_entity_iri(iri)
    if ref is None:
        return None
    return url_for("pages.home") + f"id/{ref.kind}/{ref.slug}{suffix}"


def register(app: Flask) -> None:
    """Make the builders available to every template."""
    app.jinja_env.globals["entity_path"] = entity_path
