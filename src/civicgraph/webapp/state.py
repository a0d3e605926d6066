"""What the application holds for its lifetime, reached through ``current_state()``."""

from dataclasses import dataclass

from flask import Flask, current_app

from civicgraph.config import Settings
from civicgraph.dataset.versioned import PerVersion
from civicgraph.dataset.versions import VersionLog
from civicgraph.readmodels import ontology as ontology_doc
from civicgraph.readmodels.browse import BrowseIndex
from civicgraph.readmodels.ontology import OntologyDoc
from civicgraph.readmodels.search import Searcher
from civicgraph.store import GraphStore
from civicgraph.store.guarded import GuardedStore

_KEY = "civicgraph"


@dataclass(frozen=True)
class ReadModels:
    """Models read from the whole store, each built on first use and per dataset version."""

    searcher: Searcher
    ontology: PerVersion[OntologyDoc]
    browse: PerVersion[BrowseIndex]

    @classmethod
    def of(cls, store: GraphStore) -> "ReadModels":
        """The models of a store; nothing is read until a page asks."""
        searcher = Searcher(store)
        return cls(
            searcher,
            PerVersion(store, ontology_doc.build),
            PerVersion(store, lambda s: BrowseIndex.build(s, searcher.index())),
        )


@dataclass
class AppState:
    """Everything one application instance holds: settings, store, version log, models."""

    settings: Settings
    store: GuardedStore
    versions: VersionLog | None
    readmodels: ReadModels


def install(app: Flask, state: AppState) -> None:
    """Attach the state to an application."""
    app.extensions[_KEY] = state


def current_state() -> AppState:
    """The state of the application handling the current request."""
    state: AppState = current_app.extensions[_KEY]
    return state


def current_store(app: Flask) -> GraphStore:
    """The store of an application, outside a request (shutdown hooks, tests)."""
    state: AppState = app.extensions[_KEY]
    return state.store
