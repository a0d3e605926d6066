"""The process model over real HTTP: one writer, views, the byte cap, kept-alive connections."""

import contextlib
import gc
import http.client
import json
import os
import queue
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
import requests
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.workers.sync import SyncWorker

from bench.peers import group_memory
from civicgraph.config import Settings
from civicgraph.store import MEMORY, EmbeddedStore
from civicgraph.store.results import SelectResult
from civicgraph.store.writer import reopened
from civicgraph.webapp import server as server_module
from civicgraph.webapp.keeper import IDLE_SECONDS, SWEEP_SECONDS
from civicgraph.webapp.plainhttp import HEAD_BYTES
from civicgraph.webapp.server import GRACE_SECONDS, _Gunicorn, freeze_before_fork
from civicgraph.webapp.worker import (
    REPORT_SECONDS,
    RETIRE,
    ServingWorker,
    heed_stops_sent_while_forked,
)
from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer, counting, serving_processes, sized_for
from tests.security import rawhttp
from tests.test_guard import ENDLESS

pytestmark = pytest.mark.server
AUTH = {"Authorization": f"Bearer {WRITE_TOKEN}"}
MIB = 1024 * 1024
BIG = "http://example.org/big"
JSON_ACCEPT = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Two serving processes plus the one kept for fairness, a 6 s limit, writes on."""
    env = {
        "CIVICGRAPH_WORKERS": "2",
        "CIVICGRAPH_QUERY_TIMEOUT": "6",
        "CIVICGRAPH_WRITE_TOKEN": WRITE_TOKEN,
        "CIVICGRAPH_LOAD_BUNDLED": "false",
    }
    live = LiveServer(tmp_path_factory.mktemp("serving") / "store", env).start()
    yield live
    live.stop()


def _put(server: LiveServer, graph: str, turtle: bytes) -> None:
    response = requests.put(
        f"{server.url}/store",
        params={"graph": graph},
        data=turtle,
        headers={**AUTH, "Content-Type": "text/turtle"},
        timeout=30,
    )
    response.raise_for_status()


def test_every_serving_process_sees_a_write_at_once(server: LiveServer) -> None:
    for n in range(6):
        _put(server, "http://example.org/seen", f"<http://a> <http://b> {n} .".encode())
        # Each request is a new connection, taken by whichever process is free.
        for _ in range(4):
            response = requests.get(
                f"{server.url}/sparql",
                params={"query": f"ASK {{ GRAPH <http://example.org/seen> {{ ?s ?p {n} }} }}"},
                timeout=10,
            )
            assert response.json()["boolean"] is True


def test_a_write_is_in_the_stores_files_not_only_in_its_log(
    server: LiveServer, tmp_path: Path
) -> None:
    """Every view replays at each reopen what is only in the database's log: seconds
    per hundred thousand triples written since the writer opened the store."""
    _put(server, "http://example.org/filed", b"<http://a> <http://b> <http://c> .")
    copy = tmp_path / "without-log"
    shutil.copytree(server.store, copy, ignore=shutil.ignore_patterns("*.log", "LOCK"))
    filed = EmbeddedStore(copy, read_only=True)
    try:
        assert "http://example.org/filed" in {g.iri for g in filed.graphs()}
    finally:
        filed.close()


def test_a_capped_answer_of_long_strings_stays_small_in_the_server(
    server: LiveServer,
) -> None:
    """Ten thousand rows of a 1 MiB literal would be 10 GiB; the byte cap stops at 32 MiB."""
    _put(server, BIG, b'<http://a> <http://b> "' + b"x" * MIB + b'" .')
    assert server.process is not None
    before = group_memory(server.process.pid)
    values = " ".join(map(str, range(10_000)))
    query = f"SELECT ?big ?n {{ GRAPH <{BIG}> {{ ?s ?p ?big }} VALUES ?n {{ {values} }} }}"
    response = requests.post(
        f"{server.url}/sparql",
        data=query,
        headers={"Content-Type": "application/sparql-query"},
        timeout=60,
    )
    grown = group_memory(server.process.pid) - before
    assert response.status_code == 200
    kept = int(response.headers["X-Civicgraph-Truncated"])
    assert 0 < kept < 40
    assert len(response.json()["results"]["bindings"]) == kept
    assert grown < 200 * MIB


def _get(connection: http.client.HTTPConnection, query: str) -> http.client.HTTPResponse:
    connection.request("GET", "/sparql?" + urlencode({"query": query}), headers=JSON_ACCEPT)
    response = connection.getresponse()
    response.read()
    return response


def test_a_connection_is_kept_alive_between_requests(server: LiveServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    first = _get(connection, "ASK {}")
    local = connection.sock.getsockname()
    time.sleep(0.3)  # idle: the client comes back to the process that answered it
    second = _get(connection, "ASK {}")
    assert (first.status, second.status) == (200, 200)
    assert first.getheader("Connection") == "keep-alive"
    assert connection.sock.getsockname() == local  # the same connection served both
    connection.close()


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A 2 s time limit: a stopped query ends well within a kept connection's idle time."""
    env = {"CIVICGRAPH_QUERY_TIMEOUT": "2", "CIVICGRAPH_LOAD_BUNDLED": "false"}
    live = LiveServer(tmp_path_factory.mktemp("quick") / "store", env).start()
    yield live
    live.stop()


@pytest.mark.timed
def test_a_kept_connection_survives_a_query_stopped_at_the_limit(quick: LiveServer) -> None:
    """The process killed at the time limit held no idle connection of other clients."""
    idle = http.client.HTTPConnection("127.0.0.1", quick.port, timeout=30)
    assert _get(idle, "ASK {}").status == 200
    local = idle.sock.getsockname()
    stopped = requests.get(f"{quick.url}/sparql", params={"query": ENDLESS}, timeout=30)
    assert stopped.status_code == 503
    assert stopped.headers["Connection"] == "close"
    assert _get(idle, "ASK {}").status == 200
    assert idle.sock.getsockname() == local
    idle.close()


def test_the_log_says_why_a_process_was_stopped_not_that_memory_ran_out(
    quick: LiveServer,
) -> None:
    """gunicorn reports a process killed by SIGKILL as "Perhaps out of memory?"; the
    watchdog's own line says which limit the query met, and gunicorn's is left out."""
    reason, booting = "its query ran past its time limit", "Booting worker"
    log = quick.log.read_text(errors="replace")
    before = log.count(reason), log.count(booting)
    stopped = requests.get(f"{quick.url}/sparql", params={"query": ENDLESS}, timeout=30)
    assert stopped.status_code == 503
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        log = quick.log.read_text(errors="replace")
        if log.count(reason) > before[0] and log.count(booting) > before[1]:
            break  # reaped (the reason is logged then) and replaced
        time.sleep(0.1)
    else:
        pytest.fail(quick.log_tail())
    assert "Perhaps out of memory" not in log, quick.log_tail()


def test_a_process_serving_one_client_on_and_on_still_reports_to_the_master(
    server: LiveServer,
) -> None:
    """gunicorn's master ends a serving process that has not reported within its
    timeout (two minutes). One client whose requests the same process serves one after
    another, pausing between them, must not keep it from reporting."""
    kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    assert _get(kept, "ASK {}").status == 200
    before = _reports(server)
    for _ in range(6):
        time.sleep(0.3)  # within the wait for the next request: served directly
        assert _get(kept, "ASK {}").status == 200
    after = _reports(server)
    kept.close()
    assert any(after[pid] - before[pid] > 1.0 for pid in before.keys() & after.keys())


def _reports(server: LiveServer) -> dict[int, float]:
    """When each serving process last reported to the master (its heartbeat file's
    modification time, which gunicorn sets to the monotonic clock)."""
    found = {}
    for pid in serving_processes(server):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if "wgunicorn-" in os.readlink(fd):
                    found[pid] = fd.stat().st_mtime
    return found


def test_a_posted_query_keeps_its_connection(server: LiveServer) -> None:
    """A POST whose body came whole with its head was read to its end: the next
    request on the connection starts at its first unread byte."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    ends = set()
    for content_type, body in [
        ("application/sparql-query", "ASK {}"),
        ("application/x-www-form-urlencoded", urlencode({"query": "ASK {}"})),
        ("application/sparql-query", "ASK { FILTER(false) }"),
    ]:
        connection.request(
            "POST", "/sparql", body=body, headers={**JSON_ACCEPT, "Content-Type": content_type}
        )
        response = connection.getresponse()
        assert json.loads(response.read())["boolean"] is (body != "ASK { FILTER(false) }")
        assert response.getheader("Connection") == "keep-alive"
        ends.add(connection.sock.getsockname())
    assert len(ends) == 1  # one connection served all three
    connection.close()


def test_a_request_with_a_body_read_as_it_comes_closes_its_connection(
    server: LiveServer,
) -> None:
    """A body gunicorn reads from the socket may be left unread in part: closed after."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request(
        "POST",
        "/sparql",
        body="ASK {}" + " " * HEAD_BYTES,
        headers={**JSON_ACCEPT, "Content-Type": "application/sparql-query"},
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    assert response.getheader("Connection") == "close"
    connection.close()


_POSTED_ASK = (
    "POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    "Content-Length: 6\r\n\r\nASK {}"
)


@pytest.mark.parametrize(
    "one",
    [f"GET /sparql?{urlencode({'query': 'ASK {}'})} HTTP/1.1\r\nHost: x\r\n\r\n", _POSTED_ASK],
)
def test_pipelined_requests_get_the_first_answer_and_a_close(server: LiveServer, one: str) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
        raw.sendall((one + one).encode())
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200")
    assert received.count(b"HTTP/1.1 ") == 1
    assert b"Connection: close" in received.split(b"\r\n\r\n", 1)[0]


def _exactly_head_bytes(method: str) -> bytes:
    """A plain query request of exactly ``HEAD_BYTES``, as a GET or a POST."""
    query = 'SELECT ("first" AS ?m) {}'
    if method == "GET":
        start = f"GET /sparql?{urlencode({'query': query})}"
        tail = " HTTP/1.1\r\nHost: x\r\n\r\n"
        padding = "+" * (HEAD_BYTES - len(start) - len(tail))
        return (start + padding + tail).encode()
    head = "POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    length = HEAD_BYTES - len(head) - len("Content-Length: 8000\r\n\r\n")
    return f"{head}Content-Length: {length}\r\n\r\n{query:<{length}}".encode()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_request_read_with_the_start_of_the_next_one_closes_after_its_answer(
    server: LiveServer, method: str
) -> None:
    """The keeper gathers a request that arrives in parts; when what it read holds
    the start of the next request too, only the first is answered, as for pipelined
    requests: the next one never starts in the middle of the bytes."""
    first = _exactly_head_bytes(method)
    assert len(first) == HEAD_BYTES
    hidden = f"GET /sparql?{urlencode({'query': 'ASK {}'})} HTTP/1.1\r\nHost: x\r\n\r\n"
    next_head = f"POST /api/labels HTTP/1.1\r\nHost: x\r\nContent-Length: {len(hidden)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
        raw.sendall(first[:100])
        time.sleep(0.3)  # the head is not whole: the keeper takes the connection
        raw.sendall(first[100:] + next_head.encode())
        time.sleep(0.3)
        raw.sendall(hidden.encode())
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 ") == 1
    assert b'"first"' in received
    assert b"Connection: close" in received.split(b"\r\n\r\n", 1)[0]


@pytest.mark.parametrize("mount", ["/x", "/sp", "/sparql"])
def test_a_client_cannot_move_the_mount_point(server: LiveServer, mount: str) -> None:
    """gunicorn reads SCRIPT_NAME from a header of a client on loopback unless told
    not to: a mount outside the path was a 500, one inside it re-rooted the routes."""
    ask = f"GET /sparql?{urlencode({'query': 'ASK {}'})} HTTP/1.1\r\nHost: x\r\n"
    head = f"{ask}SCRIPT_NAME: {mount}\r\nConnection: close\r\n\r\n"
    answer = rawhttp.send(server.port, head.encode(), close_writing=False)
    assert answer.status == 200
    assert json.loads(answer.body)["boolean"] is True


@pytest.mark.parametrize(
    "connection",
    [
        ("close, keep-alive",),
        ("keep-alive, close",),
        ("close, Upgrade",),
        ("keep-alive", "close"),
    ],
)
def test_a_close_named_in_any_connection_header_closes(
    server: LiveServer, connection: tuple[str, ...]
) -> None:
    """HTTP/1.1 closes when any Connection option says so; gunicorn read only the first
    header's whole value and kept such a connection, serving the next request on it."""
    ask = f"GET /sparql?{urlencode({'query': 'ASK {}'})} HTTP/1.1\r\nHost: x\r\n"
    head = ask + "".join(f"Connection: {value}\r\n" for value in connection) + "\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
        raw.sendall(head.encode())
        first = raw.recv(65536)
        time.sleep(0.1)
        with contextlib.suppress(OSError):  # a reset, once closed, is a close too
            raw.sendall(ask.encode() + b"\r\n")
            while chunk := raw.recv(65536):
                first += chunk
    assert first.count(b"HTTP/1.1 200") == 1
    assert b"Connection: close" in first


def test_a_kept_connection_does_not_inherit_the_close_timeout(server: LiveServer) -> None:
    """A request that pauses mid-header on a kept connection is still answered."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
        request = f"GET /sparql?{urlencode({'query': 'ASK {}'})} HTTP/1.1\r\nHost: x\r\n"
        raw.sendall((request + "\r\n").encode())
        first = raw.recv(65536)
        raw.sendall(request.encode())
        time.sleep(3)  # longer than the drain timeout gunicorn's close leaves on a socket
        raw.sendall(b"\r\n")
        second = raw.recv(65536)
    assert first.startswith(b"HTTP/1.1 200")
    assert second.startswith(b"HTTP/1.1 200")


def test_an_idle_connection_closed_by_the_keeper_is_not_kept_open_by_a_new_process(
    quick: LiveServer,
) -> None:
    """A serving process forked after a kill drops its copies of the keeper's connections."""
    idle = http.client.HTTPConnection("127.0.0.1", quick.port, timeout=15)
    assert _get(idle, "ASK {}").status == 200
    stopped = requests.get(f"{quick.url}/sparql", params={"query": ENDLESS}, timeout=30)
    assert stopped.status_code == 503  # its process was killed, and a new one forked
    assert idle.sock is not None
    # The keeper's end reaches the client once it has idled and been swept; a copy of
    # the connection left in a new process would hold it open until that ended.
    ended, _, _ = select.select([idle.sock], [], [], IDLE_SECONDS + SWEEP_SECONDS + 10)
    assert ended
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        _get(idle, "ASK {}")  # closed at once, not left to time out
    idle.close()


def test_every_serving_process_shares_the_masters_analysis_modules(server: LiveServer) -> None:
    """PageRank imports scipy: imported in the master, one copy is shared.
    The first serving process, forked before the import, has given way to another."""
    assert server.process is not None
    assert "scipy/sparse" in Path(f"/proc/{server.process.pid}/maps").read_text()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = serving_processes(server)
        maps = [_maps(pid) for pid in found]
        if len(found) == 3 and all("scipy/sparse" in m for m in maps):
            break
        time.sleep(0.1)
    assert len(found) == 3, server.log_tail()
    assert all("scipy/sparse" in m for m in maps)


def _maps(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except FileNotFoundError:  # it has just exited
        return ""


@pytest.mark.timed
def test_a_process_that_gives_way_passes_its_kept_connection_on(server: LiveServer) -> None:
    """Asked to give way (``RETIRE``), a serving process answers the request in hand and
    passes its connection to the keeper instead of closing it, and another takes its
    place."""
    size = sized_for(1.5)
    kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    assert _get(kept, "ASK {}").status == 200
    local = kept.sock.getsockname()
    kept.request("GET", f"/sparql?{urlencode({'query': counting(size)})}", headers=JSON_ACCEPT)
    time.sleep(0.5)  # the query is being evaluated
    before = serving_processes(server)
    for pid in before:
        os.kill(pid, RETIRE)
    response = kept.getresponse()
    assert response.status == 200
    assert response.getheader("Connection") != "close"
    assert json.loads(response.read())["results"]["bindings"][0]["n"]["value"] == str(size**3)
    assert _get(kept, "ASK {}").status == 200
    assert kept.sock.getsockname() == local  # the same connection, served by another process
    kept.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(serving_processes(server) - before) < 3:
        time.sleep(0.1)
    assert len(serving_processes(server) - before) == 3, server.log_tail()


class _Arbiter:
    """What ``_Gunicorn._pre_fork`` reads of gunicorn's arbiter."""

    def __init__(self, workers: int) -> None:
        self.num_workers = workers
        self.WORKERS: dict[int, object] = {}


def test_the_first_serving_process_does_not_wait_for_the_analysis_modules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The master imports them after forking the first serving process, and asks it to
    give way as it forks the last of the set."""
    imported: list[bool] = []
    signalled: list[tuple[int, int]] = []
    monkeypatch.setattr(server_module, "analysis_modules_imported", lambda: bool(imported))
    monkeypatch.setattr(server_module, "import_analysis_modules", lambda: imported.append(True))
    monkeypatch.setattr(os, "kill", lambda pid, sig: signalled.append((pid, sig)))
    monkeypatch.setattr(server_module, "freeze_before_fork", lambda *_: None)
    gunicorn = _Gunicorn(Settings(store=MEMORY), None)
    arbiter = _Arbiter(3)
    for pid in (101, 102, 103):
        gunicorn._pre_fork(arbiter, None)
        if pid == 101:
            assert not imported  # the first one is forked without them
        arbiter.WORKERS[pid] = object()
    assert imported == [True]
    assert signalled == [(101, RETIRE)]
    del arbiter.WORKERS[101]  # it gave way; its replacement changes nothing
    gunicorn._pre_fork(arbiter, None)
    assert imported == [True]
    assert signalled == [(101, RETIRE)]


def test_the_master_imports_the_analysis_modules_while_the_writer_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer is already on its way when the master imports: a start pays for the
    longer of the two, not both; serving still waits for the writer's socket."""
    ready, imported = tmp_path / "writer.sock", tmp_path / "imported"
    writer = subprocess.Popen(  # a writer that is ready only once the import has begun
        [
            sys.executable,
            "-c",
            "import time, pathlib\n"
            f"while not pathlib.Path({str(imported)!r}).exists(): time.sleep(0.01)\n"
            f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)",  # up, as a writer stays
        ]
    )
    seen: list[bool] = []

    def import_analysis_modules() -> None:
        seen.append(writer.poll() is None and not ready.exists())
        imported.touch()

    monkeypatch.setattr(server_module, "import_analysis_modules", import_analysis_modules)
    try:
        server_module._before_serving(writer, ready)
        assert seen == [True]  # imported while the writer was still starting
        assert ready.exists()  # and returned only once it was ready
    finally:
        writer.kill()
        writer.wait(10)
    server_module._before_serving(writer, None)
    assert seen == [True]  # not waiting: imported once a serving process is forked


def test_the_master_freezes_its_objects_before_each_fork() -> None:
    try:
        freeze_before_fork(None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_writer_keeps_the_data_and_writes_on_after_reopening(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.update("INSERT DATA { GRAPH <http://g> { <http://a> <http://b> 1 } }")
    store = reopened(store, tmp_path / "store")
    store.update("INSERT DATA { GRAPH <http://g> { <http://a> <http://b> 2 } }")
    found = store.query("SELECT (COUNT(*) AS ?n) { GRAPH <http://g> { ?s ?p ?o } }")
    assert isinstance(found, SelectResult)
    assert found.dicts()[0]["n"].value == "2"
    store.close()


def test_a_server_stops_without_tracebacks(tmp_path: Path) -> None:
    """Serving processes forked from the master do not try to wait for its writer."""
    live = LiveServer(tmp_path / "store", {"CIVICGRAPH_LOAD_BUNDLED": "false"}).start()
    try:
        assert requests.get(f"{live.url}/sparql", params={"query": "ASK {}"}, timeout=10).ok
    finally:
        live.stop()
    logged = live.log.read_text(errors="replace")
    assert "Worker exiting" in logged  # where the atexit tracebacks used to follow
    assert "Traceback" not in logged


def test_a_stop_waits_for_answers_in_flight_no_longer_than_the_time_limit() -> None:
    settings = Settings(store=MEMORY, query_timeout=7.0)
    assert _Gunicorn(settings, None).cfg.graceful_timeout == 7 + GRACE_SECONDS


def test_gunicorns_start_up_keeps_the_retire_handler_set_at_the_fork() -> None:
    """A serving process takes ``RETIRE`` from the fork on: gunicorn's own start-up,
    which resets its signals, must not drop one sent meanwhile."""
    cfg = Config()
    worker = ServingWorker(1, os.getpid(), [], None, 30, cfg, Logger(cfg))
    saved = {s: signal.getsignal(s) for s in (*SyncWorker.SIGNALS, RETIRE)}
    worker.PIPE = os.pipe()
    for fd in worker.PIPE:
        os.set_blocking(fd, False)
    try:
        worker.listen_for_retire()
        worker.init_signals()
        assert signal.getsignal(RETIRE) == worker._retire
        os.kill(os.getpid(), RETIRE)
        assert worker.retiring
        assert not worker.alive
    finally:
        signal.set_wakeup_fd(-1)
        for number, handler in saved.items():
            signal.signal(number, handler)
        for fd in worker.PIPE:
            os.close(fd)
        worker.tmp.close()


def _forked_with_the_masters_handler(queued: list[int]) -> int:
    """The wait status of a forked process that has the master's handlers (they queue a
    signal and do nothing else), finds ``queued`` in its copy of the master's queue,
    heeds them as a serving process does first, then is sent ``TERM``."""
    pid = os.fork()
    if pid:
        return os.waitpid(pid, 0)[1]
    try:  # the forked process: never back into pytest
        arbiter = SimpleNamespace(SIG_QUEUE=queue.SimpleQueue())
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(number, lambda got, _: arbiter.SIG_QUEUE.put_nowait(got))
        for number in queued:
            arbiter.SIG_QUEUE.put_nowait(number)
        try:
            heed_stops_sent_while_forked(arbiter)
        except SystemExit:
            os._exit(7)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    finally:
        os._exit(0)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT])
def test_a_stop_sent_as_a_serving_process_was_forked_ends_it(stop: int) -> None:
    """Sent before the process could take it, the stop is in its copy of the master's
    queue; it used to be lost there, and the stop waited the whole graceful timeout."""
    status = _forked_with_the_masters_handler([signal.SIGCHLD, stop])
    assert os.WIFEXITED(status)
    assert os.WEXITSTATUS(status) == 7


def test_a_stop_sent_after_a_serving_process_heeds_the_fork_ends_it() -> None:
    status = _forked_with_the_masters_handler([signal.SIGCHLD])
    assert os.WIFSIGNALED(status)
    assert os.WTERMSIG(status) == signal.SIGTERM


def test_a_serving_process_reports_to_the_master_at_most_once_a_second() -> None:
    """A report is a system call that gunicorn makes before every connection and a
    serving process before every request; the master waits minutes for one."""
    cfg = Config()
    worker = ServingWorker(1, os.getpid(), [], None, 30, cfg, Logger(cfg))
    try:
        worker.notify()
        first = worker.tmp.last_update()
        worker.notify()
        assert worker.tmp.last_update() == first
        time.sleep(REPORT_SECONDS)
        worker.notify()
        assert worker.tmp.last_update() > first
    finally:
        worker.tmp.close()
