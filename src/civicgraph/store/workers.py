"""Query worker processes: where a query runs so that it can really be stopped.

pyoxigraph cannot cancel a running query, and a thread cannot be killed, so queries
over an on-disk store run in child processes that each open the store read-only
(``pyoxigraph.Store.read_only``). The parent waits for an answer until the time
limit and then kills the child with SIGKILL: its CPU is free at once, and a fresh
child takes its place. Each child also has an address-space limit (``RLIMIT_AS``:
what it maps once the store is open, plus the memory budget), so one query cannot
take the machine's memory; a child that runs out dies or reports it, and is replaced.

A read-only store sees what was committed when it was opened. The parent keeps a
write generation, bumped after every write made through the application, and sends
it with each request; a child whose store is older reopens before it starts.

Each child leaves the network as it starts (``isolation.py``); it talks to the parent
only over a socket pair it inherited, which isolation keeps. Requests and answers
cross that socket pair as pickles: results are the tagged types of
``results.py`` holding pyoxigraph terms, which pickle faithfully. The endpoint asks for
its answers already serialized (``query_serialized``): bytes cross far faster than
terms, and the server process then has no serializing left to do.
"""

import contextlib
import os
import queue
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final

from civicgraph.errors import (
    CivicgraphError,
    QueryTimeoutError,
    ServerBusyError,
    StoreError,
)
from civicgraph.store.embedded import EmbeddedStore
from civicgraph.store.isolation import isolate_network
from civicgraph.store.views import open_read_only

#: How long a new child may take to import and open the store before it is given up.
START_TIMEOUT: Final = 60.0
_STARTED: Final = "started"


class _WorkerLostError(Exception):
    """A child stopped answering (time limit) or died (memory, crash)."""

    def __init__(self, overran: bool) -> None:
        super().__init__("over the time limit" if overran else "died")
        self.overran = overran


class _Worker:
    """One child process and the parent's end of its socket."""

    def __init__(self, path: Path, memory_budget: int, generation: int) -> None:
        parent_end, child_end = socket.socketpair()
        command = [sys.executable, "-c", "from civicgraph.store.workers import main; main()"]
        command += [str(child_end.fileno()), str(path), str(memory_budget), str(generation)]
        # A child that runs out of memory aborts; one line on stderr says so, not a backtrace.
        env = {**os.environ, "RUST_BACKTRACE": "0"}
        self.process = subprocess.Popen(
            command, pass_fds=[child_end.fileno()], stdin=subprocess.DEVNULL, env=env
        )
        child_end.close()
        self.connection = Connection(parent_end.detach())
        #: The write generation the child has open, once it has said so.
        self.generation: int | None = None

    def call(self, generation: int, method: str, kwargs: dict[str, Any], timeout: float) -> Any:
        """Send one request and wait for its answer within ``timeout``.

        A child that may have to (re)open the store first (its first request, or one
        after a write) is asked to say when it starts, and gets ``START_TIMEOUT`` for
        that; a child that already has this generation open starts at once, so the
        time limit runs from the request and one message comes back instead of two.
        """
        acknowledge = generation != self.generation
        try:
            self.connection.send((generation, method, kwargs, acknowledge))
            if acknowledge:
                if not self.connection.poll(START_TIMEOUT):
                    raise _WorkerLostError(overran=False)
                self.connection.recv()  # the child has the store open and starts now
                self.generation = generation
            if not self.connection.poll(timeout):
                raise _WorkerLostError(overran=True)
            status, value = self.connection.recv()
        except (EOFError, OSError) as exc:
            raise _WorkerLostError(overran=False) from exc
        if status == "error":
            raise value
        if status == "crash":
            raise RuntimeError(f"The query worker failed: {value}")
        if status == "memory":
            raise _WorkerLostError(overran=False)
        return value

    def kill(self) -> None:
        """Stop the child at once and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.connection.close()


class QueryPool:
    """Up to ``size`` children; each request takes one, or waits for one to be free.

    A child is started when a request finds none free and fewer than ``size`` started,
    not all of them with the pool: an app that answers a few queries at a time starts
    one or two (each costs half a second of CPU to import and open the store).

    The last free child is kept for short queries: a query that starts there may run
    only ``short_limit`` seconds. So long queries from some clients can hold every other
    child up to the full limit, and a cheap query from anyone else still gets an answer
    at once, while a long query that finds only that child is told the server is busy.
    """

    def __init__(
        self,
        path: Path,
        *,
        size: int,
        timeout: float,
        memory_budget: int,
        short_limit: float | None = None,
    ) -> None:
        self.path, self.timeout, self.memory_budget = path, timeout, memory_budget
        self.size, self.short_limit = size, short_limit
        self._generation = 0
        self._lock = threading.Lock()
        self._closed = False
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = 0  #: children started and not lost, up to ``size``

    def _spawn(self) -> _Worker:
        return _Worker(self.path, self.memory_budget, self._generation)

    def bump(self) -> None:
        """Record a write: every child reopens the store before its next request."""
        with self._lock:
            self._generation += 1

    def run(self, method: str, **kwargs: Any) -> Any:
        """Run ``EmbeddedStore.<method>(**kwargs)`` in a child, within the time limit."""
        if method not in READ_METHODS:
            raise ValueError(f"{method} is not a read method")
        worker = self._take()
        limit = self._limit_now()
        try:
            return worker.call(self._generation, method, kwargs, limit)
        except _WorkerLostError as lost:
            worker.kill()
            worker = self._spawn()
            if lost.overran and limit < self.timeout:
                raise ServerBusyError(limit) from None
            if lost.overran:
                raise QueryTimeoutError(self.timeout) from None
            raise QueryTimeoutError.over_memory(self.memory_budget) from None
        finally:
            self._give_back(worker)

    def _limit_now(self) -> float:
        """The full limit, or the short one when the child just taken was the last free
        one (none idle, and no more to start)."""
        free = not self._idle.empty() or self._started < self.size
        if self.short_limit is None or self.size < 2 or free:
            return self.timeout
        return min(self.timeout, self.short_limit)

    def _take(self) -> _Worker:
        if self._closed:
            raise StoreError("The store is closed")
        with contextlib.suppress(queue.Empty):
            return self._idle.get_nowait()
        with self._lock:
            if self._started < self.size:
                worker = self._spawn()
                self._started += 1
                return worker
        try:
            return self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise ServerBusyError(self.timeout) from None

    def _give_back(self, worker: _Worker) -> None:
        if self._closed:
            worker.kill()
        else:
            self._idle.put(worker)

    def close(self) -> None:
        """Stop every child; children busy right now are stopped when they come back."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return


def exit_with_parent(parent: int) -> None:
    """Leave when the parent is gone, even in the middle of a long query."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


#: What a child (or a serving process, in place) may be asked to do: the read-only
#: part of ``GraphStore``, and ``query_serialized`` for the endpoint. Each takes the
#: store first, so any ``GraphStore`` (a view, the primary) can answer.
READ_CALLS: Final[dict[str, Callable[..., Any]]] = {
    "query": lambda store, **kwargs: store.query(**kwargs),
    "query_serialized": lambda store, **kwargs: store.query_serialized(**kwargs),
    "graphs": lambda store: store.graphs(),
    "has_graph": lambda store, graph: store.has_graph(graph),
}
READ_METHODS: Final = frozenset(READ_CALLS)


def _answer(store: EmbeddedStore, method: str, kwargs: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", READ_CALLS[method](store, **kwargs)
    except CivicgraphError as exc:
        return "error", exc
    except MemoryError:
        raise
    except Exception as exc:  # a defect: reported (a logged 500), the worker stays up
        return "crash", f"{type(exc).__name__}: {exc}"


def _limit_memory(budget: int) -> None:
    """Cap the address space at what the child uses now (store open) plus ``budget``.

    A child with an open store already maps about half a GiB (interpreter, libraries,
    database threads), so the budget is counted on top of that, not from zero.
    """
    pages = int(Path("/proc/self/statm").read_text().split()[0])
    limit = pages * resource.getpagesize() + budget
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> None:
    """A child's loop: answer requests until the parent closes the socket."""
    isolate_network()  # first: CLONE_NEWUSER needs a process with a single thread
    fd, path, budget, generation = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    connection = Connection(int(fd))
    store: EmbeddedStore | None = None
    try:
        store = open_read_only(Path(path))  # now, so that the first query does not wait for it
    except StoreError:
        store = None  # tried again with the first request, which reports the error
    _limit_memory(budget)
    while True:
        try:
            wanted, method, kwargs, acknowledge = connection.recv()
        except EOFError:
            return
        started = False
        try:
            if store is None or wanted != generation:
                store, generation = None, wanted
                store = open_read_only(Path(path))
            if acknowledge:
                connection.send(_STARTED)
                started = True
            answer = _answer(store, method, kwargs)
            if answer[0] == "error" and type(answer[1]) is StoreError:
                # The writer may have compacted away a file this snapshot still names.
                store = open_read_only(Path(path))
                answer = _answer(store, method, kwargs)
            connection.send(answer)
        except CivicgraphError as exc:
            if acknowledge and not started:
                connection.send(_STARTED)
            connection.send(("error", exc))
        except MemoryError:
            connection.send(("memory", None))
            return
