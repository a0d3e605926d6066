"""The Flask application: ``create_app(settings)`` builds it and does nothing at import."""

from functools import partial

from flask import Flask

from civicgraph.config import Settings, from_env
from civicgraph.dataset.loader import load_bundled
from civicgraph.dataset.versions import START, WRITE_TOKEN, VersionLog, log_for, record_quietly
from civicgraph.resources import web_dir
from civicgraph.store import GraphStore, open_store
from civicgraph.store.guarded import GuardedStore
from civicgraph.vocab import graph_name
from civicgraph.webapp import (
    browse_pages,
    bundle_pages,
    cite_pages,
    cors,
    entity_pages,
    errors,
    export_pages,
    gallery_pages,
    graph,
    graph_store,
    ontology_pages,
    pages,
    query_pages,
    search_pages,
    sparql,
    twins,
    update,
    urls,
    versions_pages,
)
from civicgraph.webapp.bodies import JSON_LIMIT
from civicgraph.webapp.fastpath import QueryFastPath
from civicgraph.webapp.security import add_security_headers
from civicgraph.webapp.state import AppState, ReadModels, install


def _record_write(log: VersionLog, store: GraphStore, action: str) -> None:
    """Record the version after a write applied in this process."""
    record_quietly(log, store, who=WRITE_TOKEN, action=action)


def create_app(
    settings: Settings | None = None,
    store: GraphStore | None = None,
    *,
    warm: bool = True,
    record_start: bool = True,
) -> Flask:
    """Build the application: validate settings, open the store, register everything.

    The store is wrapped in a ``GuardedStore``, so every query the application runs
    (pages, search, network views, the endpoint) is checked and time-limited. Under
    ``civicgraph serve`` the writer process records the version found at start, once
    (``record_start=False`` in each serving process): a record reads the whole store.
    """
    settings = settings or from_env()
    store = store if store is not None else open_store(settings)
    if settings.load_bundled:
        load_bundled(store)
    versions = log_for(settings)
    guarded = store if isinstance(store, GuardedStore) else GuardedStore(store, settings)
    if versions is not None:
        if record_start:
            record_quietly(versions, guarded.primary, who="civicgraph serve", action=START)
        if guarded.on_write is None:  # a serving process's writer records them itself
            guarded.on_write = partial(_record_write, versions, guarded.primary)
    app = Flask(
        __name__,
        template_folder=str(web_dir() / "templates"),
        static_folder=str(web_dir() / "static"),
    )
    # The default for a route that sets no limit of its own; the routes that take
    # larger bodies (queries, updates, uploads) raise it for their own requests only.
    app.config["MAX_CONTENT_LENGTH"] = JSON_LIMIT
    state = AppState(settings, guarded, versions, ReadModels.of(guarded))
    install(app, state)
    for blueprint in (
        pages.bp,
        entity_pages.bp,
        search_pages.bp,
        browse_pages.bp,
        query_pages.bp,
        gallery_pages.bp,
        export_pages.bp,
        ontology_pages.bp,
        sparql.bp,
        update.bp,
        graph_store.bp,
        versions_pages.bp,
        cite_pages.bp,
        bundle_pages.bp,
    ):
        app.register_blueprint(blueprint)
    graph.install(app, warm=warm)
    twins.install(app)
    cors.install(app)
    errors.register(app)
    urls.register(app)
    app.jinja_env.globals["graph_name"] = graph_name
    app.after_request(add_security_headers)
    app.wsgi_app = QueryFastPath(app, state)  # type: ignore[method-assign]
    return app
