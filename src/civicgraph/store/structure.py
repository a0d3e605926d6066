"""Queries and updates the engine's parser or planner cannot take without crashing.

pyoxigraph parses and plans a query recursively, and its stack overflows, ending the
whole process, well within the size of query a client may send: measured with 8 MiB
of stack, a property path of 1,000 steps (3 KB of text), a group of 1,000 triple
patterns, 1,000 objects in one list, 1,000 nested blank nodes or 20,000 terms of a
sum. A serving process that dies drops its client without an answer, and the writer
is not started again.

No scanner of the text decides which will crash (a count of brackets and operators
missed a collection of 10,000 items, which holds neither). The shortest text that
builds a level of such depth takes two bytes (an item of a collection: ``1 ``), and
with half the stack a serving process has, every kind measured passed 256 levels (a
list of objects crashed at 500): so text of at most ``SAFE_BYTES`` goes to the engine
at once. Longer text is parsed and planned first in a child process over an empty
store, with the base IRI the engine will use (``structure_child.py``): a crash or a
limit there ends only the child. A child that finished lets the text through; one
whose stack overflowed, or that ran out of its time first, refuses it with a clear
message. Planning can take seconds before it overflows (a group of 400 chained
patterns, then thousands of ``VALUES`` clauses): a child stopped by its time limit
says nothing of what comes after, so its text cannot be let through. The child's
time limit is far above what planning takes: in a serving process the query's own
time limit, kept by the master's watchdog, stops the child's wait first (the child
dies with its parent). A child out of memory leaves the text to the memory budget
(``_survives``).
The verdict is kept per text, so a client that sends the same long query again pays
the child's 30-100 ms once.
"""

import hashlib
import os
import signal
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Final

from civicgraph.errors import QueryTooDeepError
from civicgraph.store.structure_child import OUT_OF_MEMORY

#: Text of at most this many characters goes to the engine at once.
SAFE_BYTES: Final = 512
#: The child's CPU seconds and address space.
CHILD_SECONDS: Final = 60
CHILD_ADDRESS: Final = 1 << 30
#: How many verdicts are kept.
KEPT: Final = 256
_CHILD: Final = Path(__file__).with_name("structure_child.py")
#: Texts up to this many characters are their own key; a longer one is keyed by its
#: digest, so that what is kept stays small whatever clients send.
KEYED_BY_TEXT: Final = 8192
_verdicts: OrderedDict[tuple[str, str, bool, str], bool] = OrderedDict()


def check_structure(text: str, kind: str = "query", base_iri: str | None = None) -> None:
    """Refuse ``text`` (a ``query`` or an ``update``, read against ``base_iri``) if the
    engine would crash on it."""
    if len(text) <= SAFE_BYTES:
        return
    key = _key(text, kind, base_iri or "")
    safe = _verdicts.get(key)
    if safe is None:
        safe = _verdicts[key] = _survives(text, kind, base_iri or "")
        while len(_verdicts) > KEPT:
            _verdicts.popitem(last=False)
    if not safe:
        raise QueryTooDeepError(
            f"The {kind} is structured too deeply for the engine, which could not parse and "
            f"plan it within its limits (its stack, {CHILD_SECONDS} s of CPU): a path of "
            "hundreds of steps, hundreds of nested "
            "groups, or a group of about a thousand patterns or clauses. Split it into "
            "smaller ones."
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


def _survives(text: str, kind: str, base_iri: str) -> bool:
    """Whether the engine parsed and planned ``text`` in a child to the end, or ran out
    of memory first.

    A syntax error counts as an end: the serving process reports it in the same way.
    A child that overflowed its stack, ran out of CPU time, or did not end in time does
    not let the text through (see the module's docstring). One out of memory does:
    the engine evaluates some operations as it plans them (an aggregate over
    ``VALUES``), and a process under a memory budget passes its own limit down to the
    child, so a merely hungry query, or a child that could not even start, is left to
    the memory budget of the process that asked, which answers 503 as it always does.
    """
    limits = [str(CHILD_SECONDS), str(CHILD_ADDRESS), str(os.getpid())]
    command = [sys.executable, "-I", str(_CHILD), kind, *limits, base_iri]
    try:
        done = subprocess.run(
            command,
            input=text.encode("utf-8", "surrogatepass"),
            capture_output=True,
            timeout=CHILD_SECONDS * 2,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    if done.returncode == 0:
        return True
    if b"overflow" in done.stderr:  # Rust's guard says so, then aborts
        return False
    return done.returncode == OUT_OF_MEMORY or (
        done.returncode == -signal.SIGABRT and b"memory allocation of" in done.stderr
    )
