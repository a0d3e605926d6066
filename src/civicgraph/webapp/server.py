"""Runs the web application under gunicorn, the production WSGI server.

Over an on-disk store (the usual case) the process tree is:

- the gunicorn master, which never opens the database; its watchdog thread
  (``webapp/watchdog.py``) stops a query past its time limit or memory budget and
  answers its client 503;
- one writer process (``store/writer.py``), which owns the store, loads the bundled
  data at start, and applies every write;
- several serving processes (one per core, plus one for fairness), each answering
  one request at a time and evaluating queries in place over its own read-only view.

pyoxigraph holds the interpreter lock while it evaluates, so threads do not spread
query work over cores and processes do. A remote store needs no writer of ours: its
serving processes (``config.REMOTE_WORKERS`` plus one, unless set) send their
queries to the server, each waiting for its answer as it would evaluate in place, in
the watchdog's care (the time limit, the short one for a query holding the last free process, the
memory budget). Either way, requests reach a serving process only once they have
arrived whole: until then the master's keeper holds the connection
(``webapp/keeper.py``). An in-memory store cannot be shared between processes: it is
served by one process with threads, whose queries run as before.

Every process that parses or evaluates request text leaves the network as it starts
(``store/isolation.py``): the serving processes in gunicorn's ``post_fork``, the
writer as it starts.
"""

import contextlib
import gc
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Final

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.http.wsgi import FileWrapper
from werkzeug.wsgi import ClosingIterator

from civicgraph.config import Settings
from civicgraph.dataset.loader import LoadReport, load_bundled
from civicgraph.dataset.versions import WRITE_TOKEN, log_for
from civicgraph.errors import CivicgraphError, StoreError
from civicgraph.network.views import analysis_modules_imported, import_analysis_modules
from civicgraph.sparql.lexer import terminals
from civicgraph.store import MEMORY, GraphStore, open_store
from civicgraph.store.checkpoints import Checkpoints
from civicgraph.store.guarded import GuardedStore
from civicgraph.store.isolation import Isolation, isolate_network
from civicgraph.store.memory import few_malloc_arenas
from civicgraph.store.structure import grow_stack
from civicgraph.store.views import Generation, ReadView, ViewStore
from civicgraph.store.writer import WriteLimits, WriterClient
from civicgraph.store.writerstate import WriterState
from civicgraph.webapp import create_app
from civicgraph.webapp.arrival import FIELDS, REQUEST_LINE, Arrival
from civicgraph.webapp.bodies import JSON_LIMIT
from civicgraph.webapp.inplace import InPlaceLimit, limit_memory
from civicgraph.webapp.keeper import Handoff, Keeper, drop_inherited_connections
from civicgraph.webapp.settle import Settler
from civicgraph.webapp.slots import Slots
from civicgraph.webapp.state import current_store
from civicgraph.webapp.watchdog import Watchdog
from civicgraph.webapp.worker import (
    RETIRE,
    ClientSocket,
    ServingWorker,
    heed_stops_sent_while_forked,
)
from civicgraph.webapp.writing import Watched, WriterProcess

#: How long the writer may take to open the store and load the bundled data.
WRITER_START_TIMEOUT: Final = 600.0
#: Threads of the single serving process for an in-memory store.
THREADS: Final = 8
#: Seconds a stop waits for answers in flight beyond the query time limit.
GRACE_SECONDS: Final = 2
#: Seconds beyond its writes' time limits that a serving process may wait for the
#: writer: a writer stopped at a limit is started again and reopens the store.
WRITER_RESTART_SECONDS: Final = 60


@dataclass(frozen=True)
class Runtime:
    """The files the processes of one server share: sockets and mapped tables."""

    root: Path

    @property
    def writer(self) -> Path:
        """The writer's socket."""
        return self.root / "writer.sock"

    @property
    def generation(self) -> Path:
        """The write counter views watch."""
        return self.root / "generation"

    @property
    def writer_state(self) -> Path:
        """What the writer is doing, for the master's watch of its limits."""
        return self.root / "writer-state"

    @property
    def slots(self) -> Path:
        """The table of serving processes and what each evaluates."""
        return self.root / "slots"


def _load_bundled_into(settings: Settings) -> None:
    """Run in a child process: open the store, load what changed, report each file."""
    store = open_store(settings)
    try:
        load_bundled(store, on_file=_report)
    except CivicgraphError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
    finally:
        store.close()


def _report(report: LoadReport) -> None:
    state = "unchanged" if report.skipped else f"{report.triples:,} triples"
    print(f"  {report.path.name}: {state}", file=sys.stderr)


def prepare_store(settings: Settings) -> None:
    """Load or refresh the bundled data of a remote store before serving, in a child.

    A spawned child keeps the gunicorn master free of the store's connections.
    """
    if not settings.load_bundled:
        return
    child = multiprocessing.get_context("spawn").Process(
        target=_load_bundled_into, args=(settings,)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise StoreError("Loading the bundled data failed; the message above says why")


def _wait_for_writer(child: subprocess.Popen[bytes], ready: Path) -> None:
    """Wait until the writer's socket appears: it has the store open and its data loaded."""
    deadline = time.monotonic() + WRITER_START_TIMEOUT
    while not ready.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            raise StoreError("The store could not be opened; the message above says why")
        time.sleep(0.02)


def _before_serving(writer: subprocess.Popen[bytes], ready: Path | None) -> None:
    """What the master does once the writer is started and before it forks: wait for
    the writer's socket (``ready``), if given.

    While it waits, it imports the analysis modules, for one copy shared by the serving
    processes: a start then pays for the longer of the two, not both. Otherwise they
    wait until the first serving process is forked (``_Gunicorn._pre_fork``).
    """
    if ready is not None:
        import_analysis_modules()
        _wait_for_writer(writer, ready)


def freeze_before_fork(_arbiter: Any, _worker: Any) -> None:
    """In the master, before it forks a serving process: freeze what it holds.

    The collector of a forked process would otherwise walk every object it inherited
    and write to each one's header, so each serving process ended up with its own
    copy of the master's pages; frozen objects are never walked.
    """
    gc.collect()
    gc.freeze()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """A gunicorn application whose WSGI app is built by ``create_app`` in the worker."""

    def __init__(self, settings: Settings, runtime: Runtime | None) -> None:
        self.settings, self.runtime = settings, runtime
        self.slots = Slots(runtime.slots, settings.serving_processes) if runtime else None
        #: How serving processes pass kept-alive connections to the master and back.
        arrival = Arrival.for_limits((settings.query_body_limit, JSON_LIMIT), settings.write_token)
        self.handoff = Handoff(arrival) if runtime else None
        self.app: Flask | None = None
        #: Serving processes forked before the master imported the analysis modules.
        self._early: set[int] = set()
        #: The master's watchdog, once it is ready (``_when_ready``).
        self.watchdog: Watchdog | None = None
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", f"{self.settings.host}:{self.settings.port}")
        self.cfg.set("workers", self.settings.serving_processes if self.handoff else 1)
        self.cfg.set("worker_class", ServingWorker if self.handoff else "gthread")
        self.cfg.set("threads", 1 if self.handoff else THREADS)
        # gunicorn ends a serving process silent for this long; one waiting for the
        # writer is silent for up to three writes (an upload of several parts: its
        # parts, the copy, the drop), each within the time limit for writes.
        settings = self.settings
        self.cfg.set("timeout", int(max(120, settings.query_timeout * 3, _writes_wait(settings))))
        # A stop waits for the answers in flight, which the time limit bounds; not for
        # gunicorn's 30 s.
        self.cfg.set("graceful_timeout", int(self.settings.query_timeout) + GRACE_SECONDS)
        self.cfg.set("accesslog", "-" if self.settings.access_log else None)
        self.cfg.set("limit_request_line", REQUEST_LINE)
        self.cfg.set("limit_request_fields", FIELDS)  # what the keeper reads a head by
        # gunicorn lets a client on a trusted address (loopback, by default) set the
        # mount point and path with SCRIPT_NAME and PATH_INFO headers: one outside the
        # path was a 500, one inside it re-rooted every route. The app is mounted where
        # its environment says, never where a request says.
        self.cfg.set("forwarder_headers", "")
        self.cfg.set("pre_fork", self._pre_fork)
        self.cfg.set("post_fork", self._post_fork)
        self.cfg.set("worker_exit", self._worker_exit)
        self.cfg.set("child_exit", self._child_exit)
        self.cfg.set("when_ready", self._when_ready)
        if "control_socket_disable" in self.cfg.settings:
            # One fixed control socket per user would make concurrent servers collide.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        """In the serving process: open its view, or the store, and build the app."""
        if self.runtime is None:
            self.app = create_app(self.settings)
            return self.app
        assert self.slots is not None
        if self.settings.is_remote:
            self.app = _remote_app(self.settings, self.slots)
        else:
            self.app = _serving_app(self.settings, self.runtime, self.slots)
        return self.app

    def _pre_fork(self, arbiter: Any, worker: Any) -> None:
        """In the master, before it forks a serving process.

        The first one is forked before the master imports the analysis modules (about
        0.3 s of a start), so that the first answer does not wait for them; the others
        after, sharing one copy. As the last of the set is forked, the processes forked
        without them are asked to give way (``RETIRE``: each ends its request, passes
        its connection to the keeper and exits, and gunicorn forks another), so no
        process holds a copy of its own for long. The lexer's pattern is compiled
        before the first fork, for one copy.
        """
        terminals()
        if arbiter.WORKERS and not analysis_modules_imported():
            import_analysis_modules()
            self._early = set(arbiter.WORKERS)
        if self._early and len(arbiter.WORKERS) + 1 >= arbiter.num_workers:
            for pid in self._early & arbiter.WORKERS.keys():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, RETIRE)
            self._early = set()
        freeze_before_fork(arbiter, worker)

    def _post_fork(self, arbiter: Any, worker: Any) -> None:
        """In the worker, before it has a thread or the store: exit if the server was
        told to stop meanwhile, then leave the network and let the main thread grow its
        stack (``structure.grow_stack``): a sync worker evaluates there (an in-memory
        store's threads keep theirs).

        A serving process evaluates queries in place (an in-memory store's one process
        too); the query workers it starts inherit its namespace. A remote store needs the
        network, so then the SERVICE/LOAD check on the text is the only guard.
        """
        heed_stops_sent_while_forked(arbiter)
        if isinstance(worker, ServingWorker):
            worker.listen_for_retire()
        if self.settings.is_remote:
            isolation = Isolation(False, "the store is remote; SERVICE and LOAD are refused")
        else:
            isolation = isolate_network()
        worker.log.info(isolation.describe())
        few_malloc_arenas()
        grow_stack()
        if self.handoff is not None:
            drop_inherited_connections()

    def _worker_exit(self, _arbiter: Any, _worker: Any) -> None:
        """In the worker, as it exits: close the view or the store."""
        if self.app is not None:
            current_store(self.app).close()

    def _when_ready(self, _arbiter: Any) -> None:
        """In the master, once it listens: start the watchdog and the keep-alive keeper."""
        if self.slots is not None:
            self.watchdog = Watchdog(self.slots)
            self.watchdog.start()
        if self.handoff is not None:
            Keeper(self.handoff).start()

    def _child_exit(self, _arbiter: Any, worker: Any) -> None:
        """In the master, when a serving process has gone: free its slot, and say why
        the watchdog killed it, if it did."""
        if self.slots is not None:
            self.slots.release(worker.pid)
        if self.watchdog is not None:
            self.watchdog.reaped(worker.pid)


def _writes_wait(settings: Settings) -> float:
    """The longest a serving process may wait for the writer's answers to one request."""
    return 3 * settings.write_timeout + WRITER_RESTART_SECONDS


def _limits(settings: Settings) -> WriteLimits:
    return WriteLimits(settings.write_timeout, settings.write_memory_budget)


def _serving_app(settings: Settings, runtime: Runtime, slots: Slots) -> Flask:
    """One serving process's app: in-place reads over a view, writes to the writer."""
    path = Path(settings.store)
    checkpoints = Checkpoints.for_server(path, runtime.root)
    view = ReadView(path, Generation(runtime.generation), checkpoints)
    limit = InPlaceLimit(settings, slots)
    writer = WriterClient(runtime.writer, WriterState(runtime.writer_state), _limits(settings))
    store: GraphStore = ViewStore(view, writer)
    # A version record reads the whole store: the writer makes it, and its memory is
    # given back there, not kept by whichever serving process took the write.
    record = partial(writer.record, WRITE_TOKEN) if log_for(settings) else None
    guarded = GuardedStore(store, settings, limit, on_write=record)
    app = create_app(replace(settings, load_bundled=False), guarded, warm=False, record_start=False)
    return _watched(app, settings, limit, slots, Settler(view))


def _remote_app(settings: Settings, slots: Slots) -> Flask:
    """One serving process's app over a remote store: each read waits for the server in
    the watchdog's care, as an evaluation in place does; writes go to the server.

    The master loaded the bundled data before it forked. As over an on-disk store, the
    network is built when a request first asks for it, not at start: a process the
    watchdog replaces would otherwise start a build each time.
    """
    limit = InPlaceLimit(settings, slots)
    guarded = GuardedStore(open_store(settings), settings, limit)
    app = create_app(replace(settings, load_bundled=False), guarded, warm=False)
    return _watched(app, settings, limit, slots, None)


def _watched(
    app: Flask, settings: Settings, limit: InPlaceLimit, slots: Slots, settler: Settler | None
) -> Flask:
    """``app`` with each request's client socket known to ``limit`` (the watchdog answers
    it at a limit), settled after heavy requests, in a slot of its own."""
    wsgi, limit.app = app.wsgi_app, app

    def with_client(environ: dict[str, Any], start_response: Any) -> Any:
        client = environ.get("gunicorn.socket")
        if isinstance(client, ClientSocket):  # the app sees the socket itself
            client = environ["gunicorn.socket"] = client.socket
        limit.client = client.fileno() if client is not None else None
        limit.environ = environ
        began = time.monotonic()
        try:
            body = wsgi(environ, start_response)
        finally:
            limit.client, limit.environ = None, {}
        if settler is None or isinstance(body, FileWrapper):  # a static file goes whole
            return body
        # Closed once the answer is sent: settling then delays no client.
        return ClosingIterator(body, lambda: settler.after(time.monotonic() - began))

    app.wsgi_app = with_client  # type: ignore[method-assign]
    slots.claim(limit_memory(settings.memory_budget))
    return app


def serve(settings: Settings) -> None:
    """Serve until interrupted."""
    if settings.store == MEMORY:
        _Gunicorn(settings, None).run()
        return
    runtime = Runtime(Path(tempfile.mkdtemp(prefix="civicgraph-")))
    writer: WriterProcess | None = None
    master = os.getpid()
    try:
        if settings.is_remote:
            prepare_store(settings)
            _Gunicorn(settings, runtime).run()
            return
        Generation(runtime.generation)
        watched = Watched(WriterState(runtime.writer_state), _limits(settings))
        store = Path(settings.store)
        versions = log_for(settings)
        args = (
            store,
            runtime.writer,
            runtime.generation,
            "bundled" if settings.load_bundled else "",
            versions.folder if versions else None,
            runtime.writer_state,
        )
        # Serving waits for the writer only when there is no data to read yet, or
        # the bundled data is to be loaded first (asked before the writer makes one).
        waits = settings.load_bundled or not store.exists()
        again = (*args[:3], "", *args[4:])  # restarts find the bundled data loaded
        writer = WriterProcess(args, again, watched)
        _before_serving(writer.process, runtime.writer if waits else None)
        writer.watch()
        _Gunicorn(settings, runtime).run()
    finally:
        # A serving process leaves gunicorn's run by SystemExit through here too; only
        # the master owns the writer and the shared files.
        if os.getpid() == master:
            if writer is not None:
                writer.stop()
                Checkpoints.for_server(Path(settings.store), runtime.root).remove()
            shutil.rmtree(runtime.root, ignore_errors=True)
