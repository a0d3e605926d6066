"""Triple stores behind one protocol; ``open_store`` picks one from the settings."""

from civicgraph.config import Settings
from civicgraph.store.base import GraphInfo, GraphStore, ProgressCallback, RdfInput
from civicgraph.store.embedded import EmbeddedStore
from civicgraph.store.remote import RemoteStore

MEMORY = "memory"


def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name: a directory, ``memory``, or a SPARQL query URL."""
    if settings.is_remote:
        return RemoteStore(settings)
    if settings.store == MEMORY:
        return EmbeddedStore()
    return EmbeddedStore(settings.store)


__all__ = [
    "MEMORY",
    "EmbeddedStore",
    "GraphInfo",
    "GraphStore",
    "ProgressCallback",
    "RdfInput",
    "RemoteStore",
    "open_store",
]
