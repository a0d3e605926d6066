"""The projection per dataset version, and the calls views, CLI and benchmark use.

Building the projection reads the whole store, so it happens once per dataset version
(``loader.dataset_version``) and, over an on-disk store, once for all processes: the
compact arrays are written beside the store and mapped by each process
(``network.shared``). A process starts getting them in a background thread; a request
waits for that only as long as its ``WaitPolicy`` allows and is told to come back
(``PreparingError``) past that. Each request then walks the shared arrays, bounded by
the node cap, and only the part it shows becomes networkx objects; evidence is read
from the store for the edges shown (``network.evidence``). Metrics and communities
are computed by networkx on demand, in the background, and kept beside the arrays.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import numpy as np
from numpy.typing import NDArray
from pyoxigraph import Triple

from civicgraph.dataset.loader import dataset_version
from civicgraph.errors import NotFoundError
from civicgraph.network.analysis import (
    CommunityMethod,
    Facets,
    Measure,
    community_names,
    facets,
    measure,
)
from civicgraph.network.analysis import communities as find_communities
from civicgraph.network.background import BackgroundBuild, Report, Tasks, WaitPolicy
from civicgraph.network.compact import Compact, arrays_of
from civicgraph.network.dated import Dated, Scope, as_of
from civicgraph.network.evidence import path_evidence, view_evidence
from civicgraph.network.model import NodeInfo
from civicgraph.network.paths import MAX_HOPS, PathResult, check, find_paths
from civicgraph.network.projection import ProjectionOptions, project
from civicgraph.network.select import between, edges_among, hops_between, select
from civicgraph.network.shared import LAYOUT, SharedFiles, folder_beside, save, store_path
from civicgraph.network.triples import from_triples
from civicgraph.network.views import (
    Overflow,
    View,
    ViewEdge,
    ViewNode,
    ViewRequest,
    aggregate,
    build_view,
    community_key,
    laid_out,
)
from civicgraph.store import GraphStore
from civicgraph.store.views import ViewSource, ViewStore
from civicgraph.vocab import CIV

#: Builds the network of a store, reporting progress (``project`` unless a test slows it).
Builder = Callable[[GraphStore, ProjectionOptions, Report], nx.MultiDiGraph]

T = TypeVar("T")
#: Dated networks kept per projection: a time slider playing through the years needs a
#: couple of dozen; any more and arbitrary dates could fill memory.
DAYS_KEPT = 32
_DOCUMENT = CIV.Document.value


class NodeValues(Mapping[str, T]):
    """A value per entity held in an array by node number, read as a mapping by IRI."""

    def __init__(self, scope: Scope, values: NDArray[Any], convert: Callable[[Any], T]) -> None:
        self._scope, self._values, self._convert = scope, values, convert

    def __getitem__(self, iri: str) -> T:
        found = self._scope.index(iri)
        if found is None:
            raise KeyError(iri)
        return self._convert(self._values[found])

    def __iter__(self) -> Iterator[str]:
        return (self._scope.model.iri(int(n)) for n in np.flatnonzero(self._scope.nodes))

    def __len__(self) -> int:
        return int(self._scope.nodes.sum())


def _distinct_neighbours(scope: Scope) -> NDArray[np.int64]:
    """Distinct neighbours per node, whatever the direction, self-loops left out."""
    ends = scope.model.ends[scope.edges]
    ends = ends[ends[:, 0] != ends[:, 1]]
    pairs = np.unique(np.sort(ends, axis=1), axis=0) if len(ends) else ends
    found: NDArray[np.int64] = np.bincount(pairs.ravel(), minlength=scope.model.node_count)
    return found


def _by_number(values: Mapping[Any, float], count: int) -> NDArray[Any]:
    found = np.zeros(count, dtype=np.float64)
    for node, value in values.items():
        found[node] = value
    return found


@dataclass
class Projection:
    """One dataset version's network (or its state on a day), analytics computed on demand.

    The slow analytics (centrality but degree, communities) are the whole network's,
    computed once per dataset version and shared by every process, also for the
    network on a day (``whole``), which shows them for the entities it holds. Computed
    for each day apart, every new day asked for started a computation in a thread of
    its own, past the time limit and the memory budget, in each serving process: a
    dozen requests held two cores for a minute.
    """

    scope: Scope
    patience: WaitPolicy = field(default_factory=WaitPolicy)
    files: SharedFiles | None = None
    key: str = ""
    #: The whole network, of which this projection is the state on one day.
    whole: "Projection | None" = None
    _cache: dict[str, Any] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _slow: Tasks = field(init=False)
    _days: "OrderedDict[tuple[str, bool], DatedProjection]" = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self._slow = Tasks(self.patience)

    @property
    def model(self) -> Compact:
        """The arrays this projection reads."""
        return self.scope.model

    def _cached(self, key: str, compute: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = compute()
            value: T = self._cache[key]
            return value

    def _kept(self, name: str, compute: Callable[[], NDArray[Any]]) -> NDArray[Any]:
        """A per-node result, kept beside the shared arrays when there are any."""
        if self.files is None:
            return compute()
        return self.files.array(self.key, name, compute)

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and self.scope.index(iri) is not None

    def node_info(self, iri: str) -> NodeInfo:
        """The record of an entity in the network (NotFoundError when it is not)."""
        found = self.scope.index(iri)
        if found is None:
            raise NotFoundError(f"No entity {iri} in the network", iri)
        return self.model.node_info(found)

    @property
    def node_count(self) -> int:
        """How many entities the projection holds."""
        return int(self.scope.nodes.sum())

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The whole network as networkx, built on demand (evidence summarised, not held)."""
        return self.model.subgraph(
            np.flatnonzero(self.scope.nodes), np.flatnonzero(self.scope.edges)
        )

    def structure(self) -> nx.MultiDiGraph:
        """The network's shape alone, nodes numbered: what networkx algorithms run on."""
        graph = nx.MultiDiGraph()
        graph.add_nodes_from(int(n) for n in np.flatnonzero(self.scope.nodes))
        ends = self.model.ends[self.scope.edges]
        graph.add_edges_from((int(u), int(v)) for u, v in ends)
        return graph

    def degree_array(self) -> NDArray[np.int64]:
        """Distinct neighbours per node number."""
        return self._cached("degree", lambda: _distinct_neighbours(self.scope))

    def degrees(self) -> Mapping[str, int]:
        """Distinct neighbours per node."""
        return NodeValues(self.scope, self.degree_array(), int)

    def _measure_array(self, name: Measure) -> NDArray[Any]:
        if name == "degree":
            return self.degree_array().astype(np.float64)
        return self._kept(
            f"measure-{name}",
            lambda: _by_number(measure(self.structure(), name), self.model.node_count),
        )

    def measure(self, name: Measure) -> Mapping[str, float]:
        """A centrality measure per node (computed in the background but for degree)."""
        if name == "degree":
            return NodeValues(self.scope, self._measure_array(name), float)
        whole = self.whole or self
        values = whole._slow.get(
            f"measure:{name}", f"{name} ranking", lambda _: whole._measure_array(name)
        )
        return NodeValues(self.scope, values, float)

    def _community_array(self, method: CommunityMethod) -> NDArray[Any]:
        def compute() -> NDArray[Any]:
            numbers = np.full(self.model.node_count, -1, dtype=np.int64)
            for number, members in enumerate(find_communities(self.structure(), method)):
                numbers[sorted(members)] = number
            return numbers

        return self._kept(f"communities-{method}", compute)

    def communities(self, method: CommunityMethod) -> list[frozenset[str]]:
        """Communities, largest first (computed in the background): the whole network's,
        of the entities this projection holds."""
        whole = self.whole or self
        numbers = whole._slow.get(
            f"communities:{method}",
            f"{method} community detection",
            lambda _: whole._community_array(method),
        )
        return self._cached(f"members:{method}", lambda: self._members(numbers))

    def _members(self, numbers: NDArray[Any]) -> list[frozenset[str]]:
        found: list[set[str]] = [set() for _ in range(int(numbers.max(initial=-1)) + 1)]
        for node in np.flatnonzero((numbers >= 0) & self.scope.nodes):
            found[int(numbers[node])].add(self.model.iri(int(node)))
        return [frozenset(members) for members in found if members]

    def community_of(self, method: CommunityMethod) -> dict[str, int]:
        """Each node's community number."""
        return self._cached(
            f"index:{method}",
            lambda: {n: i for i, members in enumerate(self.communities(method)) for n in members},
        )

    def community_labels(self, method: CommunityMethod) -> list[str]:
        """Each community's name, by number."""
        return self._cached(
            f"names:{method}",
            lambda: community_names(self.communities(method), self.degrees(), self.label),
        )

    def named_communities(self, method: CommunityMethod) -> dict[str, tuple[int, str]]:
        """Each node's community number and that community's name."""
        names = self.community_labels(method)
        return {node: (n, names[n]) for node, n in self.community_of(method).items()}

    def label(self, iri: str) -> str:
        """An entity's label."""
        return self.node_info(iri).label

    def facets(self) -> Facets:
        """Classes, relations and sources present, for filter menus."""
        return self._cached("facets", lambda: facets(self.scope))

    def documents(self) -> NDArray[np.bool_]:
        """The nodes that are documents (sources), which paths avoid by default."""
        sid = self.model.sid(_DOCUMENT)
        found: NDArray[np.bool_] = self.model.nodes[:, 4] == (-1 if sid is None else sid)
        return found

    def hub(self) -> str | None:
        """The best-connected entity (the first IRI among ties)."""
        if not self.scope.nodes.any():
            return None
        ranked = np.where(self.scope.nodes, self.degree_array(), -1)
        return self.model.iri(int(np.argmax(ranked)))

    def first_year(self) -> int:
        """The first year any entity dates from (-1 when none has a date)."""
        return int(self.model.first_year[0])

    def relation_labels(self) -> dict[str, str]:
        """The label of each relation the network has."""
        return self._cached("relations", self._relation_labels)

    def _relation_labels(self) -> dict[str, str]:
        pairs = np.unique(self.model.edges[:, 1:3], axis=0)
        return {self.model.text(int(p)): self.model.text(int(label)) for p, label in pairs}

    def at(self, day: str, *, hide_undated: bool = False) -> "DatedProjection":
        """The network as it stood on ``day``, kept for the last few days asked for."""
        key = (day, hide_undated)
        with self._lock:
            found = self._days.pop(key, None)
            if found is None:
                dated = as_of(self.model, day, hide_undated=hide_undated)
                scope = Scope(self.model, dated.nodes, dated.edges)
                found = DatedProjection(Projection(scope, self.patience, whole=self), dated)
            self._days[key] = found
            while len(self._days) > DAYS_KEPT:
                self._days.popitem(last=False)
            return found


@dataclass(frozen=True)
class DatedProjection:
    """A projection of the network on one day, and what in it carries no date."""

    projection: Projection
    dated: Dated


def options_key(options: ProjectionOptions) -> str:
    """A short name for projection options and the files' layout, part of a shared
    folder's name (a folder of another layout is built anew, then pruned)."""
    text = repr(
        (
            LAYOUT,
            sorted(options.classes),
            sorted(options.relations or ()),
            options.relations is None,
            options.fold_memberships,
        )
    )
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:8]


def build_into(source: ViewSource, options: ProjectionOptions, folder: Path, version: str) -> None:
    """In a helper process: open the store read-only (as the serving processes' view
    does, where there is one), project it, write the arrays."""
    with source.opened() as store:
        save(arrays_of(project(store, options)), folder, version=version)


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
        self.path = store_path(store)
        self.files = SharedFiles(folder_beside(self.path)) if self.path is not None else None
        self._current = BackgroundBuild(store, "network", self._build, self.patience)

    def _build(self, store: GraphStore, report: Report) -> Projection:
        if self.files is None:
            model = Compact(arrays_of(self._builder(store, self.options, report)))
            return Projection(Scope.whole(model), self.patience)
        version = dataset_version(store)
        key = f"{version}-{options_key(self.options)}"
        report("building the network, or waiting for another process to", 0.0)
        model = self.files.model(key, self._writer(store, version), child=self._builder is project)
        return Projection(Scope.whole(model), self.patience, self.files, key)

    def _writer(self, store: GraphStore, version: str) -> Callable[[Path], None]:
        """What writes the arrays: a helper process over the store, or this one (tests)."""
        if self._builder is project and self.path is not None:
            served = self.store
            source = (
                served.view.source() if isinstance(served, ViewStore) else ViewSource(self.path)
            )
            return _Build(source, self.options, version)
        return lambda folder: save(
            arrays_of(self._builder(store, self.options, lambda *_: None)), folder, version=version
        )

    def warm(self) -> Any:
        """Start building the current dataset version's projection ahead of requests,
        unless a build is under way; returns the build under way."""
        return self._current.warm()

    def projection(self) -> Projection:
        """The projection of the store's current dataset version (PreparingError meanwhile)."""
        return self._current.get()

    def built(self) -> Projection | None:
        """The projection of the current dataset version if it is built; None while it is
        (whose build this starts), for a page that only mentions the network."""
        return self._current.ready()

    def view(
        self,
        request: ViewRequest,
        method: CommunityMethod = "greedy",
        *,
        projection: Projection | None = None,
    ) -> View:
        """The nodes and edges a request asks for, within the node cap (on a day if given)."""
        current = projection or self.projection()
        nodes, edges = select(current.scope, request)
        if len(nodes) > self.node_cap and request.overflow != "top":
            grouped = _grouped(current, nodes, edges, request.overflow, method)
            return laid_out(
                *grouped, request, len(nodes), truncated=True, aggregated=request.overflow
            )
        part = current.model.subgraph(nodes, edges)
        view = build_view(
            part,
            request,
            self.node_cap,
            degrees=dict(zip(part, current.degree_array()[nodes].tolist(), strict=True)),
        )
        return view_evidence(current.model, view)

    def result_view(self, triples: Iterable[Triple], request: ViewRequest) -> View:
        """The network of a CONSTRUCT or DESCRIBE result."""
        current = self.projection()
        graph = from_triples(current, triples)
        scope = Scope.whole(Compact(arrays_of(graph)))
        nodes, edges = select(scope, request)
        part = scope.model.subgraph(nodes, edges)
        view = build_view(part, request, self.node_cap, degrees=current.degrees())
        return view_evidence(current.model, view)

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
        Only the nodes that lie on some path of at most ``max_hops`` (found by two
        walks over the arrays) become a networkx graph for the path search.
        """
        current = projection or self.projection()
        check(current, source, target, max_hops, k)
        avoid = (
            np.zeros(current.model.node_count, dtype=bool)
            if through_documents
            else current.documents()
        )
        nodes = between(current.scope, (source, target), max_hops, relations=relations, avoid=avoid)
        part = current.model.subgraph(nodes, edges_among(current.scope, nodes))
        found = find_paths(
            part,
            source,
            target,
            max_hops=max_hops,
            k=k,
            relations=relations,
            avoid=frozenset(current.model.iri(int(n)) for n in nodes if avoid[n]),
        )
        if found.shortest_hops is None and source != target:  # none within max_hops
            ends = (source, target)
            hops = hops_between(current.scope, ends, MAX_HOPS, relations=relations, avoid=avoid)
            found = replace(found, shortest_hops=hops)
        return path_evidence(current.model, found)

    def hub_view(self, depth: int = 1) -> View:
        """The ego network of the best-connected entity (empty for an empty store)."""
        hub = self.projection().hub()
        if hub is None:
            return View((), ())
        return self.view(ViewRequest(focus=hub, depth=depth))


@dataclass(frozen=True)
class _Build:
    """The arrays written by a helper process over the store at ``path`` (picklable)."""

    source: ViewSource
    options: ProjectionOptions
    version: str

    def __call__(self, folder: Path) -> None:
        build_into(self.source, self.options, folder, self.version)


def _grouped(
    current: Projection,
    nodes: NDArray[np.int64],
    edges: NDArray[np.int64],
    by: Overflow,
    method: CommunityMethod,
) -> tuple[list[ViewNode], list[ViewEdge]]:
    """A view past the node cap, one node per class or community, counted from the
    arrays: a hub's thousands of neighbours never become a networkx graph (at a million
    triples, 1,676 nodes took 60 ms to build into one, most of the view's time)."""
    model = current.model
    if by == "community":
        index = current.named_communities(method)
        keys = [community_key(index.get(model.iri(n))) for n in nodes.tolist()]
    else:
        keys = model.groups(nodes)
    ends = np.searchsorted(nodes, model.ends[edges]).tolist()
    return aggregate(keys, current.degree_array()[nodes].tolist(), ends)


def ego_of_best_connected_hub(store: GraphStore, depth: int = 1, node_cap: int = 500) -> View:
    """Build the projection and return the hub's ego network (a benchmark entry point)."""
    return NetworkExplorer(store, node_cap).hub_view(depth)


def paths_between(
    store: GraphStore, source: str, target: str, max_hops: int = 4, k: int = 5
) -> PathResult:
    """Build the projection and find paths between two entities (a benchmark entry point)."""
    return NetworkExplorer(store).paths(source, target, max_hops=max_hops, k=k)
