"""Work too slow for a request thread, run in a daemon thread that reports its progress.

At a million triples the projection takes tens of seconds to build and communities
a minute to find. A request that needs such work starts it (or finds it running),
waits a short while, and then answers "preparing" with the progress so far instead
of holding a request thread; the client asks again later and gets the finished
result. With no wait limit (the CLI, the benchmark) a caller simply blocks.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from civicgraph.dataset.loader import dataset_version
from civicgraph.errors import PreparingError
from civicgraph.store import GraphStore

T = TypeVar("T")

#: Called by long work with its current stage and the fraction (0 to 1) done overall.
Report = Callable[[str, float], None]


def quiet(stage: str, fraction: float) -> None:
    """A progress report nobody listens to."""


@dataclass(frozen=True)
class WaitPolicy:
    """How long a request waits for background work, and when to tell it to come back.

    ``wait`` of None blocks until the work is done; ``retry_after`` is in seconds.
    """

    wait: float | None = None
    retry_after: int = 5


#: For a caller that does not wait at all.
_AT_ONCE: Final = WaitPolicy(wait=0.0)


class Task(Generic[T]):
    """One computation in its own daemon thread, keeping its result or error and progress."""

    def __init__(self, what: str, work: Callable[[Report], T]) -> None:
        self.what = what
        self.stage, self.fraction = "starting", 0.0
        self._work = work
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, name=f"prepare {what}", daemon=True).start()

    def _report(self, stage: str, fraction: float) -> None:
        self.stage, self.fraction = stage, min(max(fraction, 0.0), 1.0)

    def _run(self) -> None:
        try:
            self._value = self._work(self._report)
        except BaseException as error:  # kept and raised to whoever asks for the result
            self._error = error
        finally:
            self._report("done", 1.0)
            self._done.set()

    @property
    def done(self) -> bool:
        """True once the work has finished, well or not."""
        return self._done.is_set()

    @property
    def failed(self) -> bool:
        """True once the work has ended in an error."""
        return self._error is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work has finished or ``timeout`` passed; True if it finished."""
        return self._done.wait(timeout)

    def result(self, patience: WaitPolicy) -> T:
        """The result, waiting as long as ``patience`` allows; PreparingError past that."""
        if not self.wait(patience.wait):
            percent = int(self.fraction * 100) if self.fraction else None
            raise PreparingError(self.what, patience.retry_after, self.stage, percent)
        if self._error is not None:
            raise self._error
        value: T = self._value  # type: ignore[assignment]
        return value


class Tasks:
    """Named tasks, each started once; a failure is reported once, then retried on next ask."""

    def __init__(self, patience: WaitPolicy) -> None:
        self.patience = patience
        self._lock = threading.Lock()
        self._tasks: dict[str, Task[object]] = {}

    def get(self, key: str, what: str, work: Callable[[Report], T]) -> T:
        """The result of ``work`` under ``key``, started in the background on first ask."""
        with self._lock:
            task = self._tasks.get(key)
            if task is None:
                task = self._tasks[key] = Task(what, work)
        try:
            value: T = task.result(self.patience)  # type: ignore[assignment]
        except PreparingError:
            raise
        except Exception:
            with self._lock:
                if self._tasks.get(key) is task:
                    del self._tasks[key]
            raise
        return value


class BackgroundBuild(Generic[T]):
    """A value built in the background from a store, once per dataset version.

    While the build for the store's current version runs, ``get`` raises
    PreparingError; requests never receive the value of an older version.
    """

    def __init__(
        self,
        store: GraphStore,
        what: str,
        build: Callable[[GraphStore, Report], T],
        patience: WaitPolicy,
    ) -> None:
        self._store, self._what, self._build, self.patience = store, what, build, patience
        self._lock = threading.Lock()
        self._version: str | None = None
        self._task: Task[T] | None = None
        #: Builds under way (a request may start one for newer data beside another).
        self._running = 0

    def start(self) -> Task[T]:
        """Start building for the current dataset version, unless that build exists."""
        version = dataset_version(self._store)
        with self._lock:
            return self._start(version)

    def warm(self) -> Task[T]:
        """Start building for the current version ahead of any request, unless a build
        is under way; returns the build under way (perhaps for older data).

        After each write of a burst, starting at once would run one build per write
        side by side (nine helper processes for forty quick writes), each for data
        already replaced. The next request for the network starts the build for the
        data as they are then.
        """
        version = dataset_version(self._store)
        with self._lock:
            if self._running and self._task is not None:
                return self._task
            return self._start(version)

    def _start(self, version: str) -> Task[T]:
        """The build for ``version``, started unless it is the last one (lock held)."""
        if self._task is None or version != self._version:
            self._task = Task(self._what, self._run)
            self._running += 1  # before the build can end: its end takes the lock
            self._version = version
        return self._task

    def _run(self, report: Report) -> T:
        try:
            return self._build(self._store, report)
        finally:
            with self._lock:
                self._running -= 1

    def get(self) -> T:
        """The value for the data as loaded now, or PreparingError while it is built.

        A failed build raises its error once; the next call starts a new build.
        """
        return self._result(self.patience)

    def ready(self) -> T | None:
        """The value for the data as loaded now if it is built, else None at once (while
        it is built, or if the build failed, whose error ``get`` reports): for a caller
        that can do without it. It starts the build, as ``get`` does, for a later call."""
        task = self.start()
        return task.result(_AT_ONCE) if task.done and not task.failed else None

    def _result(self, patience: WaitPolicy) -> T:
        task = self.start()
        try:
            return task.result(patience)
        except PreparingError:
            raise
        except Exception:
            with self._lock:
                if self._task is task:
                    self._task = None
            raise
