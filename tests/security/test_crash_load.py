"""``civicgraph load`` killed with SIGKILL mid-way leaves the old graph, whole.

The command runs in its own process group with standard error on a pseudo-terminal,
so it draws its progress bar; the test kills the group once the bar shows the file
partly read, which is while pyoxigraph's bulk loader is writing.
"""

import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore
from civicgraph.store.embedded import BULK_THRESHOLD
from tests.live import SRC
from tests.security.bulk import EX, write_ntriples

OLD, OTHER = f"{EX}graph/old", f"{EX}graph/other"


def _start_load(store: Path, path: Path) -> tuple[subprocess.Popen[bytes], int]:
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "civicgraph", "load", str(path), "--graph", OLD],
        env={**os.environ, "PYTHONPATH": str(SRC), "CIVICGRAPH_STORE": str(store)},
        stdout=subprocess.DEVNULL,
        stderr=follower,
        start_new_session=True,
    )
    os.close(follower)
    return process, leader


def _kill_when_partly_read(process: subprocess.Popen[bytes], terminal: int) -> int:
    """Read the progress bar until it shows 10-90 %, then SIGKILL; return that percentage."""
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen += os.read(terminal, 4096)
        shown = [int(p) for p in re.findall(rb"(\d+)%", seen)]
        if shown and 10 <= shown[-1] <= 90:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            os.close(terminal)
            return shown[-1]
    raise AssertionError(f"no progress seen: {seen[-200:]!r}")


def _graph_sets(path: Path) -> dict[str | None, int]:
    store = EmbeddedStore(path)
    try:
        return {g.iri: g.triples for g in store.graphs()}
    finally:
        store.close()


def test_load_killed_mid_way_leaves_the_old_graph_whole(tmp_path: Path) -> None:
    store = tmp_path / "store"
    opened = EmbeddedStore(store)
    opened.load(write_ntriples(tmp_path / "old.nt", 1000, "old"), by_name("nt"), OLD)
    opened.load(write_ntriples(tmp_path / "other.nt", 500, "other"), by_name("nt"), OTHER)
    opened.close()
    big = write_ntriples(tmp_path / "new.nt", 250_000, "new")
    assert big.stat().st_size > BULK_THRESHOLD
    process, terminal = _start_load(store, big)
    assert 10 <= _kill_when_partly_read(process, terminal) <= 90
    assert _graph_sets(store) == {OLD: 1000, OTHER: 500}
