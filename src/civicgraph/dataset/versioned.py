"""Values computed from the whole dataset, kept until the dataset version changes.

The search index, the ontology page and the dataset description each read the whole
store; they are rebuilt when ``loader.dataset_version`` changes rather than on every
request.
"""

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from civicgraph.dataset.loader import dataset_version
from civicgraph.store import GraphStore

T = TypeVar("T")


class PerVersion(Generic[T]):
    """One value built from a store, rebuilt when the store's dataset version changes."""

    def __init__(self, store: GraphStore, build: Callable[[GraphStore], T]) -> None:
        self._store, self._build = store, build
        self._lock = threading.Lock()
        self._version: str | None = None
        self._value: T | None = None

    def get(self) -> T:
        """The value for the data as loaded now."""
        version = dataset_version(self._store)
        with self._lock:
            if self._value is None or version != self._version:
                self._value = self._build(self._store)
                self._version = version
            return self._value
