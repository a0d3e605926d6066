"""Queries and updates the engine's parser or planner cannot take without crashing.

pyoxigraph parses and plans a query recursively, and its stack overflows, ending the
whole process, well within the size of query a client may send: measured with 8 MiB
of stack, a property path of 1,000 steps (3 KB of text), a group of 1,000 triple
patterns, 1,000 objects in one list, 1,000 nested blank nodes or 20,000 terms of a
sum. A serving process that dies drops its client without an answer, and the writer
is not started again.

No scanner of the text decides which will crash (a count of brackets and operators
missed a collection of 10,000 items, which holds neither). The shortest text that builds
a level of such depth takes two bytes (an item of a collection: ``1 ``), and with half
of a process's usual 8 MiB of stack, every kind measured passed 256 levels (a list of
objects crashed at 500): so text of at most ``SAFE_BYTES`` for each 8 MiB of stack the
engine has goes to the engine at once. A serving process lets its main thread, where it
evaluates, grow to ``SERVING_STACK`` (``grow_stack``), and so takes text of up to 2,048
characters at once: a client's query with the usual block of prefixes is longer than
512, and the check's round trip was half of what such a text cost when the server had
not seen it. Of 37 kinds of construct, the 29 quick to plan, each as deep as 2,048
characters allow, are parsed and planned with 16 MiB (and passed with 4); the 8 slow to
plan (a collection, a list of objects, a path of steps...) plan for far longer than any
time limit at that length, and with an eighth of the text they are planned with an
eighth of the stack (``tests/security/test_deep_queries.py``). Longer text is parsed and
planned first in a child process over an empty store, with the base IRI the engine will
use (``structure_child.py``): a crash or a limit there ends only the child. A child that
finished lets the text through; one whose stack overflowed, or that ran out of its time
first, refuses it with a clear message. Planning can take seconds before it overflows (a
group of 400 chained patterns, then thousands of ``VALUES`` clauses): a child stopped by
its time limit says nothing of what comes after, so its text cannot be let through. The
child's time limit is far above what planning takes: in a serving process the query's
own time limit, kept by the master's watchdog, stops the child's wait first (the child
dies with its parent). A child out of memory leaves a query to the memory budget, and
refuses an update (``check_structure``).

The child answers one text after another (``_Checker``): starting one took 30-100 ms
and as much CPU, so a client sending long texts that differ (a query with a block of
prefixes and another entity each time) was held to tens of requests a second. A
child that has answered is used again. One whose stack overflowed, or that ran out of
its CPU (set again for each text) or its time, on a text decides as a new child
would (what it wrote on stderr is about that text alone); one that ended otherwise
(as the thread that started it ended, say) or ran out of memory, which earlier texts
may have taken, leaves the text to a new child, whose end alone decides. Where a
check holds the child, another thread's check gets a child of its own. The verdict
is also kept per text, so a client that sends the same long query again pays for
one check.
"""

import atexit
import contextlib
import hashlib
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import threading
from collections import OrderedDict
from enum import Enum
from pathlib import Path
from typing import Final

from civicgraph.errors import QueryTooDeepError, QueryTooWideError, WriteLimitError
from civicgraph.sparql.lexer import VARIABLE
from civicgraph.store.structure_child import OUT_OF_MEMORY

#: Text of at most this many characters goes to the engine at once, for each
#: ``_STACK_UNIT`` of stack the thread that evaluates it has.
SAFE_BYTES: Final = 512
_STACK_UNIT: Final = 8 * 1024 * 1024
#: The stack a serving process's main thread may grow to (``grow_stack``).
SERVING_STACK: Final = 32 * 1024 * 1024
#: The child's CPU seconds for each text, and its address space.
CHILD_SECONDS: Final = 60
CHILD_ADDRESS: Final = 1 << 30
#: The most variables a long text may name, and the most times it may name them. The
#: engine reads a text in time that grows with the square of the variables of each
#: projection or clause (40,000 in a ``SELECT`` or a ``VALUES``, 290 KB, took 4.8 s;
#: thirty subqueries of 4,999 each, 3.7 s), and the check's child cannot tell that
#: time from a legitimate query's evaluation, which the engine begins as it plans (an
#: aggregate over ``VALUES``). Within both caps a text takes it a few tenths of a second.
MOST_VARIABLES: Final = 5_000
MOST_VARIABLE_USES: Final = 20_000
#: How many verdicts are kept.
KEPT: Final = 256
_CHILD: Final = Path(__file__).with_name("structure_child.py")
#: Texts up to this many characters are their own key; a longer one is keyed by its
#: digest, so that what is kept stays small whatever clients send.
KEYED_BY_TEXT: Final = 8192


class Verdict(Enum):
    """What a child made of a text."""

    #: The engine was through with it (a syntax error included).
    PASSES = "passes"
    #: The engine's stack overflowed, or it ran out of CPU or time first: refused.
    DEEP = "deep"
    #: The engine ran out of the child's memory first (see ``check_structure``).
    HUNGRY = "hungry"


_verdicts: OrderedDict[tuple[str, str, bool, str], Verdict] = OrderedDict()
#: The process and thread that grew their stack, and the text they take at once.
_grown: list[tuple[int, int, int]] = []


def grow_stack(size: int = SERVING_STACK) -> None:
    """Let the calling thread's stack grow to ``size`` bytes (or the hard limit), and
    text of up to ``SAFE_BYTES`` for each 8 MiB of it go to the engine at once there.

    The caller must be the thread a process started with, as a gunicorn worker's is:
    the kernel grows that stack on demand up to the limit it reads at each growth,
    while another thread has the fixed stack it was started with. So only the calling
    thread, and only in this process, takes the longer text: a forked child or
    another thread keeps ``SAFE_BYTES``. A program it starts inherits the limit,
    which the C library reads as its threads' default stack: a thread there reserves
    32 MiB of address space instead of 8 (the pinned query's child starts one, well
    within its 1 GiB for itself); the check's child sets its own limit and starts
    none.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("only a process's main thread grows its stack on demand")
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    if hard != resource.RLIM_INFINITY:
        size = min(size, hard)
    if soft != resource.RLIM_INFINITY and soft < size:
        resource.setrlimit(resource.RLIMIT_STACK, (size, hard))
    _grown[:] = [(os.getpid(), threading.get_ident(), at_once(size))]


def at_once(stack: int) -> int:
    """How long a text goes to an engine with ``stack`` bytes without a check."""
    return max(SAFE_BYTES, SAFE_BYTES * (stack // _STACK_UNIT))


def _taken_at_once() -> int:
    """How long a text the calling thread gives the engine without a check."""
    for process, thread, size in _grown:
        if process == os.getpid() and thread == threading.get_ident():
            return size
    return SAFE_BYTES


def check_structure(text: str, kind: str = "query", base_iri: str | None = None) -> None:
    """Refuse ``text`` (a ``query`` or an ``update``, read against ``base_iri``) if the
    engine would crash on it.

    A query whose check ran out of memory goes on: the engine evaluates some operations
    as it plans them (an aggregate over ``VALUES``), and a process under a memory
    budget passes its own limit down to the child, so a merely hungry query, or a
    child that could not even start, is left to the memory budget of the process that
    asked, which answers 503 as it always does. An update does not: the child runs its
    operations one after another, so one that needs more memory than the child has
    hid the ones after it from the check, and the writer, with a larger budget, ran
    them (a deep one crashed it).
    """
    if len(text) <= SAFE_BYTES or len(text) <= _taken_at_once():
        return
    key = _key(text, kind, base_iri or "")
    verdict = _verdicts.get(key)
    if verdict is None:  # a kept verdict's text was counted when it was judged
        _refuse_many_variables(text, kind)
        verdict = _verdicts[key] = _judged(text, kind, base_iri or "")
        while len(_verdicts) > KEPT:
            _verdicts.popitem(last=False)
    if verdict is Verdict.HUNGRY and kind == "update":
        raise WriteLimitError.checked_memory(CHILD_ADDRESS)
    if verdict is Verdict.DEEP:
        raise QueryTooDeepError(
            f"The {kind} is structured too deeply for the engine, which could not parse and "
            f"plan it within its limits (its stack, {CHILD_SECONDS} s of CPU): a path of "
            "hundreds of steps, hundreds of nested "
            "groups, or a group of about a thousand patterns or clauses. Split it into "
            "smaller ones."
        )


def _refuse_many_variables(text: str, kind: str) -> None:
    """Refuse a text naming more than ``MOST_VARIABLES`` variables, or variables more
    than ``MOST_VARIABLE_USES`` times, in one pass that stops there: neither its time
    nor its memory grows past that with the text. Names in strings, IRIs and comments
    count too, which can only count more."""
    names: set[str] = set()
    for uses, found in enumerate(VARIABLE.finditer(text), start=1):
        names.add(found[1])
        if len(names) > MOST_VARIABLES or uses > MOST_VARIABLE_USES:
            raise QueryTooWideError(
                f"The {kind} names more than {MOST_VARIABLES:,} variables, or variables "
                f"more than {MOST_VARIABLE_USES:,} times, which the engine reads in time "
                "that grows with the square of their number (40,000 took it five "
                "seconds). Split it into smaller ones."
            )


def _key(text: str, kind: str, base_iri: str) -> tuple[str, str, bool, str]:
    """A verdict's key. A short text is kept as it is: a client sends the same text
    object again (``webapp/fastpath.py`` keeps the decoded ones), whose hash Python
    keeps, where a digest would cost a cheap query's evaluation again. The flag keeps
    the two kinds of key apart: a text that spells a digest is not that digest's text.
    """
    if len(text) <= KEYED_BY_TEXT:
        return (kind, base_iri, True, text)
    return (kind, base_iri, False, hashlib.sha256(text.encode()).hexdigest())


def _judged(text: str, kind: str, base_iri: str) -> Verdict:
    """What the engine made of ``text`` in a child (see the module's docstring)."""
    return _checker.judged(text.encode("utf-8", "surrogatepass"), kind, base_iri)


class _Child:
    """One child process (``structure_child.py``) and what it wrote to stderr."""

    def __init__(self) -> None:
        limits = [str(CHILD_SECONDS), str(CHILD_ADDRESS), str(os.getpid())]
        # stderr goes to a file: a pipe left unread could fill and stop the child. The
        # file lives as long as the child does, closed with it (``close``, ``detach``).
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            [sys.executable, "-I", str(_CHILD), *limits],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        #: Whether it answered every text it was given: a kept child that has not is
        #: not given another.
        self.answered = True
        self._timed_out = False

    def judged(self, text: bytes, kind: str, base_iri: str, *, first: bool) -> Verdict | None:
        """The verdict on ``text``; None where a child given texts before could have
        failed for what they left (``first`` is whether none were)."""
        status = self._status(text, kind, base_iri)
        if status == 0:
            return Verdict.PASSES
        if status is not None and status != OUT_OF_MEMORY:
            return Verdict.DEEP
        self.answered = False
        self._stderr.seek(0)
        said = self._stderr.read()
        self.close()
        code = self._process.returncode
        # The stack overflowed (Rust's guard says so and aborts, or, past the stack
        # limit the child set, the process faults), or its CPU for this text or its
        # time ran out.
        if b"overflow" in said or code in (-signal.SIGSEGV, -signal.SIGXCPU):
            return Verdict.DEEP
        if self._timed_out:
            return Verdict.DEEP
        hungry = OUT_OF_MEMORY in (status, code)
        hungry = hungry or (code == -signal.SIGABRT and b"memory allocation of" in said)
        if not first:
            return None  # ended for a reason of its own (killed as the thread that
            # started it ended), or out of memory that earlier texts may have taken
        return Verdict.HUNGRY if hungry else Verdict.DEEP

    def _status(self, text: bytes, kind: str, base_iri: str) -> int | None:
        """The child's status byte for one text; None if it ended (or was ended, after
        ``CHILD_SECONDS * 2`` of waiting) without one."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        base = base_iri.encode("utf-8", "surrogatepass")
        # What the child says on stderr is about this text alone.
        os.ftruncate(self._stderr.fileno(), 0)
        os.lseek(self._stderr.fileno(), 0, os.SEEK_SET)
        try:
            stdin.write(f"{kind} {len(base)} {len(text)}\n".encode() + base + text)
            stdin.flush()
            ready, _, _ = select.select([stdout], [], [], CHILD_SECONDS * 2)
            self._timed_out = not ready
            answer = stdout.read(1) if ready else b""
        except OSError:  # it has ended
            answer = b""
        except BaseException:  # interrupted mid-check: what the child is doing is unknown
            self.close()
            raise
        if not answer:
            self._end()
            return None
        return answer[0]

    def close(self) -> None:
        """End the child (if it has not ended), wait for it, and close its files."""
        self._end()
        self._stderr.close()

    def _end(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                # A text the child did not read whole is still in the pipe's buffer:
                # closing tries to write it (a broken pipe), then closes all the same.
                with contextlib.suppress(OSError):
                    stream.close()

    def detach(self) -> None:
        """Let go of a child a forked process inherited, leaving it to its parent.

        Its files are closed by number, not through their objects: a thread of the
        parent may have been writing a text when it forked, and closing the object
        would wait on that thread's lock, which no thread here will release, or send
        the rest of the text. The objects are kept (``_INHERITED``) so that they never
        close those numbers again once they name other files.
        """
        for stream in (self._process.stdin, self._process.stdout, self._stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    os.close(stream.fileno())
        self._process.returncode = 0  # not this process's child to wait for
        _INHERITED.append(self)


class _Checker:
    """The child this process checks texts in, kept between checks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: _Child | None = None

    def judged(self, text: bytes, kind: str, base_iri: str) -> Verdict:
        """See ``_judged``."""
        if not self._lock.acquire(blocking=False):  # another thread's check holds it
            return _once(text, kind, base_iri)
        try:
            used, self._child = self._child, None
            if used is not None:
                try:
                    verdict = used.judged(text, kind, base_iri, first=False)
                except BaseException:
                    used.close()
                    raise
                if used.answered:
                    self._child = used
                if verdict is not None:
                    return verdict
            fresh = _Child()
            verdict = fresh.judged(text, kind, base_iri, first=True)
            self._child = fresh if fresh.answered else None
            assert verdict is not None
            return verdict
        finally:
            self._lock.release()

    def close(self) -> None:
        """End the kept child (this process is ending)."""
        if self._child is not None:
            self._child.close()
            self._child = None

    def forget(self) -> None:
        """In a forked process: the parent's child is not this one's to use."""
        self._lock = threading.Lock()
        if self._child is not None:
            self._child.detach()
        self._child = None


def _once(text: bytes, kind: str, base_iri: str) -> Verdict:
    """The verdict of a child of its own, ended after this one text."""
    child = _Child()
    try:
        verdict = child.judged(text, kind, base_iri, first=True)
    finally:
        child.close()
    assert verdict is not None
    return verdict


#: Children a forked process let go of (``_Child.detach``).
_INHERITED: list[_Child] = []
_checker = _Checker()
os.register_at_fork(after_in_child=_checker.forget)
atexit.register(_checker.close)
