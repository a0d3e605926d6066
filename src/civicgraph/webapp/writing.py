"""The writer process of ``civicgraph serve``, started again whenever it stops.

Every write goes to one process (``store/writer.py``). If it ended (killed for its
memory, a crash in the engine) and stayed down, every write after it would fail until
the server was restarted, while reads went on. The master watches it and starts
another on the same store and socket; the store's own recovery on opening (staging
graphs dropped, loads cut short undone) leaves the data as the last whole write left
it. A write that was under way is whole or absent, and its client hears which: 503 if
absent (an upload of several parts is one write), applied if applied (only its
version record was cut short).
A writer that keeps stopping is started again after a growing pause, so that one
that cannot start does not take a core.

The same watch keeps each write's limits (``WriteLimits``): a write cannot be
interrupted inside the engine, so a writer whose write has run past the time limit
for writes, or grown past the memory budget for writes, is killed, the reason noted
first in the shared ``WriterState`` for the client; the next writer says whether the
write had committed before it was stopped, and takes the writes after it. Without
this an update whose WHERE pairs every triple with every other grew the writer by 50
MB a second until the machine ran out, and every write after it waited.
"""

import contextlib
import logging
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Final

from civicgraph.store.memory import resident
from civicgraph.store.writer import WriteLimits
from civicgraph.store.writerstate import Stop, WriterState

#: How often the master looks at the writer, seconds: a write growing its memory fast
#: passes its budget by at most what it adds in this time.
POLL_SECONDS: Final = 0.1
#: The first pause before starting a stopped writer again, and the longest, seconds.
FIRST_PAUSE: Final = 0.5
LONGEST_PAUSE: Final = 30.0
#: A writer up for this long has started well: its next stop pauses from the start.
SETTLED_SECONDS: Final = 60.0
#: How long a stop waits for the writer to end, then for it to die once killed, seconds.
STOP_SECONDS: Final = 10.0
_log = logging.getLogger("gunicorn.error")
_PASSED: Final = {
    Stop.TIME: "ran past the time limit for writes",
    Stop.MEMORY: "grew past the memory budget for writes",
}


def start_writer(*args: object) -> subprocess.Popen[bytes]:
    """Start the writer process (``store/writer.py``) with its command-line arguments.

    It is started as a new interpreter, not through ``multiprocessing``: a serving
    process forked from the master would otherwise inherit the master's record of
    the child and, at exit, try to wait for a process that is not its own.
    """
    command = [sys.executable, "-c", "from civicgraph.store.writer import main; main()"]
    return subprocess.Popen([*command, *("" if a is None else str(a) for a in args)])


@dataclass(frozen=True)
class Watched:
    """What the master's watch holds the writer's writes to."""

    state: WriterState
    limits: WriteLimits

    def overrun(self, pid: int) -> tuple[int, Stop]:
        """The writer's current write and which limit it has passed, if any."""
        running = self.state.running()
        if running is None:
            return 0, Stop.NONE
        began, held, number = running
        if time.monotonic() - began > self.limits.seconds:
            return number, Stop.TIME
        if resident(pid) > held + self.limits.budget:
            return number, Stop.MEMORY
        return number, Stop.NONE


class WriterProcess:
    """The writer, and the master's thread that starts it again when it stops, and
    stops it when a write passes its limits (``watched``).

    ``again`` are the arguments of a restart: the first start may load the bundled
    data, a restart finds it loaded.
    """

    def __init__(
        self, first: tuple[object, ...], again: tuple[object, ...], watched: Watched | None = None
    ) -> None:
        self.process = start_writer(*first)
        self._again, self._watched = again, watched
        self._stopping = threading.Event()
        #: Held while a writer is started or ended, so a stop never misses a new one.
        self._lock = threading.Lock()

    def watch(self) -> None:
        """From now on, start the writer again whenever it stops (a daemon thread)."""
        threading.Thread(target=self._watch, name="writer-watch", daemon=True).start()

    def _watch(self) -> None:
        pause, started, limited = FIRST_PAUSE, time.monotonic(), False
        while not self._stopping.wait(POLL_SECONDS):
            if self.process.poll() is None:
                limited = self._keep_limits() or limited
                continue
            if self._watched is not None:  # the write it died in is over
                self._watched.state.end()
            if limited or time.monotonic() - started >= SETTLED_SECONDS:
                pause, limited = FIRST_PAUSE, False  # a write's fault, not the writer's
            _log.warning(
                "The writer process stopped; starting it again in %g s. Writes meanwhile "
                "wait for it, or answer 503.",
                pause,
            )
            if self._stopping.wait(pause):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = start_writer(*self._again)
            started, pause = time.monotonic(), min(pause * 2, LONGEST_PAUSE)

    def _keep_limits(self) -> bool:
        """Kill the writer if its write passed a limit, noting which; whether it did."""
        if self._watched is None:
            return False
        number, stop = self._watched.overrun(self.process.pid)
        if stop is Stop.NONE:
            return False
        self._watched.state.note_stop(number, stop)
        self.process.kill()
        self.process.wait()
        _log.warning("The writer's write %s; the writer was stopped.", _PASSED[stop])
        return True

    def stop(self) -> None:
        """Stop watching, then end the writer: asked first, killed if it does not end
        within ``STOP_SECONDS`` (a stopped or hung writer would hold the store's lock)."""
        with self._lock:
            self._stopping.set()
            self.process.terminate()
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_SECONDS)
