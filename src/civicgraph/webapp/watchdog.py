"""The time limit and the memory budget of queries evaluated in place, kept by the master.

pyoxigraph cannot cancel a query and holds the interpreter lock while it evaluates, so a
serving process stuck in one cannot stop itself or answer anything. The gunicorn master
can: a thread there reads the shared ``Slots`` table every few milliseconds, and for a
query past its deadline, one that began on the last free process and is past the short
limit while every other process is held (``_held``), or a process grown past its
resident limit, it takes a duplicate of the client's socket from the serving process
(``pidfd_getfd``, Linux 5.6; a parent may do this to its child), kills the process (its
CPU is free at once), and writes the 503 the process had prepared. gunicorn then starts
a new serving process; the others never noticed.

Where ``pidfd_getfd`` is missing the process is still killed at the limit; its client
sees the connection close instead of the 503.

Each stop is logged with its reason once gunicorn has reaped the process
(``Watchdog.reaped``, on the master's main thread: a line written by this thread as
gunicorn forks could leave the new process's copy of the log's lock held), and
gunicorn's own line for it ("was sent SIGKILL! Perhaps out of memory?") is left out
(``KnownKills``): an operator reading it would look for a memory problem where a query
met its limit.

The same thread lowers the priority of an evaluation as it nears its limit
(``NICE_STEPS``): on a machine with a core per serving process, a query that runs
to its limit would otherwise take a core from the clients whose queries take
milliseconds, and their rate would fall by about as much as it holds. A query in the
first quarter of its limit, as most long queries that finish are, keeps its
priority: a lower one for any query that runs past a quarter of a second made
queries of a few seconds run into their limit on a busy machine. An idle machine
runs every query as fast as before; the priority is given back when the evaluation
ends, and a process that may not take it back (an unprivileged server cannot lower
its nice value) is asked to give way (``worker.RETIRE``): it exits after its answer,
passing a kept connection to the keeper, and gunicorn starts a new one.
"""

import contextlib
import ctypes
import logging
import os
import signal
import socket
import threading
import time
from typing import Final

from civicgraph.config import MIB
from civicgraph.store.memory import resident
from civicgraph.webapp.slots import Evaluation, Slots, Stop
from civicgraph.webapp.worker import RETIRE

#: How often the table is read, seconds: the precision of both limits.
PERIOD: Final = 0.02
#: How long another process's evaluation has run when it counts as holding that
#: process, seconds: two looks at the table.
HELD: Final = 2 * PERIOD
#: How long the master tries to write a 503 to a client that does not read.
SEND_TIMEOUT: Final = 2.0
#: The nice value of an evaluating process once it has used these shares of its time
#: limit: it yields more and more of its core to the others as it nears the limit.
NICE_STEPS: Final = ((0.25, 5), (0.5, 10), (0.75, 15))
_PIDFD_GETFD: Final = 438  # the same number on every Linux architecture
_LIBC = ctypes.CDLL(None, use_errno=True)
#: The master's log, where gunicorn reports the processes it reaps.
_MASTER_LOG: Final = "gunicorn.error"
_log = logging.getLogger(_MASTER_LOG)
#: gunicorn's line for a serving process that ended by a signal (``Arbiter.reap_workers``).
_REAPED: Final = "Worker (pid:%s) was sent %s!"


def take_socket(pid: int, fd: int) -> socket.socket | None:
    """A duplicate of another process's socket ``fd``, or None if it cannot be had."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return None
    try:
        copy = int(_LIBC.syscall(_PIDFD_GETFD, pidfd, fd, 0))
    finally:
        os.close(pidfd)
    return socket.socket(fileno=copy) if copy >= 0 else None


def _send(client: socket.socket, response: bytes) -> None:
    try:
        client.settimeout(SEND_TIMEOUT)
        client.sendall(response)
        client.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client left; nothing to tell
    finally:
        client.close()


class KnownKills(logging.Filter):
    """Leaves out gunicorn's report of a process the watchdog killed (``reaped`` says why).

    Any other process killed (by the kernel's out-of-memory killer, say) or ended by
    another signal is still reported; should gunicorn word its report otherwise, it is
    reported too.
    """

    def __init__(self) -> None:
        super().__init__()
        #: Why each process killed at a limit and not yet reaped was killed, by pid.
        self.reasons: dict[int, str] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """False for gunicorn's report of a SIGKILL of a process in ``reasons``."""
        args = record.args
        if not str(record.msg).startswith(_REAPED) or not isinstance(args, tuple):
            return True
        if len(args) < 2 or not isinstance(args[0], int):
            return True
        return not (args[1] == "SIGKILL" and args[0] in self.reasons)


class Watchdog:
    """The master's thread that stops evaluations past their limits."""

    def __init__(self, slots: Slots) -> None:
        self.slots = slots
        self.kills = KnownKills()
        self._thread = threading.Thread(target=self._run, name="query watchdog", daemon=True)
        #: The evaluations whose processes were given a lower priority, and its nice value.
        self._lowered: dict[Evaluation, int] = {}

    def start(self) -> None:
        """Start watching (in the master, once it is ready)."""
        _log.addFilter(self.kills)
        self._thread.start()

    def reaped(self, pid: int) -> None:
        """Log why a process that gunicorn reaped was killed, if the watchdog killed it
        (called on the master's main thread, after gunicorn's own report)."""
        reason = self.kills.reasons.pop(pid, None)
        if reason is not None:
            _log.warning(reason)

    def _run(self) -> None:
        while True:
            time.sleep(PERIOD)
            try:
                self.watch(time.monotonic())
            except Exception:  # one failed look must not end the limits for good
                _log.exception("The query watchdog failed; it carries on")

    def watch(self, now: float) -> None:
        """One look at the table: stop what passed a limit, lower what runs long, and
        give the priority back to what ended."""
        running = list(self.slots.evaluations())
        for found in running:
            stop = self._due(found, now, running)
            if stop is None:
                self._lower(found, now)
            else:
                self.stop(found, stop)
        for ended in set(self._lowered) - set(running):
            self._restore(ended)

    def _due(self, found: Evaluation, now: float, running: list[Evaluation]) -> Stop | None:
        """Which limit the evaluation ``found`` has passed, if any."""
        if now > found.deadline:
            return Stop.TIME
        if now > found.short_deadline and self._held(found, now, running):
            return Stop.BUSY
        if resident(found.owner) > found.resident_limit:
            return Stop.MEMORY
        return None

    def _held(self, found: Evaluation, now: float, running: list[Evaluation]) -> bool:
        """Whether every process but that of ``found`` evaluates a query that has run
        ``HELD`` seconds already: a process answering queries of milliseconds is free
        for the next client within milliseconds, one answering queries of tenths of a
        second back to back (a kept connection's) is not."""
        held = sum(1 for other in running if other != found and now - other.began >= HELD)
        return held >= self.slots.count - 1

    def _lower(self, found: Evaluation, now: float) -> None:
        """Set the nice value that the share of its limit the evaluation has used asks for."""
        used = (now - found.began) / max(found.deadline - found.began, PERIOD)
        nice = max((value for share, value in NICE_STEPS if used >= share), default=0)
        if nice > self._lowered.get(found, 0):
            with contextlib.suppress(OSError):  # it ended, or was stopped
                os.setpriority(os.PRIO_PROCESS, found.owner, nice)
                self._lowered[found] = nice

    def _restore(self, ended: Evaluation) -> None:
        """Give a process its priority back once the long evaluation ended (or, where
        that is not allowed, have it exit after its answer)."""
        del self._lowered[ended]
        try:
            os.setpriority(os.PRIO_PROCESS, ended.owner, 0)
        except PermissionError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(ended.owner, RETIRE)  # exit after the answer, kept connection passed on
        except ProcessLookupError:
            pass  # stopped at a limit, or gone

    def stop(self, found: Evaluation, stop: Stop) -> None:
        """Kill the evaluating process and answer its client with the 503 it prepared
        for ``stop``.

        The process is paused first, so that it cannot finish this query and start
        answering another client (on a kept-alive connection, even the same one)
        between the check that it still evaluates and the kill.
        """
        try:
            os.kill(found.owner, signal.SIGSTOP)
        except ProcessLookupError:
            return
        if not self.slots.still(found):
            with contextlib.suppress(ProcessLookupError):
                os.kill(found.owner, signal.SIGCONT)
            return
        client = take_socket(found.owner, found.client)
        response = self.slots.response(found.index, stop)
        # Before the kill: gunicorn may reap the process at once.
        self.kills.reasons[found.owner] = _stop_reason(found, stop)
        with contextlib.suppress(ProcessLookupError):
            os.kill(found.owner, signal.SIGKILL)
        self.slots.stopped(found.index)
        if client is not None:
            _send(client, response)


def _stop_reason(found: Evaluation, stop: Stop) -> str:
    """The log line for a stopped evaluation: which process, and which limit."""
    limit = {
        Stop.TIME: "ran past its time limit",
        Stop.BUSY: "held the last free serving process past the short limit",
        Stop.MEMORY: f"grew past its memory budget ({found.resident_limit // MIB:,} MiB)",
    }[stop]
    return (
        f"Stopped serving process {found.owner}: its query {limit}; its client got a 503, "
        "and a new process takes its place"
    )
