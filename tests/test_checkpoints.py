"""Views read checkpoints of the store, whose files the writer's compactions leave alone.

Over the store itself, a view that reaches a file a compaction deleted reads an error;
pyoxigraph's aggregates read it again without end (a ``COUNT(*)`` at a million triples
grew past 2 GiB in 3 s after a first start). These tests compact for real.
"""

import fcntl
import multiprocessing
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest
import requests
from pyoxigraph import RdfFormat, Store

from civicgraph.store.backup import backup
from civicgraph.store.checkpoints import Checkpoints
from civicgraph.store.embedded import EmbeddedStore
from civicgraph.store.results import SelectResult
from civicgraph.store.views import Generation, ReadView
from civicgraph.store.writer import advance
from tests.live import LiveServer

_TRIPLES = 4000
_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _filled(path: Path, parts: int = 4) -> EmbeddedStore:
    """A store loaded in overlapping parts, whose files a compaction merges."""
    raw = Store(str(path))
    for part in range(parts):
        rows = range(part, _TRIPLES, parts)
        data = "".join(f'<http://e/s{i}> <http://e/p{i % 7}> "v{i}" .\n' for i in rows)
        raw.bulk_load(data.encode(), RdfFormat.N_TRIPLES)
    raw.flush()
    del raw
    return EmbeddedStore(path)


def _count(view: ReadView) -> int:
    result = view.read("query", sparql=_COUNT)
    assert isinstance(result, SelectResult)
    term = result.rows[0][0]
    assert term is not None
    return int(term.value)


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_view_reads_its_checkpoint_while_the_store_is_compacted(tmp_path: Path) -> None:
    path = tmp_path / "store"
    writer = _filled(path)
    generation = Generation(tmp_path / "generation")
    checkpoints = Checkpoints.for_server(path, tmp_path / "run")
    advance(writer, generation, checkpoints)
    view = ReadView(path, generation, checkpoints)
    opened = view.current().path
    assert opened is not None
    assert opened.parent == checkpoints.folder
    before, kept = {p.name for p in path.glob("*.sst")}, _files(opened)
    writer._store.optimize()  # the compaction a bulk load or a write sets off
    assert before - {p.name for p in path.glob("*.sst")}, "the compaction removed no file"
    assert _files(opened) == kept
    assert _count(view) == _TRIPLES
    view.close()
    checkpoints.remove()
    writer.close()


def test_checkpoints_no_view_holds_are_removed_and_held_ones_kept(tmp_path: Path) -> None:
    path = tmp_path / "store"
    writer = _filled(path, parts=1)
    generation = Generation(tmp_path / "generation")
    checkpoints = Checkpoints.for_server(path, tmp_path / "run")
    advance(writer, generation, checkpoints)
    view = ReadView(path, generation, checkpoints)  # holds checkpoint 1
    advance(writer, generation, checkpoints)
    advance(writer, generation, checkpoints)
    assert sorted(p.name for p in checkpoints.folder.iterdir() if p.is_dir()) == ["1", "3"]
    assert _count(view) == _TRIPLES  # reopens on 3, letting go of 1
    advance(writer, generation, checkpoints)
    assert sorted(p.name for p in checkpoints.folder.iterdir() if p.is_dir()) == ["3", "4"]
    view.close()
    checkpoints.remove()
    assert not checkpoints.folder.parent.exists()
    writer.close()


def test_without_a_place_for_checkpoints_views_open_the_store_and_it_is_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "store"
    writer = _filled(path, parts=1)
    generation = Generation(tmp_path / "generation")
    (tmp_path / "blocked").write_text("a file where the checkpoints' folder would go")
    checkpoints = Checkpoints(tmp_path / "blocked" / "run")
    advance(writer, generation, checkpoints)
    advance(writer, generation, checkpoints)
    assert capsys.readouterr().err.count("Views open the store itself") == 1
    assert generation.value() == 2
    view = ReadView(path, generation, checkpoints)
    assert view.current().path == path
    assert _count(view) == _TRIPLES
    view.close()
    writer.close()


def test_the_server_views_a_held_checkpoint_and_removes_its_own_as_it_stops(
    tmp_path: Path,
) -> None:
    server = LiveServer(tmp_path / "store", {"CIVICGRAPH_LOAD_BUNDLED": "false"}).start()
    try:
        response = requests.get(f"{server.url}/sparql", params={"query": _COUNT}, timeout=30)
        assert response.status_code == 200
        runs = list((tmp_path / "store-views").iterdir())
        assert len(runs) == 1
        newest = max(int(p.name) for p in runs[0].iterdir() if p.is_dir())
        with (runs[0] / f"{newest}.lock").open() as lock, pytest.raises(BlockingIOError):
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a serving process holds it
    finally:
        server.stop()
    deadline = time.monotonic() + 10
    while (tmp_path / "store-views").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (tmp_path / "store-views").exists()


def _open_views(
    store: Path, generation: Path, folder: Path, stop: Event, fell: "Queue[tuple[int, int]]"
) -> None:
    """In another process: open and close views until told to stop, saying when the
    first is open; put how many opened the store itself while checkpoints were being
    published."""
    count, checkpoints = Generation(generation), Checkpoints(folder)
    opened = fallbacks = 0
    while not stop.is_set():
        view = ReadView(store, count, checkpoints)
        fallbacks += view.current().path == store
        opened += 1
        view.close()
        if opened == 1:
            fell.put((0, 0))
    fell.put((opened, fallbacks))


@pytest.mark.heavy
def test_a_view_opened_while_checkpoints_are_published_never_opens_the_store(
    tmp_path: Path,
) -> None:
    """Removing the checkpoint the count named before bumping it sent 2% of views
    opened meanwhile to the store itself (where a compaction can pull a file away)."""
    path = tmp_path / "store"
    writer = _filled(path, parts=1)
    generation = Generation(tmp_path / "generation")
    checkpoints = Checkpoints.for_server(path, tmp_path / "civicgraph-run")
    advance(writer, generation, checkpoints)
    context = multiprocessing.get_context("spawn")
    stop, fell = context.Event(), context.Queue()
    args = (path, generation.path, checkpoints.folder, stop, fell)
    views = [context.Process(target=_open_views, args=args) for _ in range(2)]
    for process in views:
        process.start()
    assert [fell.get(timeout=60) for _ in views] == [(0, 0), (0, 0)]  # each has opened one
    for i in range(150):
        writer.update(f'INSERT DATA {{ <http://e/new{i}> <http://e/p> "{i}" }}')
        writer.flush()
        advance(writer, generation, checkpoints)
    stop.set()
    results = [fell.get(timeout=30) for _ in views]
    for process in views:
        process.join(timeout=30)
    assert all(opened > 0 for opened, _ in results)
    assert [fallbacks for _, fallbacks in results] == [0, 0]
    checkpoints.remove()
    writer.close()


def test_only_what_a_server_made_is_removed_beside_the_store(tmp_path: Path) -> None:
    """Cleaning up after servers that stopped without cleaning removed folders of any
    name beside the store, and followed a link out of it."""
    path = tmp_path / "store"
    writer = _filled(path, parts=1)
    mine = Checkpoints.for_server(path, tmp_path / "civicgraph-mine")
    left = Checkpoints(_left_by_a_stopped_server(writer, path, 3))
    running = Checkpoints.for_server(path, tmp_path / "civicgraph-running")
    running.publish(writer, 5)
    views = mine.folder.parent
    (views / "notes" / "a").mkdir(parents=True)
    (views / "notes" / "a.lock").touch()
    outside = tmp_path / "outside"
    (outside / "7").mkdir(parents=True)
    (outside / "7.lock").touch()
    (views / "civicgraph-link").symlink_to(outside)
    (left.folder / "8").symlink_to(outside / "7")
    (left.folder / "8.lock").touch()
    mine.prune_others()
    assert not (left.folder / "3").exists()  # a stopped server's checkpoint
    assert (left.folder / "8").is_symlink()
    assert (views / "notes" / "a").is_dir()
    assert (views / "notes" / "a.lock").exists()
    assert (outside / "7").is_dir()
    assert (outside / "7.lock").exists()
    assert (running.folder / "5").is_dir()  # its writer holds it current
    running.remove()
    writer.close()


def _left_by_a_stopped_server(writer: EmbeddedStore, path: Path, number: int) -> Path:
    """A checkpoint as a server killed before it could clean up leaves it; its folder."""
    folder = Checkpoints.for_server(path, path.parent / "civicgraph-stopped").folder
    folder.mkdir(parents=True)
    writer.backup(folder / str(number))
    (folder / f"{number}.lock").touch()
    (folder / "writer").touch()
    return folder


def test_a_backup_of_a_served_store_copies_the_servers_newest_checkpoint(tmp_path: Path) -> None:
    """A backup beside a server opened the store itself, where a compaction can pull a
    file from under its count per graph (an aggregate that then reads without end)."""
    path = tmp_path / "store"
    writer = _filled(path, parts=1)
    writer.update('INSERT DATA { <http://e/published> <http://e/p> "1" }')
    checkpoints = Checkpoints.for_server(path, tmp_path / "civicgraph-running")
    advance(writer, Generation(tmp_path / "generation"), checkpoints)
    writer.update('INSERT DATA { <http://e/unpublished> <http://e/p> "2" }')
    _left_by_a_stopped_server(writer, path, 9)  # newer, but no writer holds it current
    report = backup(path, tmp_path / "copy")
    assert report.held_by_another == "checkpoint"
    assert report.quads == _TRIPLES + 1  # the running server's checkpoint, not the store
    with (checkpoints.folder / "1.lock").open() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # let go once copied
    checkpoints.remove()
    writer.close()


def test_a_backup_beside_no_running_server_reads_the_store(tmp_path: Path) -> None:
    """A killed server's checkpoints are older than the store: a backup taken while
    another process holds the store copied them, and lost the writes since."""
    path = tmp_path / "store"
    writer = _filled(path, parts=1)
    _left_by_a_stopped_server(writer, path, 3)
    writer.update('INSERT DATA { <http://e/since> <http://e/p> "1" }')
    writer.flush()
    report = backup(path, tmp_path / "copy")
    assert (report.held_by_another, report.quads) == ("snapshot", _TRIPLES + 1)
    writer.close()
