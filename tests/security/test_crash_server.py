"""The server killed with SIGKILL in the middle of a large write loses nothing else.

Each test starts a write that takes seconds and kills the server's process group
part-way through, checking that the write had not finished.
After a restart on the same store the target graph holds the old content or the new
content, never part of either, and every other graph is exactly as it was.
"""

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from civicgraph.store.results import AskResult
from civicgraph.store.views import open_read_only
from tests.live import LiveServer, writer_process
from tests.security.bulk import EX, ntriples
from tests.security.conftest import AUTH

ENV = {
    "CIVICGRAPH_WRITE_TOKEN": AUTH["Authorization"].removeprefix("Bearer "),
    "CIVICGRAPH_UPLOAD_LIMIT": str(64 * 1024 * 1024),
    "CIVICGRAPH_QUERY_WORKERS": "1",
}
TARGET = f"{EX}graph/big"
#: Triples of a graph replaced by another of as many: the writer writes the store's
#: files out after the commit (half a second), time enough to see the commit before
#: the answer.
SWAPPED = 30_000
COUNTS = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def _counts(server: LiveServer) -> dict[str, int]:
    response = requests.get(f"{server.url}/sparql", params={"query": COUNTS}, timeout=30)
    rows = response.json()["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


def _put(server: LiveServer, graph: str, body: bytes) -> None:
    headers = {**AUTH, "Content-Type": "application/n-triples"}
    response = requests.put(
        f"{server.url}/store", params={"graph": graph}, data=body, headers=headers, timeout=60
    )
    response.raise_for_status()


def _cross(server: LiveServer, source: str, target: str) -> None:
    """One update inserting every subject with every object of ``source``: millions."""
    update = (
        f"INSERT {{ GRAPH <{target}> {{ ?s <{EX}pair> ?o2 }} }} "
        f"WHERE {{ GRAPH <{source}> {{ ?s ?p ?o . ?s2 ?p2 ?o2 }} }}"
    )
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    response = requests.post(f"{server.url}/update", data=update, headers=headers, timeout=120)
    response.raise_for_status()


def _kill_part_way(
    server: LiveServer, write: Callable[[], None], after: float, only: int | None = None
) -> bool:
    """Start ``write``, kill the server ``after`` seconds, or the process ``only`` once it
    has spent ``after`` seconds of CPU (it is at the write, however busy the machine);
    did the write finish first?"""
    finished = threading.Event()

    def attempt() -> None:
        with contextlib.suppress(requests.RequestException):  # the server is gone: the point
            write()
            finished.set()

    busy = 0.0 if only is None else _cpu_seconds(only)
    thread = threading.Thread(target=attempt)
    thread.start()
    if only is None:
        time.sleep(after)
        server.kill()
    else:
        deadline = time.monotonic() + 60
        while _cpu_seconds(only) - busy < after and time.monotonic() < deadline:
            if finished.wait(0.01):
                break
        os.kill(only, signal.SIGKILL)
    thread.join(timeout=30)
    return finished.is_set()


def _cpu_seconds(pid: int) -> float:
    """The CPU time a process has used (``/proc/<pid>/stat``: utime and stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_kill_during_a_large_graph_put(
    start_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = start_server(env=ENV, store=tmp_path / "store")
    _put(server, TARGET, ntriples(1_000, "old"))
    before = _counts(server)
    new = ntriples(100_000, "new")  # 10 MB: seconds of parsing and moving into place
    assert not _kill_part_way(server, lambda: _put(server, TARGET, new), 0.5)
    after = _counts(start_server(env=ENV, store=tmp_path / "store"))
    assert after.pop(TARGET) in {1_000, 100_000}
    before.pop(TARGET)
    assert after == before


def test_kill_during_a_large_update(
    start_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = start_server(env=ENV, store=tmp_path / "store")
    _put(server, f"{EX}graph/source", ntriples(2_000, "new"))
    before = _counts(server)
    copy = f"{EX}graph/source"
    assert not _kill_part_way(server, lambda: _cross(server, copy, TARGET), 1.5)
    after = _counts(start_server(env=ENV, store=tmp_path / "store"))
    assert after.pop(TARGET, 0) in {0, 2_000 * 2_000}
    assert after == before


def test_a_writer_killed_mid_write_comes_back_and_the_write_is_whole_or_absent(
    start_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """The writer alone dies (its memory, a crash): the master starts another, which
    takes the next writes; the one under way is whole or absent, and reads go on."""
    server = start_server(env=ENV, store=tmp_path / "store")
    _put(server, TARGET, ntriples(1_000, "old"))
    before = _counts(server)
    killed = writer_process(server)
    new = ntriples(100_000, "new")
    assert not _kill_part_way(server, lambda: _put(server, TARGET, new), 0.5, killed)
    assert requests.get(f"{server.url}/sparql", params={"query": "ASK {}"}, timeout=10).ok

    _put(server, f"{EX}graph/after", ntriples(10, "after"))  # the writer waited for
    assert writer_process(server) != killed
    after = _counts(server)
    assert after.pop(TARGET) in {1_000, 100_000}
    assert after.pop(f"{EX}graph/after") == 10
    before.pop(TARGET)
    assert after == before


@pytest.mark.timed
def test_a_writer_killed_after_committing_a_write_has_it_answered_as_applied(
    start_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """Between the commit and the answer (here: while the store's files are written
    out) the write is applied: its client hears so, as the next writer finds it, and
    the version log records it as the write it was."""
    server = start_server(env=ENV, store=tmp_path / "store")
    _put(server, TARGET, ntriples(SWAPPED, "old"))
    answers: list[requests.Response] = []
    headers = {**AUTH, "Content-Type": "application/n-triples"}
    new = ntriples(SWAPPED, "new")
    url, params = f"{server.url}/store", {"graph": TARGET}
    put = threading.Thread(
        target=lambda: answers.append(
            requests.put(url, params=params, data=new, headers=headers, timeout=120)
        )
    )
    writer = writer_process(server)
    put.start()
    while not _committed(tmp_path / "store", f"{EX}new/s0"):
        assert put.is_alive(), "the write was answered before it could be stopped"
        time.sleep(0.01)
    os.kill(writer, signal.SIGKILL)
    put.join(timeout=120)

    assert answers[0].status_code == 204, answers[0].text
    assert _counts(server)[TARGET] == SWAPPED
    newest = requests.get(f"{server.url}/versions.json", timeout=10).json()["versions"][0]
    assert newest["action"] == "Graph Store write"


def _committed(store: Path, subject: str) -> bool:
    """Whether a write naming ``subject`` is committed (a fresh view replays the log)."""
    view = open_read_only(store)  # retried while it races the writer's compaction
    try:
        return view.query(f"ASK {{ GRAPH <{TARGET}> {{ <{subject}> ?p ?o }} }}") == AskResult(True)
    finally:
        view.close()


@pytest.mark.heavy
def test_a_server_stopped_while_its_writer_hangs_leaves_no_writer_behind(
    start_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """A hung writer (here: stopped) would hold the store's lock for good."""
    server = start_server(env=ENV, store=tmp_path / "store")
    writer = writer_process(server)
    os.kill(writer, signal.SIGSTOP)
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGTERM)  # the master alone, as a service manager does
    try:
        server.process.wait(timeout=40)
        deadline = time.monotonic() + 10
        while _running(writer) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(writer)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(writer, signal.SIGKILL)


def _running(pid: int) -> bool:
    """Whether a process exists and has not ended (a zombie waits only to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except FileNotFoundError:
        return False
    return state != "Z"
