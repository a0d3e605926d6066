"""What the application holds for its lifetime, in one place, reached through ``current_state()``.

``create_app`` builds one ``AppState``: the settings, the guarded store, the read
models rebuilt per dataset version, and the network explorer once ``graph.install``
attached it. Nothing else keeps state on the application or in module globals.
"""

from dataclasses import dataclass, field

from flask import Flask, current_app

from civicgraph.config import Settings
from civicgraph.dataset.versioned import PerVersion
from civicgraph.network import NetworkExplorer
from civicgraph.readmodels import ontology as ontology_doc
from civicgraph.readmodels.ontology import OntologyDoc
from civicgraph.readmodels.search import Searcher
from civicgraph.store import GraphStore
from civicgraph.store.guarded import GuardedStore

_KEY = "civicgraph"


@dataclass
class AppState:
    """The settings, the open store and the cached models of one application."""

    settings: Settings
    store: GuardedStore
    searcher: Searcher = field(init=False)
    ontology: PerVersion[OntologyDoc] = field(init=False)
    #: The network explorer, once ``graph.install`` has attached it.
    network: NetworkExplorer | None = None

    def __post_init__(self) -> None:
        self.searcher = Searcher(self.store)
        self.ontology = PerVersion(self.store, ontology_doc.build)


def install(app: Flask, state: AppState) -> None:
    """Attach the state to an application."""
    app.extensions[_KEY] = state


def state_of(app: Flask) -> AppState:
    """The state of an application, outside a request (set-up, shutdown hooks, tests)."""
    state: AppState = app.extensions[_KEY]
    return state


def current_state() -> AppState:
    """The state of the application handling the current request."""
    return state_of(current_app)


def current_store(app: Flask) -> GraphStore:
    """The store of an application, outside a request (shutdown hooks, tests)."""
    return state_of(app).store
