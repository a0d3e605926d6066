"""``civicgraph backup`` is consistent while another process writes; ``restore`` is safe."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from civicgraph.cli import main
from civicgraph.store import EmbeddedStore
from civicgraph.store.results import SelectResult, term_value
from tests.live import SRC
from tests.security.writer import A, B

ROOT = SRC.parent


def _cli(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, list(args), catch_exceptions=False)


def _ok(runner: CliRunner, *args: str) -> str:
    result = _cli(runner, *args)
    assert result.exit_code == 0, result.output
    return result.output


def _count(path: Path, predicate: str) -> int:
    store = EmbeddedStore(path, read_only=True)
    try:
        result = store.query(f"SELECT (COUNT(*) AS ?n) {{ ?s <{predicate}> ?o }}")
    finally:
        store.close()
    assert isinstance(result, SelectResult)
    return int(term_value(result.rows[0][0]))


@pytest.fixture
def busy_store(tmp_path: Path) -> Iterator[Path]:
    """A store held open by another process that commits pairs of triples non-stop."""
    path = tmp_path / "busy"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT)])}
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.security.writer", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == b"ready"
    time.sleep(0.3)
    yield path
    writer.kill()
    writer.wait(timeout=10)
    writer.stdout.close()


@pytest.fixture
def filled(runner: CliRunner, data_dir: Path, tmp_path: Path) -> Path:
    """The CLI's default store with the small fixture loaded; returns its folder."""
    _ok(runner, "load", str(data_dir / "small.ttl"))
    return tmp_path / "cli-store"


def test_backup_beside_a_busy_writer_is_a_consistent_snapshot(
    runner: CliRunner, busy_store: Path, tmp_path: Path
) -> None:
    out = _ok(runner, "backup", str(tmp_path / "b"), "--store", str(busy_store))
    assert "snapshot beside the process holding the store" in out
    pairs = _count(tmp_path / "b", A)
    assert pairs > 0
    assert _count(tmp_path / "b", B) == pairs
    deadline = time.monotonic() + 30  # however late a busy machine lets it run
    while _count(busy_store, A) == pairs and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _count(busy_store, A) > pairs  # the writer kept committing meanwhile


def test_backup_then_restore_into_an_empty_store(
    runner: CliRunner, filled: Path, tmp_path: Path
) -> None:
    _ok(runner, "backup", str(tmp_path / "b"))
    before = _ok(runner, "stats")
    _ok(runner, "restore", str(tmp_path / "b"), "--store", str(tmp_path / "fresh"))
    assert _ok(runner, "stats", "--store", str(tmp_path / "fresh")) == before


def test_restore_refuses_a_store_with_data_unless_forced(
    runner: CliRunner, filled: Path, data_dir: Path, tmp_path: Path
) -> None:
    _ok(runner, "backup", str(tmp_path / "b"))
    before = _ok(runner, "stats")
    _ok(runner, "load", str(data_dir / "small.ttl"), "--graph", "http://example.org/extra")
    refused = _cli(runner, "restore", str(tmp_path / "b"))
    assert refused.exit_code == 1
    assert "pass --force" in refused.output
    _ok(runner, "restore", str(tmp_path / "b"), "--force")
    assert _ok(runner, "stats") == before


def test_restore_never_replaces_a_folder_that_is_not_a_store(
    runner: CliRunner, filled: Path, tmp_path: Path
) -> None:
    _ok(runner, "backup", str(tmp_path / "b"))
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "thesis.txt").write_text("months of work")
    result = _cli(runner, "restore", str(tmp_path / "b"), "--force", "--store", str(precious))
    assert result.exit_code == 1
    assert (precious / "thesis.txt").read_text() == "months of work"


def test_restore_refuses_while_a_process_holds_the_store(
    runner: CliRunner, busy_store: Path, tmp_path: Path
) -> None:
    _ok(runner, "backup", str(tmp_path / "b"), "--store", str(busy_store))
    result = _cli(runner, "restore", str(tmp_path / "b"), "--force", "--store", str(busy_store))
    assert result.exit_code == 1
    assert "in use by another process" in result.output


def test_backup_refuses_a_folder_that_is_not_empty(
    runner: CliRunner, filled: Path, tmp_path: Path
) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("x")
    result = _cli(runner, "backup", str(tmp_path / "b"))
    assert result.exit_code == 1
    assert "not empty" in result.output


def test_backup_of_a_memory_store_points_to_export(runner: CliRunner, tmp_path: Path) -> None:
    result = _cli(runner, "backup", str(tmp_path / "b"), "--store", "memory")
    assert result.exit_code == 1
    assert "export --format trig" in result.output
