"""Loading files into named graphs, idempotently, with content hashes."""

from pathlib import Path
from typing import Any

import pytest

from civicgraph.config import Settings
from civicgraph.dataset import loader
from civicgraph.dataset.loader import dataset_version
from civicgraph.errors import RdfSyntaxError
from civicgraph.store import EmbeddedStore, GraphStore, structure
from civicgraph.store.guarded import GuardedStore
from civicgraph.store.results import QueryResult
from civicgraph.vocab import graph_iri


def test_load_file_goes_into_a_graph_named_after_it(store: GraphStore, data_dir: Path) -> None:
    report = loader.load_file(store, data_dir / "small.ttl")
    assert (report.graph, report.triples) == (graph_iri("small"), 6)
    assert loader.load_records(store)[report.graph].sha256 == loader.file_hash(report.path)


def test_bundled_load_skips_unchanged_and_reloads_changed(
    store: GraphStore, tmp_path: Path, data_dir: Path
) -> None:
    copy = tmp_path / "small.ttl"
    copy.write_bytes((data_dir / "small.ttl").read_bytes())
    assert not loader.load_bundled(store, files=[copy])[0].skipped
    assert loader.load_bundled(store, files=[copy])[0].skipped
    copy.write_text(copy.read_text() + "\n<urn:x> <urn:p> <urn:y> .\n")
    again = loader.load_bundled(store, files=[copy])[0]
    assert (again.skipped, again.triples) == (False, 7)


def test_broken_file_leaves_store_as_it_was(store: GraphStore, data_dir: Path) -> None:
    loader.load_file(store, data_dir / "small.ttl", graph=graph_iri("broken"))
    before = store.graphs()
    with pytest.raises(RdfSyntaxError, match=r"broken\.ttl:4:"):
        loader.load_file(store, data_dir / "broken.ttl")
    assert store.graphs() == before


def test_dataset_version_names_date_and_hash(store: GraphStore, data_dir: Path) -> None:
    assert loader.dataset_version(store) == "empty"
    loader.load_file(store, data_dir / "small.ttl")
    version = loader.dataset_version(store)
    assert len(version) == len("2026-01-01-") + 8


def test_a_write_that_is_not_a_load_changes_the_version(store: GraphStore, data_dir: Path) -> None:
    loader.load_file(store, data_dir / "small.ttl")
    before = loader.dataset_version(store)
    store.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> <urn:b> } }")  # named: Virtuoso
    loader.record_revision(store)
    assert loader.dataset_version(store) != before


def test_the_bundled_files_are_recorded_without_a_structure_check_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The record of a load into a graph with a name of usual length is short enough
    for the engine to take at once: a longer text is checked in a process of its own,
    which cost every bundled file a tenth of a second at a first start."""
    checked: list[str] = []
    monkeypatch.setattr(
        structure, "_judged", lambda text, *_: checked.append(text) or structure.Verdict.PASSES
    )
    store = EmbeddedStore()
    try:
        assert loader.load_bundled(store)
    finally:
        store.close()
    assert checked == []


EX = "http://example.org/"


def test_the_dataset_version_is_read_once_per_write(data_dir: Path) -> None:
    """Pages and caches ask for the version on every request; the store keeps it."""
    asked: list[str] = []

    class Counting(EmbeddedStore):
        def query(self, sparql: str, **options: Any) -> QueryResult:
            asked.append(sparql)
            return super().query(sparql, **options)

    guarded = GuardedStore(Counting(), Settings(store="memory"))
    loader.load_file(guarded, data_dir / "small.ttl")
    asked.clear()
    first, again = dataset_version(guarded), dataset_version(guarded)
    assert (first, len(asked)) == (again, 1)
    guarded.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}s> <{EX}p> 2 }} }}")
    assert dataset_version(guarded) != first
    assert len(asked) == 2


def test_a_closed_store_keeps_what_was_loaded_in_its_tables_not_its_log(tmp_path: Path) -> None:
    """A store closed with a load only in its log replays it at every open: seconds per
    hundred thousand triples, and a copy in memory in every serving process."""
    rows = "".join(
        f'<https://example.org/s{i}> <https://example.org/p> "value {i}" .\n' for i in range(20_000)
    )
    data = tmp_path / "small.nt"
    data.write_text(rows, encoding="utf-8")
    store = EmbeddedStore(tmp_path / "store")
    loader.load_file(store, data)
    store.close()
    tables = sum(path.stat().st_size for path in (tmp_path / "store").glob("*.sst"))
    assert tables > data.stat().st_size / 4


def test_a_file_over_a_megabyte_is_bulk_loaded_and_leaves_no_log(tmp_path: Path) -> None:
    """A transaction writes a load into the database's log first, several times the
    file's size, which the next open reads through; the bulk loader writes its tables
    directly, and is the faster of the two from about a megabyte up."""
    rows = "".join(
        f'<https://example.org/s{i}> <https://example.org/p> "value {i}" .\n' for i in range(30_000)
    )
    data = tmp_path / "medium.nt"
    data.write_text(rows, encoding="utf-8")
    assert data.stat().st_size > 1024 * 1024
    store = EmbeddedStore(tmp_path / "store")
    assert loader.load_file(store, data).triples == 30_000
    store.close()
    logs = sum(path.stat().st_size for path in (tmp_path / "store").glob("*.log"))
    assert logs < data.stat().st_size / 4
