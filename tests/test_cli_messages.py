"""What the CLI says when there is nothing to read, the store is busy, or a server refuses."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicgraph.cli import main
from civicgraph.store import EmbeddedStore
from tests.live import LiveServer

READERS = [
    ["query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1"],
    ["stats"],
    ["export", "--format", "turtle"],
    ["metrics"],
    ["graph", "-o", "never-written.html"],
]


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_reading_a_store_that_does_not_exist_says_how_to_fill_it(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    store = tmp_path / "nothing-here"
    result = runner.invoke(main, [*command, "--store", str(store)])
    assert result.exit_code == 1
    assert "is empty" in result.output
    assert "civicgraph load --bundled" in result.output
    assert not store.exists()


def test_reading_an_empty_store_says_so(runner: CliRunner, tmp_path: Path) -> None:
    EmbeddedStore(tmp_path / "empty").close()
    result = runner.invoke(main, ["stats", "--store", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "is empty" in result.output


def test_load_bundled_fills_the_store(runner: CliRunner, tmp_path: Path) -> None:
    store = str(tmp_path / "filled")
    loaded = runner.invoke(main, ["load", "--bundled", "--store", store])
    assert loaded.exit_code == 0, loaded.output
    assert "bundled files" in loaded.output
    stats = runner.invoke(main, ["stats", "--store", store])
    assert stats.exit_code == 0, stats.output
    assert "Person" in stats.output


def test_load_without_files_or_bundled_says_what_to_give(runner: CliRunner) -> None:
    result = runner.invoke(main, ["load"])
    assert result.exit_code == 1
    assert "--bundled" in result.output


def test_failed_export_leaves_no_file(runner: CliRunner, tmp_path: Path, data_dir: Path) -> None:
    assert runner.invoke(main, ["load", str(data_dir / "small.ttl")]).exit_code == 0
    out = tmp_path / "out.ttl"
    result = runner.invoke(
        main, ["export", "--graph", "urn:no-such-graph", "--format", "turtle", "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert list(tmp_path.glob("out.ttl*")) == []
    assert list(tmp_path.glob(".out.ttl*")) == []


def test_locked_store_names_the_running_server(
    start_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = start_server(store=tmp_path / "served")
    result = CliRunner().invoke(main, ["stats", "--store", str(tmp_path / "served")])
    assert result.exit_code == 1
    assert f"--store {server.url}/sparql" in result.output
    through = CliRunner().invoke(main, ["stats", "--store", f"{server.url}/sparql"])
    assert through.exit_code == 0, through.output
    out = tmp_path / "all.ttl"
    exported = CliRunner().invoke(
        main, ["export", "--format", "turtle", "-o", str(out), "--store", f"{server.url}/sparql"]
    )
    assert exported.exit_code == 0, exported.output
    assert out.stat().st_size > 1000


def _children(pid: int) -> set[int]:
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def test_a_writer_that_cannot_open_the_store_says_why_in_a_line(tmp_path: Path) -> None:
    """``serve`` starts the writer again after such a stop: a traceback each time buried
    the reason in the server's log."""
    held = EmbeddedStore(tmp_path / "store")  # the lock another process would hold
    try:
        run = [sys.executable, "-c", "from civicgraph.store.writer import main; main()"]
        args = [str(tmp_path / "store"), str(tmp_path / "w.sock"), str(tmp_path / "g"), "", "", ""]
        done = subprocess.run([*run, *args], check=False, capture_output=True, text=True)
    finally:
        held.close()
    assert done.returncode == 1
    assert "Error: The store at" in done.stderr
    assert "in use by another process" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_served_address_stays_noted_when_serving_processes_are_replaced(
    start_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """gunicorn replaces its serving processes on SIGHUP, and they leave through the
    command that noted the address: the note stays until the server stops."""
    server = start_server(store=tmp_path / "served")
    noted = tmp_path / "served.server-url"
    assert noted.read_text(encoding="utf-8").strip() == f"{server.url}/sparql"
    before = _children(server.process.pid)
    os.kill(server.process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 30
    while len(before & _children(server.process.pid)) > 1:  # the writer stays
        assert time.monotonic() < deadline, "the serving processes were not replaced"
        time.sleep(0.05)
    assert noted.read_text(encoding="utf-8").strip() == f"{server.url}/sparql"
    result = CliRunner().invoke(main, ["stats", "--store", str(tmp_path / "served")])
    assert f"--store {server.url}/sparql" in result.output
    server.stop()
    assert not noted.exists()


def test_remote_errors_are_printed_once_and_readably(live_server: LiveServer) -> None:
    result = CliRunner().invoke(
        main, ["query", "SELEKT ?x WHERE { ?x ?p ?o }", "--store", f"{live_server.url}/sparql"]
    )
    assert result.exit_code == 1
    assert result.output.count("does not parse") == 1
    assert "{" not in result.output.split("does not parse", 1)[0]
    assert '"detail"' not in result.output
