"""The one writer: a process that owns the on-disk store and applies every write.

Serving processes evaluate queries over their own read-only views; loads, updates
and Graph Store writes are sent here, one connection per write, and applied one at
a time in the order they arrive, so there is exactly one writer and reads never wait
for it. After each write that changed the data the writer records a new dataset
revision and bumps the shared ``Generation``: every view reopens before its next read.

Requests cross a Unix socket as pickles (``multiprocessing.connection``): an upload
is at most the upload limit, and errors are the project's own picklable exceptions.
"""

import contextlib
import logging
import os
import secrets
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Client, Connection
from pathlib import Path
from typing import Any, BinaryIO, Final

from civicgraph.dataset.delta import Delta
from civicgraph.dataset.loader import LoadReport, load_bundled, record_revision
from civicgraph.dataset.versions import START, VersionLog, record_quietly
from civicgraph.errors import CivicgraphError, StoreError, WriteLimitError
from civicgraph.formats import Format
from civicgraph.sparql.written import graphs_written
from civicgraph.store.base import GraphStore, ProgressCallback, RdfInput, Upload
from civicgraph.store.checkpoints import Checkpoints
from civicgraph.store.embedded import EmbeddedStore
from civicgraph.store.isolation import isolate_network
from civicgraph.store.memory import return_free_memory
from civicgraph.store.views import Generation
from civicgraph.store.workers import exit_with_parent
from civicgraph.store.writerstate import Stop, WriterState

#: Seconds a write waits for a writer that is still starting.
CONNECT_PATIENCE: Final = 10.0
#: Seconds a write the writer stopped before answering waits for the next writer: to
#: be sent again (it never began) or to hear whether it was applied (it began).
RESEND_SECONDS: Final = 60.0
_STOPPED: Final = "The writer process stopped during the write"
_log = logging.getLogger(__name__)
#: The writes a serving process may ask for.
WRITE_METHODS: Final = frozenset({"update", "load", "load_parts", "drop_graph"})
#: The other request: record a dataset version after a write.
RECORD: Final = "record"


def changes_data(method: str, kwargs: dict[str, Any], result: object) -> bool:
    """Whether a successful write changed what queries see: dropping a graph that did
    not exist changes nothing."""
    return not (method == "drop_graph" and result is False)


def apply_write(store: GraphStore, method: str, kwargs: dict[str, Any]) -> Any:
    """Apply one write and, if it changed the data, record a new dataset revision.

    Called only for writes that succeed: a refused write changed nothing, so it must
    not change the version either.
    """
    result = getattr(store, method)(**kwargs)
    if changes_data(method, kwargs, result):
        record_revision(store)
    return result


@dataclass(frozen=True)
class WriteLimits:
    """How long one write may run in the writer, and how much memory it may add."""

    seconds: float
    budget: int

    def error(self, stop: Stop) -> WriteLimitError:
        """What the client of a write that the master stopped for ``stop`` is told."""
        if stop is Stop.TIME:
            return WriteLimitError.time(self.seconds)
        return WriteLimitError.memory(self.budget)


class WriterClient:
    """The serving side: each write is one connection to the writer process.

    With the writer's ``state`` (``WriterState``), a writer that stopped before it
    answered is followed up: a write it never began is sent to the next writer; one it
    began is answered as the next writer finds it, applied or not, and a write the
    master stopped at ``limits`` says which.
    """

    def __init__(
        self, address: Path, state: WriterState | None = None, limits: WriteLimits | None = None
    ) -> None:
        self.address, self.state, self.limits = address, state, limits

    def _connect(self) -> Connection:
        """Connect, waiting a little for a writer that is still starting."""
        deadline = time.monotonic() + CONNECT_PATIENCE
        while True:
            try:
                return Client(str(self.address), family="AF_UNIX")
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise StoreError(f"The writer process cannot be reached: {exc}") from exc
                time.sleep(0.05)

    def _call(self, method: str, **kwargs: Any) -> Any:
        """Send one request, and follow it up if the writer stops before answering."""
        deadline = time.monotonic() + RESEND_SECONDS
        while True:
            number = secrets.randbits(63) + 1  # 0 is no write
            try:
                status, value = self._exchange((method, kwargs, number))
                break
            except StoreError:  # no writer took it within ``CONNECT_PATIENCE``
                if self.state is None or time.monotonic() > deadline:
                    raise
            except (EOFError, OSError) as exc:
                began_in = self.state.began_in(number) if self.state else None
                if self.state is None or method not in WRITE_METHODS:
                    raise StoreError(_STOPPED) from exc
                if began_in is not None:
                    return self._outcome(method, number, began_in)
                if time.monotonic() > deadline:  # never began, and no writer takes it
                    raise StoreError(_STOPPED) from exc
        if status == "error":
            raise value
        if status == "crash":
            raise RuntimeError(f"The writer failed: {value}")
        return value

    def _exchange(self, request: tuple[str, dict[str, Any], int]) -> tuple[str, Any]:
        with self._connect() as connection:
            connection.send(request)
            answer: tuple[str, Any] = connection.recv()
            return answer

    def _outcome(self, method: str, number: int, began_in: int) -> Any:
        """The result of the write ``number``, begun by a writer that stopped before it
        answered, once the next writer has looked for it; or why none of it applied."""
        assert self.state is not None
        deadline = time.monotonic() + RESEND_SECONDS
        while self.state.opens() <= began_in:
            if time.monotonic() > deadline:
                raise StoreError(
                    "The writer process stopped during the write and has not started "
                    "again; whether the write was applied is not known yet."
                )
            time.sleep(0.05)
        applied, result = self.state.found(number)
        if applied:
            _log.warning("The writer stopped after it applied a write; the write stands.")
            return bool(result) if method == "drop_graph" else result
        stop = self.state.stopped(number)
        if stop is not Stop.NONE and self.limits is not None:
            raise self.limits.error(stop)
        raise StoreError(f"{_STOPPED}; none of it was applied.")

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Apply a SPARQL Update in the writer."""
        self._call("update", sparql=sparql, base_iri=base_iri)

    def load(
        self,
        source: RdfInput,
        fmt: Format,
        graph: str | None,
        *,
        replace: bool = True,
        base_iri: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> int:
        """Load in the writer; a stream is read here first (it cannot cross processes)."""
        body = source if isinstance(source, (bytes, Path)) else _read_all(source)
        count: int = self._call(
            "load", source=body, fmt=fmt, graph=graph, replace=replace, base_iri=base_iri
        )
        return count

    def load_parts(self, upload: Upload) -> int:
        """Load several documents in the writer, as one write."""
        count: int = self._call("load_parts", upload=upload)
        return count

    def drop_graph(self, graph: str | None) -> bool:
        """Drop a graph in the writer."""
        existed: bool = self._call("drop_graph", graph=graph)
        return existed

    def record(self, who: str, action: str) -> None:
        """Record a dataset version in the writer (it reads the whole store)."""
        self._call(RECORD, who=who, action=action)


def _read_all(stream: BinaryIO) -> bytes:
    return stream.read()


@dataclass
class _Owner:
    """What the writer process holds: the store, the write counter, the version log."""

    path: Path
    store: EmbeddedStore
    generation: Generation
    log: VersionLog | None
    #: Where the master sees how long the current write has run (None: nobody watches).
    state: WriterState | None = None
    #: The graphs the writes since the last record changed, or None when not known (an
    #: update may change any graph): the record reads only those back.
    touched: set[str | None] | None = None
    #: Whether the store holds the record of a write not yet answered.
    unanswered: bool = False
    #: Where the views' checkpoints are published (None: views open the store itself).
    checkpoints: Checkpoints | None = None
    #: Every quad the writes since the last record added and removed, when each was an
    #: update of given triples (``Delta``); None when not known (or no log).
    changed: Delta | None = None
    #: The graphs whose recorded rows this writer saw match the store (read back, or
    #: recorded from rows that were): only theirs take a ``Delta``. A change made with
    #: another tool while the server was down is found as a write makes each be read.
    confirmed: set[str | None] = field(default_factory=set)

    def advance(self) -> None:
        """Publish the store for the views, then have them reopen (``advance``)."""
        advance(self.store, self.generation, self.checkpoints)

    def record(self, who: str, action: str) -> None:
        """Record a dataset version after a write, then give back the freed memory.

        The store is not reopened here, as it is after the start record: the write
        before it is in the store's files already (``answer``), so a reopen would free
        only the database's block cache, for the cost of a reopen after every write.
        """
        if self.log is None:
            return
        touched = self.touched
        changed = self.changed.within(self.confirmed) if self.changed is not None else None
        if record_quietly(
            self.log, self.store, who=who, action=action, touched=touched, changed=changed
        ):
            self.confirmed |= touched or set()
            self.touched, self.changed = set(), Delta()
        return_free_memory()

    def record_start(self) -> None:
        """Record the version found at start, then reopen to drop what the record cached.

        The store has not changed since it was opened, so the reopen writes no file.
        Nothing is read when nothing was written through civicgraph since the last
        record (``VersionLog.is_current``).
        """
        if self.log is None:
            self.touched = set()
            return
        if self.log.is_current(self.store):
            self.touched, self.changed = set(), Delta()
            return
        if record_quietly(self.log, self.store, who="civicgraph serve", action=START):
            self.touched, self.changed = set(), Delta()
        self.store = reopened(self.store, self.path)

    def answer(self, request: Any) -> tuple[str, Any]:
        """Apply one write, or record a version, as a serving process asked."""
        method, kwargs, number = request
        if method not in WRITE_METHODS | {RECORD}:
            return "crash", f"{method} is not a write"
        try:
            if method == RECORD:
                self.record(**kwargs)
                return "ok", None
            result = self._timed(method, kwargs, number)
        except CivicgraphError as exc:
            return "error", exc
        except Exception as exc:  # a defect: reported (a logged 500), the writer stays up
            return "crash", f"{type(exc).__name__}: {exc}"
        if changes_data(method, kwargs, result):
            self._note_touched(method, kwargs)
            # Into the store's files: a view opens them at once, where what was only in
            # the database's log is replayed by every view at every reopen (1.7 s each
            # after two reloads of 100k triples, growing with every write since start).
            self.store.flush()
            self.advance()
        return "ok", result

    def answered(self) -> None:
        """The answer is sent: the write's record in the store is no longer needed.

        A view that reopened after the write and before this (its client asked again
        at once) hides the record's graph as it hides any staging graph, by naming
        every other graph in each query instead of reading their union, slower: the
        count bumped again has it reopen without the record.
        """
        if self.unanswered and self.store.forget_written():
            self.advance()
        self.unanswered = False

    def _note_touched(self, method: str, kwargs: dict[str, Any]) -> None:
        """Note the graph an upload or a drop changed, or those an update's text names
        (``graphs_written``); after an update whose text does not say, any may have."""
        self._note_changed(method, kwargs)
        if self.touched is None:
            return
        if method in ("load", "drop_graph"):
            self.touched.add(kwargs["graph"])
            return
        if method == "load_parts":
            self.touched.add(kwargs["upload"].graph)
            return
        written = graphs_written(kwargs["sparql"]) if method == "update" else None
        if written is None:
            self.touched = None
        else:
            self.touched |= written

    def _note_changed(self, method: str, kwargs: dict[str, Any]) -> None:
        """Note the quads an update of given triples changed, once the store shows them
        changed; after any other write, what changed is not known."""
        if method != "update" or self.changed is None:
            self.changed = None
            return
        delta = Delta.of_update(kwargs["sparql"])
        if delta is None or not delta.holds_in(self.store.contains):
            self.changed = None
        else:
            self.changed = self.changed.then(delta)

    def _timed(self, method: str, kwargs: dict[str, Any], number: int) -> Any:
        """Apply a write where the master sees it run (``WriterState``): past the limits
        it stops this process; the write's commit records its number, for the next
        writer to find. A version record is not timed: it reads the whole store, which
        its size bounds."""
        if self.state is not None:
            self.state.begin(number)
        self.store.write_number = number  # its commit records it (``EmbeddedStore``)
        self.unanswered = True
        try:
            return apply_write(self.store, method, kwargs)
        finally:
            self.store.write_number = None
            if self.state is not None:
                self.state.end()


def _report(report: LoadReport) -> None:
    state = "unchanged" if report.skipped else f"{report.triples:,} triples"
    print(f"  {report.path.name}: {state}", file=sys.stderr)


def main() -> None:
    """The writer process as ``civicgraph serve`` starts it, its arguments on the command line.

    The store, the socket to listen on, the write counter, ``bundled`` or nothing, the
    version log's folder or nothing, and the shared ``WriterState`` or nothing.
    """
    store, address, generation, bundled, versions, state = sys.argv[1:7]
    log = Path(versions) if versions else None
    shared = WriterState(Path(state)) if state else None
    try:
        serve_writes(Path(store), Path(address), Path(generation), bool(bundled), log, state=shared)
    except CivicgraphError as exc:  # the store cannot be opened: said in a line, not a trace
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)


def serve_writes(
    store_path: Path,
    address: Path,
    generation_path: Path,
    bundled: bool,
    versions: Path | None,
    *,
    state: WriterState | None = None,
) -> None:
    """The writer process: open the store, load the bundled data, then apply writes.

    The socket appears only once the bundled data is loaded: the server answers
    nothing before its data is there. The version found at start is recorded here,
    once for the whole server, while the serving processes already answer; so is the
    version after each write, whichever serving process took it.
    """
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    print(isolate_network().describe(), file=sys.stderr)  # it parses uploads and updates
    store = EmbeddedStore(store_path)
    if store.written is not None:  # the last writer stopped after a commit: count it
        record_revision(store)
    if state is not None:
        state.opened(store.written)
    generation = Generation(generation_path)
    checkpoints = Checkpoints.for_server(store_path, generation_path.parent)
    with contextlib.suppress(OSError):
        checkpoints.prune_others()
    # At once: views opened the store itself before any checkpoint, and the first
    # compaction of a store fresh from a bulk load begins as the store opens.
    advance(store, generation, checkpoints)
    if bundled:
        try:
            load_bundled(store, on_file=_report)
        except CivicgraphError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            sys.exit(1)
        store.flush()
        advance(store, generation, checkpoints)  # a view opened before now reopens
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with contextlib.suppress(FileNotFoundError):  # left by a writer that stopped here
        os.unlink(str(address) + ".tmp")
    listener.bind(str(address) + ".tmp")
    listener.listen(64)
    os.replace(str(address) + ".tmp", address)  # appears only once it accepts
    log = VersionLog(versions) if versions else None
    owner = _Owner(store_path, store, generation, log, state, checkpoints=checkpoints)
    if store.written is None:  # else that write's client records it, named as it was
        owner.record_start()
    _compact_at_start(owner)
    _apply_writes(owner, listener)


def _compact_at_start(owner: _Owner) -> None:
    """Compact the store, then publish it: the views move to the compacted files.

    A store fresh from a bulk load is compacted by the database as it opens, after
    the views took their first checkpoint, which they would keep until the next write;
    over those files scans took 1.5-2x as long (a million triples: ``COUNT(*)`` 61 ms
    against 33, a text search 1.17x `oxigraph serve`'s time against 0.71-0.82x). The
    compaction takes 1.4-1.9 s at a million triples; reads go on meanwhile, writes wait.
    """
    try:
        owner.store.optimize()
    except (OSError, StoreError) as exc:  # the store still serves as it is
        print(f"The store could not be compacted at start: {exc}", file=sys.stderr)
        return
    owner.advance()


def advance(store: EmbeddedStore, generation: Generation, checkpoints: Checkpoints | None) -> None:
    """Publish ``store`` as the checkpoint of the next count, bump the count (every view
    reopens on it before its next read, ``store/checkpoints.py``), then remove the
    checkpoints no view holds: only after the bump, so that the count never names a
    removed one. A checkpoint that cannot be made is said once; views then open the
    store itself."""
    number = generation.value() + 1
    if checkpoints is not None:
        try:
            checkpoints.publish(store, number)
        except (OSError, StoreError) as exc:
            if not checkpoints.failed:
                print(f"Views open the store itself: no checkpoint of it ({exc})", file=sys.stderr)
            checkpoints.failed = True
    generation.bump()
    if checkpoints is not None:
        with contextlib.suppress(OSError):
            checkpoints.prune(keep=number)


def reopened(store: EmbeddedStore, path: Path) -> EmbeddedStore:
    """The store opened afresh, and the memory of having read all of it given back.

    A version record reads every triple: the database's block cache stays full and
    the allocator keeps the peak, together about 60 MiB at a million triples, which
    the writer would hold for the server's lifetime though it mostly waits.
    """
    store.close()  # flushed: a view opening meanwhile finds every write in the files
    return_free_memory()  # nothing left may hold the closed database open
    try:
        return EmbeddedStore(path)
    except StoreError as exc:
        # A closed store takes writes into memory: stop, so that writes fail loudly.
        print(f"Error: the writer could not reopen the store: {exc}", file=sys.stderr)
        os._exit(1)


def _apply_writes(owner: _Owner, listener: socket.socket) -> None:
    """Answer one request per connection, in the order they arrive, forever."""
    while True:
        sock, _ = listener.accept()
        with Connection(sock.detach()) as connection:
            try:
                request = connection.recv()
                connection.send(owner.answer(request))
            except (EOFError, OSError):
                continue
            finally:
                owner.answered()
