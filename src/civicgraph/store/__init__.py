"""Triple stores behind one protocol; ``open_store`` picks one from the settings."""

from civicgraph.config import Settings
from civicgraph.errors import UserInputError
from civicgraph.store.base import GraphInfo, GraphStore, ProgressCallback, Source
from civicgraph.store.embedded import EmbeddedStore

MEMORY = "memory"


def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name: a directory or ``memory``."""
    if settings.is_remote:
        raise UserInputError(f"Remote stores are not supported by this version: {settings.store}")
    if settings.store == MEMORY:
        return EmbeddedStore()
    return EmbeddedStore(settings.store)


__all__ = [
    "MEMORY",
    "EmbeddedStore",
    "GraphInfo",
    "GraphStore",
    "ProgressCallback",
    "Source",
    "open_store",
]
