"""The projection cached per dataset version, and the calls views, CLI and benchmark use.

Building the projection reads the whole store, so it happens once per dataset version
(``loader.dataset_version``), in a background thread, and is shared by every request;
metrics and communities are computed in the background on first use and cached with
it. A request waits for that work only as long as its ``WaitPolicy`` allows and is told
to come back (``PreparingError``) past that. Each request then works on the cached
graph only, bounded by the node cap.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import networkx as nx
from pyoxigraph import Triple

from civicgraph.network.analysis import (
    CommunityMethod,
    Facets,
    Measure,
    best_connected,
    communities,
    community_index,
    community_names,
    degrees,
    facets,
    measure,
    undirected,
)
from civicgraph.network.background import BackgroundBuild, Report, Task, Tasks, WaitPolicy
from civicgraph.network.model import INFO
from civicgraph.network.paths import PathResult, find_paths
from civicgraph.network.projection import ProjectionOptions, project
from civicgraph.network.timeline import Dated, as_of
from civicgraph.network.triples import from_triples
from civicgraph.network.views import View, ViewRequest, build_view
from civicgraph.store import GraphStore
from civicgraph.vocab import CIV

#: Builds the network of a store, reporting progress (``project`` unless a test slows it).
Builder = Callable[[GraphStore, ProjectionOptions, Report], nx.MultiDiGraph]

T = TypeVar("T")
#: Dated networks kept per projection: a time slider playing through the years needs a
#: couple of dozen; any more and arbitrary dates could fill memory.
DAYS_KEPT = 32
_DOCUMENT = CIV.Document.value


@dataclass
class Projection:
    """One dataset version's network, with its analytics computed on demand."""

    graph: nx.MultiDiGraph
    patience: WaitPolicy = field(default_factory=WaitPolicy)
    _cache: dict[str, object] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _slow: Tasks = field(init=False)
    _days: "OrderedDict[tuple[str, bool], DatedProjection]" = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self._slow = Tasks(self.patience)

    def _cached(self, key: str, compute: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = compute()
            value: T = self._cache[key]  # type: ignore[assignment]
            return value

    def degrees(self) -> dict[str, int]:
        """Distinct neighbours per node."""
        return self._cached("degrees", lambda: degrees(self.graph))

    def measure(self, name: Measure) -> dict[str, float]:
        """A centrality measure per node (computed in the background but for degree)."""
        if name == "degree":
            return self._cached("measure:degree", lambda: measure(self.graph, name))
        return self._slow.get(
            f"measure:{name}", f"{name} ranking", lambda _: measure(self.graph, name)
        )

    def communities(self, method: CommunityMethod) -> list[frozenset[str]]:
        """Communities, largest first (computed in the background)."""
        return self._slow.get(
            f"communities:{method}",
            f"{method} community detection",
            lambda _: communities(self.graph, method),
        )

    def community_of(self, method: CommunityMethod) -> dict[str, int]:
        """Each node's community number."""
        return self._cached(f"index:{method}", lambda: community_index(self.communities(method)))

    def community_labels(self, method: CommunityMethod) -> list[str]:
        """Each community's name, by number."""
        return self._cached(
            f"names:{method}", lambda: community_names(self.graph, self.communities(method))
        )

    def named_communities(self, method: CommunityMethod) -> dict[str, tuple[int, str]]:
        """Each node's community number and that community's name."""
        names = self.community_labels(method)
        return {node: (n, names[n]) for node, n in self.community_of(method).items()}

    def facets(self) -> Facets:
        """Classes, relations and sources present, for filter menus."""
        return self._cached("facets", lambda: facets(self.graph))

    def connections(self) -> nx.Graph:
        """The graph with direction and parallel edges collapsed, for path search."""
        return self._cached("undirected", lambda: undirected(self.graph))

    def documents(self) -> frozenset[str]:
        """The nodes that are documents (sources), which paths avoid by default."""
        return self._cached(
            "documents",
            lambda: frozenset(
                n for n, d in self.graph.nodes(data=True) if d[INFO].group == _DOCUMENT
            ),
        )

    def hub(self) -> str | None:
        """The best-connected entity."""
        return best_connected(self.graph)

    def at(self, day: str, *, hide_undated: bool = False) -> "DatedProjection":
        """The network as it stood on ``day``, kept for the last few days asked for."""
        key = (day, hide_undated)
        with self._lock:
            found = self._days.pop(key, None)
            if found is None:
                dated = as_of(self.graph, day, hide_undated=hide_undated)
                found = DatedProjection(Projection(dated.graph, self.patience), dated)
            self._days[key] = found
            while len(self._days) > DAYS_KEPT:
                self._days.popitem(last=False)
            return found


@dataclass(frozen=True)
class DatedProjection:
    """A projection of the network on one day, and what in it carries no date."""

    projection: Projection
    dated: Dated


class NetworkExplorer:
    """Network views over one store, rebuilding the projection when the data change."""

    def __init__(
        self,
        store: GraphStore,
        node_cap: int = 500,
        options: ProjectionOptions | None = None,
        *,
        patience: WaitPolicy | None = None,
        builder: Builder = project,
    ) -> None:
        """``patience`` of None blocks until work is done (the CLI and the benchmark)."""
        self.store, self.node_cap, self.options = store, node_cap, options or ProjectionOptions()
        self.patience = patience or WaitPolicy()
        self._builder = builder
        self._current = BackgroundBuild(store, "network", self._build, self.patience)

    def _build(self, store: GraphStore, report: Report) -> Projection:
        return Projection(self._builder(store, self.options, report), self.patience)

    def warm(self) -> Task[Projection]:
        """Start building the current dataset version's projection, if not under way."""
        return self._current.start()

    def projection(self) -> Projection:
        """The projection of the store's current dataset version (PreparingError meanwhile)."""
        return self._current.get()

    def view(
        self,
        request: ViewRequest,
        method: CommunityMethod = "greedy",
        *,
        projection: Projection | None = None,
    ) -> View:
        """The nodes and edges a request asks for, within the node cap (on a day if given)."""
        current = projection or self.projection()
        return build_view(
            current.graph,
            request,
            self.node_cap,
            degrees=current.degrees(),
            community_of=lambda: current.named_communities(method),
        )

    def result_view(self, triples: Iterable[Triple], request: ViewRequest) -> View:
        """The network of a CONSTRUCT or DESCRIBE result."""
        current = self.projection()
        graph = from_triples(current.graph, triples)
        return build_view(graph, request, self.node_cap, degrees=current.degrees())

    def paths(
        self,
        source: str,
        target: str,
        *,
        max_hops: int = 4,
        k: int = 5,
        relations: frozenset[str] | None = None,
        through_documents: bool = False,
        projection: Projection | None = None,
    ) -> PathResult:
        """Shortest and simple paths between two entities, with evidence on each hop.

        Documents are sources, not actors: paths go through them only on request.
        """
        current = projection or self.projection()
        return find_paths(
            current.graph,
            source,
            target,
            max_hops=max_hops,
            k=k,
            relations=relations,
            connections=current.connections(),
            avoid=frozenset() if through_documents else current.documents(),
        )

    def hub_view(self, depth: int = 1) -> View:
        """The ego network of the best-connected entity (empty for an empty store)."""
        hub = self.projection().hub()
        if hub is None:
            return View((), ())
        return self.view(ViewRequest(focus=hub, depth=depth))


def ego_of_best_connected_hub(store: GraphStore, depth: int = 1, node_cap: int = 500) -> View:
    """Build the projection and return the hub's ego network (a benchmark entry point)."""
    return NetworkExplorer(store, node_cap).hub_view(depth)


def paths_between(
    store: GraphStore, source: str, target: str, max_hops: int = 4, k: int = 5
) -> PathResult:
    """Build the projection and find paths between two entities (a benchmark entry point)."""
    return NetworkExplorer(store).paths(source, target, max_hops=max_hops, k=k)
