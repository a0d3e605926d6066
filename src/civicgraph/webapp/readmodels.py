"""Read models that live as long as the application, rebuilt per dataset version.

Views ask here for the search index and the ontology model instead of building
them per request; each is created on first use for the application's store.
"""

import threading
from dataclasses import dataclass

from flask import current_app

from civicgraph.dataset.versioned import PerVersion
from civicgraph.readmodels import ontology as ontology_doc
from civicgraph.readmodels.browse import BrowseIndex
from civicgraph.readmodels.ontology import OntologyDoc
from civicgraph.readmodels.search import Searcher
from civicgraph.webapp.state import current_state

_KEY = "civicgraph.readmodels"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ReadModels:
    """The cached models of one application."""

    searcher: Searcher
    ontology: PerVersion[OntologyDoc]
    browse: PerVersion[BrowseIndex]


def _models() -> ReadModels:
    extensions = current_app.extensions
    with _LOCK:
        if _KEY not in extensions:
            store = current_state().store
            searcher = Searcher(store)
            extensions[_KEY] = ReadModels(
                searcher,
                PerVersion(store, ontology_doc.build),
                PerVersion(store, lambda s: BrowseIndex.build(s, searcher.index())),
            )
        models: ReadModels = extensions[_KEY]
        return models


def searcher() -> Searcher:
    """The application's search index."""
    return _models().searcher


def ontology() -> OntologyDoc:
    """The ontology page's model for the data as loaded now."""
    return _models().ontology.get()


def browse() -> BrowseIndex:
    """The per-class lists' index for the data as loaded now."""
    return _models().browse.get()
