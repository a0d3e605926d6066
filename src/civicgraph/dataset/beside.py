"""An in-memory copy of the files a load reads, made in a second process.

Besides the load itself, ``civicgraph load`` needs each loaded graph's rows for the
version log and the files' SHACL report. Both are cheap over an in-memory store and
slow over the one on disk: reading a million triples back out of it takes several
seconds, since every term is looked up by its hash. So a second process parses the
files into memory while this one loads them, writes each loaded graph's rows as the
version log's state file to be (with their count and digest, so that the record after
the load renames a file instead of reading and writing a million rows), and sends the
report's text when validation ends; the rows and the checks run side by side, in a
fork of it made once the copy is. On two cores the load's own time is the
store's loader, and the rest runs beside it, at a lower priority (``NICE``): when
both wanted both cores, the load took 12 s instead of 9.4 at a million triples.

The process is a fork where this one has a single thread, so that no lock another
thread holds can be copied into it (``start_context``), and a new interpreter otherwise.
"""

import fcntl
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkContext, SpawnContext
from pathlib import Path
from typing import Final, NamedTuple

from pyoxigraph import RdfFormat, Store

from civicgraph.dataset import loader, validation
from civicgraph.dataset.versions import Known, canonical_rows, stage
from civicgraph.errors import CivicgraphError
from civicgraph.store import GraphStore
from civicgraph.store.structure_child import end_with_parent


@dataclass(frozen=True)
class Copied:
    """One file as the second process read it: its bytes' SHA-256, its graph's rows."""

    sha256: str
    known: Known


#: How much the second process's nice value is raised. The load is what the command
#: waits for first, and it needs a core of its own to run at the store loader's speed;
#: the copy and the checks take what it leaves.
NICE = 10


def start_context() -> ForkContext | SpawnContext:
    """How the process starts: ``fork`` if this one has one thread, else ``spawn``.

    ``civicgraph load`` starts the process before it opens the store or starts a
    thread. A fork then has the modules imported already, and a new interpreter would
    import them again first: 0.3 s of the process's CPU, which at 100k triples was
    most of what the command waited for after the loader. With a second thread
    anywhere (an app that loads, a test runner), a lock it holds could be copied
    locked into a fork, so a new interpreter is started instead.
    """
    alone = threads() == 1
    return multiprocessing.get_context("fork") if alone else multiprocessing.get_context("spawn")


def threads() -> int | None:
    """How many threads this process has; None where that cannot be read (no /proc)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


class Beside:
    """The second process: rows of some files, and (if asked) the shape report."""

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        rows_of: Collection[int],
        staging: Path | None,
        validate: bool,
        limit: int | None,
    ) -> None:
        """``rows_of`` the indexes of the files whose rows are wanted, as state files in
        a new folder in ``staging`` (the version log's, so that a record renames them
        into the log); ``validate`` whether the report is."""
        context = start_context()
        # A pipe each, as a fork may send the rows while this process sends the report.
        self._rows, rows_sender = context.Pipe(duplex=False)
        self._report, report_sender = context.Pipe(duplex=False)
        # Rows go through files: a pipe would hold the process until this one, busy
        # loading, read them.
        self._folder = _Folder(staging)
        folder = self._folder.path
        senders = _Senders(rows_sender, report_sender)
        arguments = (list(paths), (list(rows_of), folder), (validate, limit), os.getpid(), senders)
        self._process = context.Process(target=_work, args=arguments, daemon=True)
        self._process.start()
        rows_sender.close()
        report_sender.close()
        self._validate = validate

    def rows(self) -> dict[int, Copied] | None:
        """Each asked-for file's ``canonical_rows``, by its index, staged as its state
        file; None if they could not be had (the caller reads the graphs back from the
        store instead).

        A failure to read the files is sent where the report is awaited too, and the
        report comes on a pipe of its own: a fork that failed at the rows alone leaves
        the report as it is.
        """
        try:
            outcome = self._rows.recv()
        except EOFError:  # the fork, or the process before it forked, ended first
            return None
        return outcome if isinstance(outcome, dict) else None

    def finished(self) -> bool:
        """Whether the report is ready (``summary`` will not wait)."""
        return not self._validate or self._report.poll()

    def summary(self) -> str | None:
        """The report's text (at most ``limit`` problems listed), None if the files conform
        or no report was asked for; waits for the process to end.

        Only the text comes back: a million problems' worth of objects would take
        longer to pass between the processes than to print.
        """
        if not self._validate:
            self._end()
            return None
        try:
            outcome = self._report_or_why()
        finally:
            self._end()
        if isinstance(outcome, BaseException):
            raise outcome
        assert outcome is None or isinstance(outcome, str)
        return outcome

    def cancel(self) -> None:
        """Stop the work (the load failed: there is nothing to record or report on)."""
        self._end()

    def _report_or_why(self) -> object:
        """The report's answer, or an error saying the process ended without one."""
        try:
            answer: object = self._report.recv()
        except EOFError:
            self._process.join()  # it closed its end of the pipe: it has ended
            return CivicgraphError(
                f"The check of the loaded files stopped (exit code {self._process.exitcode}) "
                "before it finished; the load itself is done. 'civicgraph validate FILE' "
                "checks the files on their own."
            )
        return answer

    def _end(self) -> None:
        """Stop the process and remove its folder. Every caller has had all the process
        sends, or wants no more of it: its own exit (freeing a store of all the files'
        triples, a tenth of a second at 100k) is not waited for."""
        self._process.kill()
        self._process.join()
        self._folder.remove()


def rows_to_record(
    found: dict[int, Copied], store: GraphStore, targets: dict[str, int], counts: dict[str, int]
) -> dict[str, Known]:
    """The loaded graphs' rows from the copy (``Beside.rows``), for the version record.

    A graph is left out, and read back from the store instead, unless the copy read
    the bytes the load recorded (a file rewritten in between is not) and has as many
    triples as the store says the graph holds.
    """
    records = loader.load_records(store)
    known = {}
    for graph, index in targets.items():  # each graph and the file last loaded into it
        copied, record = found.get(index), records.get(graph)
        if copied is None or record is None or copied.sha256 != record.sha256:
            continue
        if copied.known.triples == counts.get(graph):
            known[graph] = copied.known
    return known


class _Folder:
    """The folder the process stages rows in, locked while the load runs.

    It is made in the version log's folder, so that a record renames the files into
    the log; where that folder cannot be made, in the system's temporary folder (the
    record then copies them, or says why the log cannot be written). A load that was
    killed leaves its folder, unlocked: the next load removes it.
    """

    def __init__(self, staging: Path | None) -> None:
        made = self._in(staging) if staging is not None else None
        self._made = made or tempfile.TemporaryDirectory(
            prefix="civicgraph-load-", ignore_cleanup_errors=True
        )
        self.path = Path(self._made.name)
        # Locked before it has its name: another load never finds it unlocked.
        self._lock = (self.path / f"{_LOCK}.new").open("w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        os.replace(self.path / f"{_LOCK}.new", self.path / _LOCK)

    @staticmethod
    def _in(staging: Path) -> tempfile.TemporaryDirectory[str] | None:
        try:
            staging.mkdir(parents=True, exist_ok=True)
            for left in staging.glob(f"{_PREFIX}*"):
                _remove_if_left(left)
            return tempfile.TemporaryDirectory(
                prefix=_PREFIX, dir=staging, ignore_cleanup_errors=True
            )
        except OSError:
            return None

    def remove(self) -> None:
        """Remove the folder and what is still in it, then let go of its lock. A fork
        that stages rows ends with the process it was forked from, as this runs, and
        may still write a file: what cannot be removed is left to the next load."""
        self._made.cleanup()
        self._lock.close()


#: The names of ``_Folder``'s folders in the version log's folder, and of their locks.
_PREFIX: Final = ".load-"
_LOCK: Final = "lock"


def _remove_if_left(folder: Path) -> None:
    """Remove a load's folder if no load holds its lock (one just made has none yet)."""
    try:
        with (folder / _LOCK).open("r") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(folder, ignore_errors=True)
    except OSError:  # held (BlockingIOError), or no lock yet: a load is using it
        return


class _Senders(NamedTuple):
    """Where the process sends the rows, and where the report."""

    rows: Connection
    report: Connection


def _work(
    paths: list[Path],
    rows: tuple[list[int], Path],
    report: tuple[bool, int | None],
    parent: int,
    senders: _Senders,
) -> None:
    """Stage the rows of the files ``rows`` names in its folder, and make the report
    (whether it is wanted, how many problems to list), for ``parent``.

    The rows and the checks both read the copy and neither changes it: once it is
    made, a fork (its pages shared until written) stages the rows while this process
    checks, so that after the load the two take the longer one's time, not the sum
    (a million triples: 1.6 s and 1.8 s).
    """
    # A Ctrl-C reaches the whole process group: the command acts on it (it kills this
    # process), and here it would only print a traceback on the way out.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent(parent)  # killed with the command, not left to finish alone
    os.nice(NICE)  # the command waits for the load first: it keeps a core
    try:
        data, hashes = validation.in_memory(paths, checked=True)  # the load parses strictly
    except Exception as exc:  # the parent raises it where the report was wanted
        _send_each(senders, exc)
        return
    fork = _forked_rows(data, hashes, rows, senders) if rows[0] and report[0] else None
    if rows[0] and fork is None:
        _send_rows(data, hashes, rows, senders.rows)
    if report[0]:
        _send(senders.report, lambda: validation.text_of(data, report[1]))
    if fork is not None:
        os.waitpid(fork, 0)  # it ends with this process: it is not to end before its rows


def _forked_rows(
    data: Store, hashes: list[str], rows: tuple[list[int], Path], senders: _Senders
) -> int | None:
    """Stage and send the rows from a fork of this process: its id, or None if none was
    made (a second thread, whose locks a fork would copy held, or no fork to be had)."""
    if threads() != 1:
        return None
    checker = os.getpid()
    try:
        forked = os.fork()
    except OSError:
        return None
    if forked:
        senders.rows.close()  # the fork's is the only one left: its end is the rows' end
        return forked
    try:
        senders.report.close()
        end_with_parent(checker)
        _send_rows(data, hashes, rows, senders.rows)
    finally:
        os._exit(0)  # the copy is not freed page by page: the process just ends


def _send_rows(
    data: Store, hashes: list[str], rows: tuple[list[int], Path], sender: Connection
) -> None:
    """Stage the asked-for files' rows and send what ``Beside.rows`` returns."""

    def staged() -> dict[int, Copied] | None:
        found = _stage_rows(data, *rows)
        return None if found is None else {i: Copied(hashes[i], k) for i, k in found.items()}

    _send(sender, staged)


def _send(sender: Connection, make: Callable[[], object]) -> None:
    """Send what ``make`` returns, or the error it raised."""
    try:
        answer = make()
    except Exception as exc:  # the parent raises it where the report was wanted
        answer = exc
    sender.send(answer)


def _send_each(senders: _Senders, answer: object) -> None:
    """Send ``answer`` where the rows are awaited and where the report is."""
    senders.rows.send(answer)
    senders.report.send(answer)


def _stage_rows(data: Store, rows_of: list[int], folder: Path) -> dict[int, Known] | None:
    """Each file's rows as a state file in ``folder``; None if a write failed."""
    try:
        return {index: stage(folder, _rows(data, index)) for index in rows_of}
    except OSError:  # a full disk, say: the parent reads the graphs back instead
        return None


def _rows(data: Store, index: int) -> list[bytes]:
    """One file's graph as ``canonical_rows``.

    The store writes the dump into bytes of its own: through a Python stream it calls
    ``write`` for every few rows, which took 1.4 s instead of 0.9 s a million rows.
    """
    dumped = data.dump(format=RdfFormat.N_TRIPLES, from_graph=validation.file_graph(index))
    return canonical_rows(dumped or b"", unique=True)
