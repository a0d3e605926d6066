"""What the application holds for its lifetime, reached through ``current_state()``."""

from dataclasses import dataclass

from flask import Flask, current_app

from civicgraph.config import Settings
from civicgraph.dataset.versions import VersionLog
from civicgraph.store import GraphStore
from civicgraph.store.guarded import GuardedStore

_KEY = "civicgraph"


@dataclass
class AppState:
    """The settings, the open store and the version log of one application instance."""

    settings: Settings
    store: GuardedStore
    versions: VersionLog | None = None


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
