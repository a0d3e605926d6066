"""Views read checkpoints of the store, whose files the writer's compactions leave alone.

Over the store itself, a view that reaches a file a compaction deleted reads an error;
pyoxigraph's aggregates read it again without end (a ``COUNT(*)`` at a million triples
grew past 2 GiB in 3 s after a first start). These tests compact for real.
"""

import fcntl
import time
from pathlib import Path

import pytest
import requests
from pyoxigraph import RdfFormat, Store

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
