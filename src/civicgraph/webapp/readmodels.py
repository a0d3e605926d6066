"""Read models that live as long as the application, rebuilt per dataset version.

Views ask here for the search index and the ontology model instead of building them
per request; both are part of the application's ``AppState``.
"""

from civicgraph.readmodels.ontology import OntologyDoc
from civicgraph.readmodels.search import Searcher
from civicgraph.webapp.state import current_state


def searcher() -> Searcher:
    """The application's search index."""
    return current_state().searcher


def ontology() -> OntologyDoc:
    """The ontology page's model for the data as loaded now."""
    return current_state().ontology.get()
