"""The child that checks long texts is kept between checks, and replaced when it ends.

Starting one for each text cost 30-100 ms and as much CPU: a client sending long
texts that differ was held to tens of requests a second.
"""

import os
import signal
import subprocess
import sys
import threading
import uuid

import pytest

from civicgraph.errors import QueryTooDeepError, WriteLimitError
from civicgraph.store import structure
from civicgraph.store.structure import SAFE_BYTES, SERVING_STACK, at_once, check_structure
from tests.stacks import engine_with_stack, needs_stack

DEEP = "SELECT * " + "{" * 4000 + "}" * 4000


def _long(marker: str = "") -> str:
    """A query longer than ``SAFE_BYTES``, a new text each time."""
    text = f'SELECT * WHERE {{ ?s ?p "{marker or uuid.uuid4().hex}" . {"?s ?p ?o . " * 50} }}'
    assert len(text) > SAFE_BYTES
    return text


def _child_pid() -> int:
    child = structure._checker._child
    assert child is not None
    return child._process.pid


def test_texts_that_differ_are_checked_by_one_child() -> None:
    check_structure(_long())
    first = _child_pid()
    for _ in range(5):
        check_structure(_long())
    assert _child_pid() == first


_USUAL_STACK = 8 << 20


@needs_stack(_USUAL_STACK, "the usual 8 MiB")
def test_the_check_has_half_the_usual_stack() -> None:
    """1,500 nested groups need more than 4 MiB of the engine's stack and less than
    the usual 8 MiB (the writer's; a serving process grows its own to 32): the check
    refuses them, so that what it lets through has room to spare there."""
    nested = "SELECT * { " + "{ " * 1500 + "?s ?p ?o " + "} " * 1500 + "}"
    assert engine_with_stack(nested, _USUAL_STACK).returncode == 0
    with pytest.raises(QueryTooDeepError):
        check_structure(nested)


_GROWN = """
import os, resource, threading
from civicgraph.store import structure
from civicgraph.store.structure import SAFE_BYTES, SERVING_STACK, at_once, grow_stack

def text(size):
    return "SELECT * WHERE { ?s ?p ?o }" + " " * (size - 27)

judged = structure._judged
asked = []
structure._judged = lambda *args: asked.append(1) or judged(*args)

def checked(size):
    structure._verdicts.clear()
    before = len(asked)
    structure.check_structure(text(size))
    return len(asked) > before

grow_stack()
soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
print(soft == resource.RLIM_INFINITY or soft >= SERVING_STACK)
longest = at_once(SERVING_STACK)
print(longest, checked(longest), checked(longest + 1))
elsewhere = []
other = threading.Thread(target=lambda: elsewhere.append(checked(SAFE_BYTES + 1)))
other.start()
other.join()
pid = os.fork()
if pid == 0:
    os._exit(10 + checked(SAFE_BYTES + 1))
print(elsewhere[0], os.waitpid(pid, 0)[1] >> 8)
"""


@needs_stack(SERVING_STACK, "a serving process's")
def test_a_main_thread_that_grew_its_stack_takes_longer_text_without_a_check() -> None:
    """Only the thread that grew its stack, and not a forked child of its process,
    gives longer text to the engine without a check."""
    grown = subprocess.run(
        [sys.executable, "-c", _GROWN], capture_output=True, text=True, check=True
    )
    longest = str(at_once(SERVING_STACK))
    assert grown.stdout.split() == ["True", longest, "False", "True", "True", "11"]
    assert longest == "2048"


def _counting_children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one for each child started from now on."""
    started: list[int] = []
    start = structure._Child.__init__

    def counted(child: structure._Child) -> None:
        start(child)
        started.append(child._process.pid)

    monkeypatch.setattr(structure._Child, "__init__", counted)
    return started


def test_a_text_that_crashes_the_kept_child_is_refused_without_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its stack overflowed on this text (the process faulted, or said so on stderr,
    about this text alone): a new child would do the same."""
    check_structure(_long())
    before = _child_pid()
    started = _counting_children(monkeypatch)
    with pytest.raises(QueryTooDeepError):
        check_structure(DEEP + " ")  # not a kept verdict
    assert started == []
    check_structure(_long())
    assert _child_pid() != before
    assert len(started) == 1


def test_a_text_that_runs_the_kept_child_out_of_cpu_is_refused_without_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A text that ran a kept child out of its CPU ran it out of its own: running it
    again in a new child doubled the time (a slow update outlived the writer's limit)."""
    monkeypatch.setattr(structure, "CHILD_SECONDS", 1)
    monkeypatch.setattr(structure, "_checker", structure._Checker())
    check_structure(_long())
    started = _counting_children(monkeypatch)
    ones = " 1" * 20_000
    count = f"SELECT (COUNT(*) AS ?c) WHERE {{ VALUES ?x {{{ones} }} VALUES ?y {{{ones} }} }}"
    slow = f"INSERT {{ <urn:a> <urn:b> ?c }} WHERE {{ {{ {count} }} }}"
    with pytest.raises(QueryTooDeepError):
        check_structure(slow, "update")
    assert started == []
    structure._checker.close()


def test_an_update_that_runs_its_check_out_of_memory_is_refused() -> None:
    """Its check runs the operations one after another: one that needs more memory
    than the child has would hide the ones after it (a deep one crashed the writer,
    whose budget is larger). A query is left to the memory budget of its process."""
    rows = " ".join(str(n) for n in range(400))
    big = "a" * 8000
    hungry = (
        f"SELECT (COUNT(DISTINCT ?z) AS ?c) WHERE {{ VALUES ?x {{ {rows} }} VALUES ?y {{ {rows} }} "
        f'BIND(CONCAT(STR(?x), "-", STR(?y), "{big}") AS ?z) }}'
    )
    deep = " ".join(f"VALUES ?v{i} {{ 1 }}" for i in range(3200))
    update = (
        f"INSERT {{ <urn:a> <urn:b> ?c }} WHERE {{ {{ {hungry} }} }} ;\n"
        f"INSERT {{ <urn:a> <urn:b> <urn:c> }} WHERE {{ {deep} }}"
    )
    with pytest.raises(WriteLimitError, match="MiB its check may use"):
        check_structure(update, "update")
    check_structure(hungry)


def test_a_child_that_ended_of_itself_leaves_the_text_to_a_new_one() -> None:
    """A kept child may end for a reason of its own (killed here, as it is when the
    thread that started it ends): the text it did not answer is checked afresh."""
    check_structure(_long())
    kept = structure._checker._child
    assert kept is not None
    os.kill(kept._process.pid, signal.SIGKILL)
    kept._process.wait()  # gone before the next text is written to it: a broken pipe
    check_structure(_long())  # let through, not refused
    with pytest.raises(QueryTooDeepError):
        check_structure(DEEP + "  ")


def test_a_check_while_another_holds_the_child_gets_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check_structure(_long())
    kept = _child_pid()
    holder = structure._checker._lock
    with holder:  # as if another thread's check held the kept child
        check_structure(_long())
        with pytest.raises(QueryTooDeepError):
            check_structure(DEEP + "   ")
    assert _child_pid() == kept
    assert not holder.locked()
    monkeypatch.setattr(structure, "_verdicts", structure.OrderedDict())
    results: list[bool] = []

    def check(text: str) -> None:
        try:
            check_structure(text)
            results.append(True)
        except QueryTooDeepError:
            results.append(False)

    threads = [threading.Thread(target=check, args=(_long(),)) for _ in range(4)]
    threads.append(threading.Thread(target=check, args=(DEEP,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True, True, True, True]


def test_a_forked_process_checks_in_a_child_of_its_own() -> None:
    check_structure(_long())
    parents = _child_pid()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked process: report the child it checked in, then leave
        os.close(reader)
        try:
            check_structure(_long())
            os.write(writer, str(_child_pid()).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as answer:
        forked = int(answer.read() or 0)
    os.waitpid(pid, 0)
    assert forked not in (0, parents)
    check_structure(_long())  # the parent's child still answers
    assert _child_pid() == parents


def test_a_check_interrupted_mid_way_ends_its_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a child interrupted mid-check goes on doing is unknown: it is ended, as a
    one-off child was, and not asked again."""
    check_structure(_long())
    pid = _child_pid()

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(structure.select, "select", interrupted)
    with pytest.raises(KeyboardInterrupt):
        check_structure(_long())
    monkeypatch.undo()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    check_structure(_long())
    assert _child_pid() != pid
