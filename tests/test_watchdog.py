"""The watchdog's priorities, over a real slot table and a real evaluating process; its log."""

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from civicgraph.webapp.slots import Slots
from civicgraph.webapp.watchdog import HELD, NICE_STEPS, KnownKills, Watchdog
from civicgraph.webapp.worker import RETIRE
from tests.live import LiveServer, counting, group_stats, sized_for

pytestmark = pytest.mark.timed

#: The evaluation's time limit, seconds (the test's clock moves by hand within it).
LIMIT = 60.0
#: A process that claims a slot, marks an evaluation, and ends it when told to, or
#: begins the next at once (told "again").
_EVALUATOR = """
import sys
from pathlib import Path
from civicgraph.webapp.slots import Slots
slots = Slots(Path(sys.argv[1]), 2)
slots.claim(1 << 40)
short = float(sys.argv[3]) if len(sys.argv) > 3 else None
told = "again"
while told == "again":
    with slots.evaluating(client=3, limit=float(sys.argv[2]), short=short):
        print("evaluating", flush=True)
        told = sys.stdin.readline().strip()
print("ended", flush=True)
sys.stdin.readline()
"""


def _evaluating(table: Path, *short: float) -> subprocess.Popen[str]:
    """A process evaluating in a slot of ``table`` (with a short limit, if given)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _EVALUATOR, str(table), str(LIMIT), *map(str, short)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "evaluating\n"
    return process


@pytest.fixture
def evaluator(tmp_path: Path) -> Iterator[tuple[Watchdog, subprocess.Popen[str]]]:
    table = tmp_path / "slots"
    slots = Slots(table, 2)
    with _evaluating(table) as process:
        yield Watchdog(slots), process
        process.kill()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Watchdog, Path, list[subprocess.Popen[str]]]]:
    """A watchdog over a table of two slots; the test starts the evaluations."""
    table = tmp_path / "slots"
    started: list[subprocess.Popen[str]] = []
    yield Watchdog(Slots(table, 2)), table, started
    for process in started:
        process.kill()
        process.communicate()  # closes its pipes


#: The short limit of the evaluations below, seconds.
SHORT = 1.0


def _tell(process: subprocess.Popen[str], told: str, answer: str) -> None:
    """Tell the evaluating process ``told``; it answers ``answer``."""
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(f"{told}\n")
    process.stdin.flush()
    assert process.stdout.readline() == f"{answer}\n"


def _evaluate_again(process: subprocess.Popen[str]) -> None:
    """End the process's evaluation and begin another at once."""
    _tell(process, "again", "evaluating")


def _end_evaluation(process: subprocess.Popen[str]) -> None:
    _tell(process, "", "ended")


def test_an_evaluation_begun_on_the_last_free_process_is_stopped_while_the_other_is_held(
    pair: tuple[Watchdog, Path, list[subprocess.Popen[str]]],
) -> None:
    """The other process evaluates query after query (as a kept connection sends them),
    each running a while by the time the first is past its short limit: it is stopped
    with the busy 503."""
    watchdog, table, started = pair
    first = _evaluating(table)
    started.append(first)
    second = _evaluating(table, SHORT)  # the serving process saw the other busy
    started.append(second)
    now = time.monotonic()
    watchdog.watch(now + SHORT / 2)
    assert second.poll() is None  # within its short limit
    time.sleep(SHORT)  # past it
    _evaluate_again(first)
    fresh = next(e for e in watchdog.slots.evaluations() if e.owner == first.pid)
    watchdog.watch(fresh.began + HELD / 2)  # the other's query has only just begun
    assert not watchdog.kills.reasons
    watchdog.watch(fresh.began + HELD + 0.001)
    assert second.wait(timeout=10) == -signal.SIGKILL
    assert "held the last free serving process" in watchdog.kills.reasons[second.pid]
    assert first.poll() is None  # no short limit: another process was free when it began


def test_an_evaluation_runs_on_while_another_process_is_free(
    pair: tuple[Watchdog, Path, list[subprocess.Popen[str]]],
) -> None:
    """It began on the last free process, but the other one is free past its short
    limit: it runs on."""
    watchdog, table, started = pair
    first = _evaluating(table)
    started.append(first)
    second = _evaluating(table, SHORT)
    started.append(second)
    _end_evaluation(first)
    watchdog.watch(time.monotonic() + SHORT + HELD)
    assert second.poll() is None
    assert not watchdog.kills.reasons


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
    assert process.wait(timeout=10) == -RETIRE


def _served_size_for(server: LiveServer, seconds: float) -> int:
    """The ``counting`` size that ``server`` answers in about ``seconds``. A served
    query takes about twice its time in this process: text this long is planned in a
    child first (``store/structure.py``), and planning evaluates the aggregate."""
    probe = sized_for(seconds / 8)
    started = time.perf_counter()
    assert _count(server, probe, timeout=seconds * 4).status_code == 200
    return int(probe * (seconds / (time.perf_counter() - started)) ** (1 / 3))


def _count(server: LiveServer, size: int, *, timeout: float) -> requests.Response:
    """Ask ``server`` the ``counting`` query of ``size``, for SPARQL JSON."""
    return requests.get(
        server.url + "/sparql",
        params={"query": counting(size)},
        headers={"Accept": "application/sparql-results+json"},
        timeout=timeout,
    )


def _niced_and_pids(server: LiveServer) -> tuple[list[int], set[int]]:
    """The nice value of each process of the server, and their ids."""
    assert server.process is not None
    found = group_stats(server.process.pid)
    return [int(fields[16]) for fields in found.values()], set(found)


def test_an_unprivileged_server_replaces_the_process_of_a_long_query(tmp_path: Path) -> None:
    """Where the master may not give a priority back (root is run without the right to
    raise priorities), the serving process that ran a long query answers in full,
    exits, and a fresh one takes its place: no process is left at a lower priority."""
    # The query is sized to run 0.4 of it: past the first step (0.25), and 2.5 times
    # short of the limit. A bigger count takes longer per row (68 ns at 150 cubed, 79 ns
    # at 300 cubed here), so the size predicted from a small probe runs long, and one
    # sized for half the limit ran past it.
    limit = 12.0
    prefix = ("setpriv", "--bounding-set=-sys_nice") if os.geteuid() == 0 else ()
    env = {"CIVICGRAPH_QUERY_TIMEOUT": str(limit), "CIVICGRAPH_LOAD_BUNDLED": "false"}
    server = LiveServer(tmp_path / "store", env=env, prefix=prefix).start()
    try:
        size = _served_size_for(server, limit * 0.4)
        # The size comes from one small probe, and its queries' time varies by half
        # from run to run: one that ended before the first step or ran past the limit
        # is sent again, sized from what it took.
        for _ in range(4):
            _, before = _niced_and_pids(server)
            sent, started = size, time.monotonic()
            answer = _count(server, sent, timeout=limit * 3)
            took = time.monotonic() - started
            if answer.status_code == 200 and took >= limit * 0.3:
                break
            grown = (limit * 0.45 / took) ** (1 / 3)
            size = int(size * (grown if answer.status_code == 200 else 0.7))
        assert answer.status_code == 200, f"{took:.1f} s"
        assert took >= limit * 0.3, f"{took:.1f} s"
        assert answer.json()["results"]["bindings"][0]["n"]["value"] == str(sent**3)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            nice, now = _niced_and_pids(server)
            if not any(nice) and now - before:
                break
            time.sleep(0.1)
        assert not any(nice), server.log_tail()
        assert now - before, "no serving process was replaced"
        assert requests.get(server.url + "/sparql", params={"query": "ASK {}"}).ok
    finally:
        server.stop()


_REASON = "Stopped serving process 41: its query ran past its time limit"


def _reaped(pid: int, signal_name: str) -> logging.LogRecord:
    """gunicorn's record of a serving process that ended by a signal."""
    message = "Worker (pid:%s) was sent %s! Perhaps out of memory?"
    return logging.LogRecord(
        "gunicorn.error", logging.ERROR, "", 0, message, (pid, signal_name), None
    )


def test_gunicorns_guess_is_left_out_for_a_process_the_watchdog_killed_only() -> None:
    kills = KnownKills()
    kills.reasons[41] = _REASON
    assert not kills.filter(_reaped(41, "SIGKILL"))
    assert kills.filter(_reaped(41, "SIGSEGV")), "another signal is its own report"
    assert kills.filter(_reaped(42, "SIGKILL")), "the kernel's kills are still reported"
    other = logging.LogRecord("gunicorn.error", logging.INFO, "", 0, "Booting worker", (), None)
    assert kills.filter(other)


def test_the_reason_is_logged_once_the_process_is_reaped_and_only_once(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    watchdog = Watchdog(Slots(tmp_path / "slots", 1))
    watchdog.kills.reasons[41] = _REASON
    with caplog.at_level(logging.WARNING, logger="gunicorn.error"):
        watchdog.reaped(41)
        watchdog.reaped(41)
        watchdog.reaped(42)
    assert [r.getMessage() for r in caplog.records] == [_REASON]
    assert not watchdog.kills.reasons


def test_a_look_that_fails_does_not_end_the_watchdog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The limits hold only while the thread runs: an error in one look is logged and
    the next look comes as usual."""
    watchdog = Watchdog(Slots(tmp_path / "slots", 1))
    looks: list[float] = []

    def failing_once(now: float) -> None:
        looks.append(now)
        if len(looks) == 1:
            raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(watchdog, "watch", failing_once)
    with caplog.at_level(logging.ERROR, logger="gunicorn.error"):
        watchdog.start()
        deadline = time.monotonic() + 5
        while len(looks) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert len(looks) >= 3
    assert "The query watchdog failed" in caplog.text
