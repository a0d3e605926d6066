"""The writer process of ``civicgraph serve``, started again whenever it stops.

Every write goes to one process (``store/writer.py``). If it ended (killed for its
memory, a crash in the engine) and stayed down, every write after it would fail until
the server was restarted, while reads went on. The master watches it and starts
another on the same store and socket; the store's own recovery on opening (staging
graphs dropped, loads cut short undone) leaves the data as the last whole write left
it. A write that was under way is whole or absent, and its client hears which: 503 if
absent (an upload of several parts cut between two is refused whole,
``writer._Staged``), applied if applied (only its version record was cut short).
A writer that keeps stopping is started again after a growing pause, so that one
that cannot start does not take a core.
"""

import contextlib
import logging
import subprocess
import sys
import threading
import time
from typing import Final

#: How often the master looks at the writer, seconds.
POLL_SECONDS: Final = 0.5
#: The first pause before starting a stopped writer again, and the longest, seconds.
FIRST_PAUSE: Final = 0.5
LONGEST_PAUSE: Final = 30.0
#: A writer up for this long has started well: its next stop pauses from the start.
SETTLED_SECONDS: Final = 60.0
#: How long a stop waits for the writer to end, then for it to die once killed, seconds.
STOP_SECONDS: Final = 10.0
_log = logging.getLogger("gunicorn.error")


def start_writer(*args: object) -> subprocess.Popen[bytes]:
    """Start the writer process (``store/writer.py``) with its command-line arguments.

    It is started as a new interpreter, not through ``multiprocessing``: a serving
    process forked from the master would otherwise inherit the master's record of
    the child and, at exit, try to wait for a process that is not its own.
    """
    command = [sys.executable, "-c", "from civicgraph.store.writer import main; main()"]
    return subprocess.Popen([*command, *("" if a is None else str(a) for a in args)])


class WriterProcess:
    """The writer, and the master's thread that starts it again when it stops.

    ``again`` are the arguments of a restart: the first start may load the bundled
    data, a restart finds it loaded.
    """

    def __init__(self, first: tuple[object, ...], again: tuple[object, ...]) -> None:
        self.process = start_writer(*first)
        self._again = again
        self._stopping = threading.Event()
        #: Held while a writer is started or ended, so a stop never misses a new one.
        self._lock = threading.Lock()

    def watch(self) -> None:
        """From now on, start the writer again whenever it stops (a daemon thread)."""
        threading.Thread(target=self._watch, name="writer-watch", daemon=True).start()

    def _watch(self) -> None:
        pause, started = FIRST_PAUSE, time.monotonic()
        while not self._stopping.wait(POLL_SECONDS):
            if self.process.poll() is None:
                continue
            if time.monotonic() - started >= SETTLED_SECONDS:
                pause = FIRST_PAUSE
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
