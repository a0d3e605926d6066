"""The compact network shared through files beside an on-disk store, built once per version."""

import ast
import fcntl
import multiprocessing
import os
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from numpy.typing import NDArray

from civicgraph.dataset.loader import load_file
from civicgraph.errors import StoreError
from civicgraph.network import NetworkExplorer, ViewRequest, project
from civicgraph.network.analysis import best_connected
from civicgraph.network.compact import Compact, arrays_of
from civicgraph.network.model import INFO
from civicgraph.network.select import select
from civicgraph.network.shared import (
    NICE,
    SharedFiles,
    _in_child,
    folder_beside,
    locked,
    mapped,
    meta,
    save,
)
from civicgraph.network.views import Overflow, build_view
from civicgraph.store import GraphStore
from civicgraph.store.embedded import EmbeddedStore
from civicgraph.store.views import open_read_only
from tests.test_network import ALICE, FIXTURE
from tests.test_network_background import MALLORY
from tests.test_network_web import HOSTILE

#: Seconds a spawned process may take to import, map or build the fixture's network.
PROCESS_LIMIT = 120


@pytest.fixture
def on_disk(tmp_path: Path) -> Path:
    """An on-disk store holding the network fixture, closed again."""
    path = tmp_path / "store"
    store = EmbeddedStore(path)
    load_file(store, FIXTURE)
    store.close()
    return path


def _map_network(path: Path, results: "multiprocessing.Queue[tuple[str, int, int]]") -> None:
    """In a spawned process, as a serving process does: open a view, get the network."""
    store = open_read_only(path)
    projection = NetworkExplorer(store).projection()
    built = meta(folder_beside(path) / projection.key)["built_by"]
    results.put((projection.key, built, projection.node_count))
    store.close()


def test_two_processes_map_one_build(on_disk: Path) -> None:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[tuple[str, int, int]] = context.Queue()
    processes = [context.Process(target=_map_network, args=(on_disk, results)) for _ in range(2)]
    for process in processes:
        process.start()
    found = [results.get(timeout=PROCESS_LIMIT) for _ in processes]
    for process in processes:
        process.join(PROCESS_LIMIT)
    (key, built_by, nodes), other = found
    assert other == (key, built_by, nodes)
    assert built_by not in {p.pid for p in processes}  # a helper process built it
    assert [p.name for p in folder_beside(on_disk).iterdir() if p.is_dir()] == [key]
    assert nodes == len(project(EmbeddedStore(on_disk, read_only=True)))


def test_a_write_makes_a_new_version_and_removes_the_old(on_disk: Path) -> None:
    store = EmbeddedStore(on_disk)
    explorer = NetworkExplorer(store)
    before = explorer.projection()
    load_file(store, HOSTILE)
    after = explorer.projection()
    folders = [p.name for p in folder_beside(on_disk).iterdir() if p.is_dir()]
    store.close()
    assert after.key != before.key
    assert folders == [after.key]
    assert (MALLORY in after, MALLORY in before, ALICE in after) == (True, False, True)


@pytest.fixture(scope="module")
def fixture_arrays() -> dict[str, NDArray[Any]]:
    """The network fixture's arrays, for builds that write them as they are."""
    store = EmbeddedStore()
    load_file(store, FIXTURE)
    arrays = arrays_of(project(store))
    store.close()
    return arrays


def test_a_build_that_ends_last_keeps_the_version_finished_meanwhile(
    tmp_path: Path, fixture_arrays: dict[str, NDArray[Any]]
) -> None:
    """Builds of two versions may end in either order: the one that ends last removes
    only what was finished before it began (and a later build removes both)."""
    arrays = fixture_arrays
    files = SharedFiles(tmp_path / "network")
    began, may_end = threading.Event(), threading.Event()

    def slow(folder: Path) -> None:
        began.set()
        assert may_end.wait(10)
        save(arrays, folder)

    older = threading.Thread(target=files.model, args=("older", slow), kwargs={"child": False})
    older.start()
    assert began.wait(10)
    files.model("newer", lambda folder: save(arrays, folder), child=False)
    assert (files.root / "older.lock").exists()  # held by the build under way
    may_end.set()
    older.join()
    kept = sorted(p.name for p in files.root.iterdir() if p.is_dir())
    files.model("latest", lambda folder: save(arrays, folder), child=False)
    assert kept == ["newer", "older"]
    assert sorted(p.name for p in files.root.iterdir()) == ["latest", "latest.lock"]


def test_a_build_removes_what_no_process_holds_and_keeps_what_one_does(
    tmp_path: Path, fixture_arrays: dict[str, NDArray[Any]]
) -> None:
    files = SharedFiles(tmp_path / "network")
    for key in ("held", "free"):  # two older versions, finished
        save(fixture_arrays, files.root / key)
    (files.root / "failed.lock").touch()  # a build that failed long ago
    (files.root / ".latest.999.tmp").mkdir()  # a builder that was stopped
    with (files.root / "held.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a result under way on that version
        files.model("latest", partial(save, fixture_arrays), child=False)
    assert sorted(p.name for p in files.root.iterdir()) == [
        "held",
        "held.lock",
        "latest",
        "latest.lock",
    ]


def test_a_folder_finished_while_a_build_waited_for_its_lock_is_kept(
    tmp_path: Path, fixture_arrays: dict[str, NDArray[Any]]
) -> None:
    """A build may see a lock with no folder, then take it after that version's build
    finished the folder: it decides again holding the lock."""
    files = SharedFiles(tmp_path / "network")
    began = time.time()
    save(fixture_arrays, files.root / "newer")  # finished after that build began
    files._remove_unless_held(files.root / "newer", began)
    assert (files.root / "newer" / "meta.json").exists()


def test_a_lock_removed_while_waited_for_is_taken_anew(tmp_path: Path) -> None:
    path = tmp_path / "key.lock"
    inside, leave = threading.Event(), threading.Event()

    def waiter() -> None:
        with locked(path):
            inside.set()
            assert leave.wait(10)

    thread = threading.Thread(target=waiter)
    with locked(path):
        thread.start()
        time.sleep(0.2)  # the waiter opened the file and waits for its lock
        path.unlink()  # as a pruning build does, holding the lock
    assert inside.wait(10)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            taken = True
        except BlockingIOError:
            taken = False
    leave.set()
    thread.join()
    assert not taken  # the waiter holds the lock of the file now at the path


def test_metrics_are_kept_beside_the_arrays(on_disk: Path) -> None:
    store = EmbeddedStore(on_disk, read_only=True)
    projection = NetworkExplorer(store).projection()
    ranks = dict(projection.measure("pagerank"))
    expected = nx.pagerank(nx.DiGraph(project(store)))
    store.close()
    kept = folder_beside(on_disk) / projection.key / "measure-pagerank.result.npy"
    assert kept.exists()
    assert ranks == pytest.approx(expected)


def test_hub_ego_view_is_the_projection_neighbourhood(bundled_store: GraphStore) -> None:
    """The ego view read from the arrays equals the one read off the full projection."""
    graph = project(bundled_store)
    hub = best_connected(graph)
    assert hub is not None
    view = NetworkExplorer(bundled_store).view(ViewRequest(focus=hub, depth=1))
    around = graph.subgraph({hub, *nx.all_neighbors(graph, hub)})
    assert {n.id: n.label for n in view.nodes} == {
        n: d[INFO].label for n, d in around.nodes(data=True)
    }
    expected = {
        d[INFO].id: (u, v, d[INFO].predicate, d[INFO].evidence)
        for u, v, d in around.edges(data=True)
    }
    assert {e.id: (e.source, e.target, e.predicate, e.evidence) for e in view.edges} == expected
    assert any(e.evidence for e in view.edges)


def test_every_edge_keeps_its_evidence_in_the_arrays(bundled_store: GraphStore) -> None:
    """The arrays hold each edge's evidence as the projection read it from the store."""
    graph = project(bundled_store)
    model = Compact(arrays_of(graph))
    for _, _, data in graph.edges(data=True):
        number = model.edge_index(data[INFO].id)
        assert number is not None
        assert model.evidence(number) == data[INFO].evidence
    assert sum(bool(d[INFO].evidence) for _, _, d in graph.edges(data=True)) > 100


def test_a_view_asks_the_store_for_no_evidence(
    bundled_store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the network is built, drawing a view reads its evidence from the arrays."""
    explorer = NetworkExplorer(bundled_store)
    projection = explorer.projection()

    def no_query(text: str, **_: object) -> None:
        raise AssertionError(f"the view asked the store: {text[:200]}")

    monkeypatch.setattr(bundled_store, "query", no_query)
    view = explorer.view(ViewRequest(focus=projection.hub(), depth=1), projection=projection)
    assert any(edge.evidence for edge in view.edges)


@pytest.mark.parametrize("overflow", ["class", "community"])
def test_a_view_past_the_cap_is_counted_from_the_arrays_as_from_a_graph(
    bundled_store: GraphStore, overflow: Overflow
) -> None:
    """Aggregated straight from the arrays, a view equals the one built from the
    networkx graph of everything it counts."""
    explorer = NetworkExplorer(bundled_store, node_cap=20)
    projection = explorer.projection()
    request = ViewRequest(overflow=overflow)
    view = explorer.view(request, projection=projection)
    nodes, edges = select(projection.scope, request)
    part = projection.model.subgraph(nodes, edges)
    expected = build_view(
        part,
        request,
        20,
        degrees=dict(zip(part, projection.degree_array()[nodes].tolist(), strict=True)),
        community_of=lambda: projection.named_communities("greedy"),
    )
    assert view == expected
    assert view.aggregated == overflow
    assert len(view.nodes) > 2
    assert sum(n.count for n in view.nodes) == len(nodes)


def test_mapping_the_arrays_parses_no_python(
    on_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CPython 3.11 shares the AST builder between threads: a network mapped in a
    background thread (``np.load`` read each header with ``ast.literal_eval``) beside
    a thread parsing Python failed now and then with a SystemError."""
    store = EmbeddedStore(on_disk, read_only=True)
    explorer = NetworkExplorer(store)
    ranks = dict(explorer.projection().measure("pagerank"))  # built and kept
    explorer = NetworkExplorer(store)  # maps them afresh

    def no_parsing(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("Python parsed while mapping the network")

    with monkeypatch.context() as patched:  # pytest's own reports parse Python
        patched.setattr(ast, "parse", no_parsing)
        projection = explorer.projection()
        kept = dict(projection.measure("pagerank"))
    assert kept == ranks
    assert ALICE in {node for node, _ in ranks.items()}
    assert projection.node_count == len(ranks)
    store.close()


def test_saved_arrays_map_back_as_they_were(tmp_path: Path) -> None:
    """Whatever their order, size or type, arrays come back equal and read-only."""
    arrays = {
        "transposed": np.arange(12).reshape(3, 4).T,
        "empty": np.zeros((0, 3), dtype=np.int64),
        "scalar": np.array(5),
        "texts": np.array([b"ab", b"c"]),
        "big_endian": np.arange(5, dtype=">i4"),
    }
    save(arrays, tmp_path / "folder", version="v")
    found = mapped(tmp_path / "folder").arrays
    for name, values in arrays.items():
        assert (found[name].shape, found[name].dtype) == (values.shape, values.dtype), name
        assert np.array_equal(found[name], values), name
        assert not found[name].flags.writeable, name


@pytest.mark.parametrize("cut", [slice(0), slice(8), slice(-8)], ids=["empty", "header", "data"])
def test_a_damaged_array_file_is_refused_not_misread(tmp_path: Path, cut: slice) -> None:
    """Cut short (say by a crash before it reached the disk), a file's header would
    be read as data: it is refused with a message saying what to remove."""
    folder = tmp_path / "folder"
    save({"values": np.arange(30.0)}, folder, version="v")
    path = folder / "values.npy"
    path.write_bytes(path.read_bytes()[cut])
    with pytest.raises(StoreError, match="damaged"):
        mapped(folder)


def _write_priority(path: Path) -> None:
    """A build that records the priority it ran at (module-level: a spawned child imports it)."""
    path.write_text(str(os.nice(0)), encoding="utf-8")


def test_a_build_in_its_own_process_runs_behind_the_serving_processes(tmp_path: Path) -> None:
    _in_child(_write_priority, tmp_path / "nice")
    assert int((tmp_path / "nice").read_text(encoding="utf-8")) == min(19, os.nice(0) + NICE)
