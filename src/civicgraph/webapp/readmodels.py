"""The application's read models, for views: built once per dataset version.

Views ask here for the search index and the ontology model instead of building them
per request; ``AppState.readmodels`` holds them for the application's lifetime.
"""

from collections.abc import Iterable

from civicgraph.readmodels.browse import BrowseIndex
from civicgraph.readmodels.claims import claim_names
from civicgraph.readmodels.ontology import OntologyDoc
from civicgraph.readmodels.search import Searcher
from civicgraph.webapp.state import current_state


def searcher() -> Searcher:
    """The application's search index."""
    return current_state().readmodels.searcher


def ontology() -> OntologyDoc:
    """The ontology page's model for the data as loaded now."""
    return current_state().readmodels.ontology.get()


def browse() -> BrowseIndex:
    """The per-class lists' index for the data as loaded now."""
    return current_state().readmodels.browse.get()


def names(iris: Iterable[str]) -> dict[str, str]:
    """The names pages show for ``iris``: an entity's from the search index, a claim's
    from what it claims (a statement has no label, and its slug speaks to no one)."""
    wanted = list(iris)
    known = searcher().index().labels(wanted)
    known.update(claim_names(current_state().store, (i for i in wanted if i not in known)))
    return known
