"""Triple stores behind one protocol; ``open_store`` picks one from the settings.

``RemoteStore`` is imported when it is first named: it brings in an HTTP client (a
tenth of a second), which the store's helper processes, embedded only, do not use.
"""

from typing import TYPE_CHECKING, Any

from civicgraph.config import Settings
from civicgraph.store.base import GraphInfo, GraphStore, ProgressCallback, RdfInput
from civicgraph.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from civicgraph.store.remote import RemoteStore

MEMORY = "memory"


def __getattr__(name: str) -> Any:
    if name != "RemoteStore":
        raise AttributeError(f"module 'civicgraph.store' has no attribute {name!r}")
    from civicgraph.store.remote import RemoteStore  # noqa: PLC0415

    return RemoteStore


def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name: a directory, ``memory``, or a SPARQL query URL."""
    if settings.is_remote:
        from civicgraph.store.remote import RemoteStore  # noqa: PLC0415

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
