"""The watchdog's priorities, over a real slot table and a real evaluating process."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicgraph.webapp.slots import Slots
from civicgraph.webapp.watchdog import NICE_STEPS, Watchdog

#: The evaluation's time limit, seconds (the test's clock moves by hand within it).
LIMIT = 60.0
#: A process that claims a slot, marks an evaluation, and ends it when told to.
_EVALUATOR = """
import sys
from pathlib import Path
from civicgraph.webapp.slots import Slots
slots = Slots(Path(sys.argv[1]), 2)
slots.claim(1 << 40)
with slots.evaluating(client=3, limit=float(sys.argv[2])):
    print("evaluating", flush=True)
    sys.stdin.readline()
print("ended", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def evaluator(tmp_path: Path) -> Iterator[tuple[Watchdog, subprocess.Popen[str]]]:
    table = tmp_path / "slots"
    slots = Slots(table, 2)
    with subprocess.Popen(
        [sys.executable, "-c", _EVALUATOR, str(table), str(LIMIT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline() == "evaluating\n"
        yield Watchdog(slots), process
        process.kill()


def _end_evaluation(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write("\n")
    process.stdin.flush()
    assert process.stdout.readline() == "ended\n"


def _nice(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a priority back needs privilege")
def test_an_evaluation_yields_more_as_it_nears_its_limit_and_gets_its_priority_back(
    evaluator: tuple[Watchdog, subprocess.Popen[str]],
) -> None:
    watchdog, process = evaluator
    now = time.monotonic()
    watchdog.watch(now)
    watchdog.watch(now + LIMIT * 0.2)
    assert _nice(process.pid) == 0  # most long queries that finish, finish here
    found = []
    for share, _value in NICE_STEPS:
        watchdog.watch(now + LIMIT * (share + 0.01))
        found.append(_nice(process.pid))
    assert found == [nice for _share, nice in NICE_STEPS]
    _end_evaluation(process)
    watchdog.watch(now + LIMIT * 0.9)
    assert _nice(process.pid) == 0
    assert process.poll() is None  # given back, not asked to exit


def test_a_process_that_may_not_get_its_priority_back_is_asked_to_exit(
    evaluator: tuple[Watchdog, subprocess.Popen[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    watchdog, process = evaluator
    now = time.monotonic()
    watchdog.watch(now)
    watchdog.watch(now + LIMIT * 0.5)
    assert _nice(process.pid) > 0
    lower = os.setpriority

    def unprivileged(which: int, who: int, nice: int) -> None:
        if nice < os.getpriority(which, who):
            raise PermissionError(1, "Operation not permitted")  # as without privilege
        lower(which, who, nice)

    monkeypatch.setattr(os, "setpriority", unprivileged)
    _end_evaluation(process)
    watchdog.watch(now + LIMIT * 0.6)
    assert process.wait(timeout=10) == -signal.SIGTERM
