"""Processes that evaluate queries or parse uploads have no network, whatever they run.

Here the SERVICE/LOAD check on the text is bypassed on purpose: the store and the query
workers are called directly, as a bug in the check would let a query through. pyoxigraph
then tries to connect, and must fail with a network error while a real listener on the
host's loopback sees nothing.
"""

import fcntl
import multiprocessing
import os
import socket
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
import requests

from civicgraph.errors import StoreError
from civicgraph.store import EmbeddedStore
from civicgraph.store.isolation import IFF_UP, IFREQ, is_isolated, isolate_network
from civicgraph.store.workers import QueryPool
from tests.live import LiveServer, OxigraphServer, evaluating_processes
from tests.security.listener import Listener

#: Set an interface's flags, from <linux/sockios.h>.
_SIOCSIFFLAGS = 0x8914

pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/ns/net"), reason="network namespaces are Linux-only"
)


def _service(port: int) -> str:
    return f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"


def _evaluate_isolated(port: int, answer: Connection) -> None:
    """In a child: leave the network, then let pyoxigraph run SERVICE and LOAD."""
    isolation = isolate_network()
    store = EmbeddedStore()
    outcomes = [isolation.describe()]
    for run in (
        lambda: store.query(_service(port)),
        lambda: store.update(f"LOAD <http://127.0.0.1:{port}/data.ttl>"),
    ):
        try:
            run()
            outcomes.append("ran")
        except StoreError as exc:
            outcomes.append(str(exc))
    answer.send(outcomes)


def test_an_isolated_process_cannot_reach_a_listener(listener: Listener) -> None:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_evaluate_isolated, args=(listener.port, theirs))
    child.start()
    isolation, service, load = ours.recv()
    child.join(timeout=30)
    assert isolation == "network isolation: active"
    assert "unreachable" in service
    assert "unreachable" in load


def _in_a_namespace_with_only_an_up_loopback(answer: Connection) -> None:
    """In a child: make a namespace like a container's run without a network (only a
    loopback, up) with a listener on it, then isolate and try to reach the listener."""
    isolate_network()  # a fresh namespace, its loopback down
    request = IFREQ.pack(b"lo", IFF_UP)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        fcntl.ioctl(probe, _SIOCSIFFLAGS, request)
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        seen = [is_isolated()]
        isolate_network()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            seen.append("connected")
        except OSError as exc:
            seen.append(exc.strerror or str(exc))
    answer.send(seen)


def test_a_namespace_whose_loopback_is_up_is_left_for_one_without_network() -> None:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_in_a_namespace_with_only_an_up_loopback, args=(theirs,))
    child.start()
    seen = ours.recv()
    child.join(timeout=30)
    assert seen[0] is False  # only a loopback, but up: not isolated
    assert seen[1] != "connected", seen


def test_a_query_worker_cannot_reach_a_listener(tmp_path: Path, listener: Listener) -> None:
    """The pool's workers isolate themselves, even under a parent that has network."""
    assert not is_isolated()
    EmbeddedStore(tmp_path / "store").close()
    pool = QueryPool(tmp_path / "store", size=1, timeout=30, memory_budget=512 * 1024 * 1024)
    try:
        with pytest.raises(StoreError, match="unreachable"):
            pool.run("query", sparql=_service(listener.port))
        with pytest.raises(StoreError, match="unreachable"):
            pool.run("query_serialized", sparql=_service(listener.port), accept=None)
    finally:
        pool.close()


def _namespace(pid: int | str) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


def _isolated(pids: list[int]) -> bool:
    """Whether none of ``pids`` shares this process's network namespace."""
    try:
        return {_namespace(pid) for pid in pids}.isdisjoint({_namespace("self")})
    except FileNotFoundError:  # one ended: read them again
        return False


@pytest.mark.server
def test_every_serving_process_and_the_writer_have_no_network(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "store", {"CIVICGRAPH_LOAD_BUNDLED": "false"}).start()
    try:
        requests.get(f"{server.url}/sparql", params={"query": "ASK {}"}, timeout=30)
        assert server.process is not None
        evaluators: list[int] = []
        deadline = time.monotonic() + 30
        # Until all have started and each has left the network: a process just forked
        # is still in its master's namespace until it leaves it.
        while not (len(evaluators) >= 3 and _isolated(evaluators)):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
            evaluators = evaluating_processes(server)
        assert len(evaluators) >= 3  # serving processes (one per core, plus one) and the writer
        assert _isolated(evaluators)
        assert "network isolation: active" in server.log.read_text()
    finally:
        server.stop()


@pytest.mark.server
def test_a_server_over_a_remote_store_says_it_is_not_isolated(
    tmp_path: Path, oxigraph_server: OxigraphServer
) -> None:
    env = {"CIVICGRAPH_LOAD_BUNDLED": "false"}
    # A later --store wins: the log still goes beside the first one.
    args = ("--store", oxigraph_server.query_url)
    server = LiveServer(tmp_path / "store", env, args).start()
    try:
        assert "network isolation: unavailable: the store is remote" in server.log.read_text()
    finally:
        server.stop()
