"""Canonical names for a graph's blank nodes, found in a process with limits.

A store names the blank nodes of each load afresh, so the version log relabels them
canonically: without it, reloading an unchanged file with an RDF list in it would show
as a change. Blank nodes that form trees (lists, addresses, restrictions: each the
object of at most one row, no cycle) are named by place and content, in time linear in
their rows (``blanktrees.py``); any others by pyoxigraph's canonicalization (RDFC-1.0's
algorithm), whose names may differ in another pyoxigraph release. A record after an
upgrade that names blank nodes otherwise shows them relabelled once.

Only the rows that mention a blank node are relabelled. A blank node's canonical name
depends on the rows it appears in and on no other (RDFC-1.0 §4.4 builds its hashes from
those rows alone), so the rest of a graph, often all but a few rows, is left as it is:
relabelling a million rows of which 45,000 had a blank node took 16.5 s, and the 45,000
alone take a fraction of a second, for the same names.

RDFC-1.0's worst case is factorial in time and memory: eight blank nodes that all
point to one another took 3 s here, ten take minutes. Such data can come from any file
or write, so the relabelling runs in a child process that limits its own CPU time and
address space (the limits hold even if this process dies). The naming of trees is
linear, but holds about fifteen times the rows' bytes (a million rows, 43 MB, took
629 MiB at its peak): rows of more than ``IN_PROCESS_BYTES`` are named in the child
too, which gives that memory back as it ends, and smaller ones here, where they take
a fraction of a millisecond against the child's start (about 50 ms for every write
that changes a graph with a list in it). The child's limits: ``CANONICAL_SECONDS``
and a time per row five times what ordinary rows take (100,000 rows of blank nodes
took 1.3 s, 500,000 took 10 s), at most ``MOST_SECONDS``. Past a limit the rows keep
the store's own names, with a warning, and the write or load goes on. The server's writer
reads every graph again at each version record, so each outcome is remembered by the
rows' hash (``_Outcomes``): a graph too hard to name costs its time once, not at every
later write.
"""

import hashlib
import logging
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Final

from civicgraph.dataset.blanktrees import tree_names

_log = logging.getLogger(__name__)

#: The CPU time the relabelling may take before the rows keep the store's names: this,
CANONICAL_SECONDS: Final = 10
#: and this for each row that holds a blank node,
SECONDS_PER_ROW: Final = 100e-6
#: and never more than this.
MOST_SECONDS: Final = 120
#: The child's address space: this, and this many times the rows' bytes.
ADDRESS_BYTES: Final = 2 << 30
ADDRESS_PER_BYTE: Final = 40
#: Rows of up to this many bytes whose blank nodes form trees are named in this process:
#: at most about fifteen times this held while they are.
IN_PROCESS_BYTES: Final = 1 << 20
#: The child's program: reads N-Triples on stdin, writes them relabelled on stdout.
_CHILD: Final = Path(__file__).with_name("blanks_child.py")


class _Outcomes:
    """The last outcomes by the hash of the rows given, up to ``BYTES`` of answers."""

    BYTES: Final = 64 << 20

    def __init__(self) -> None:
        self._found: OrderedDict[str, bytes | None] = OrderedDict()

    def get(self, key: str) -> tuple[bool, bytes | None]:
        """Whether ``key`` is known, and its answer (None: the store's names stay)."""
        if key not in self._found:
            return False, None
        self._found.move_to_end(key)
        return True, self._found[key]

    def put(self, key: str, answer: bytes | None) -> None:
        """Remember an answer, forgetting the oldest beyond the size."""
        self._found[key] = answer
        while sum(len(a or b"") for a in self._found.values()) > self.BYTES:
            self._found.popitem(last=False)


_OUTCOMES = _Outcomes()


def canonical_blank_rows(rows: list[bytes]) -> list[bytes]:
    """``rows`` (N-Triples lines that mention blank nodes) with canonical blank node
    names; as they are, with a warning, if naming them passes a limit or fails."""
    data = b"\n".join(rows) + b"\n"
    if len(data) <= IN_PROCESS_BYTES:
        named = tree_names(rows)
        if named is not None:
            return named
    key = hashlib.sha256(data).hexdigest()
    known, answer = _OUTCOMES.get(key)
    if not known:
        answer = _named(data, len(rows))
        _OUTCOMES.put(key, answer)
    return rows if answer is None else answer.splitlines()


def _named(data: bytes, count: int) -> bytes | None:
    """The child's answer for ``data``; None, with a warning, if it gave none."""
    seconds = min(CANONICAL_SECONDS + int(SECONDS_PER_ROW * count), MOST_SECONDS)
    limits = [str(seconds), str(ADDRESS_BYTES + ADDRESS_PER_BYTE * len(data))]
    try:
        # The child's own CPU limit decides, as repeatably as the machine allows; the
        # clock on the wall only stops a child that waits for nothing.
        done = subprocess.run(
            [sys.executable, "-I", str(_CHILD), *limits],
            input=data,
            capture_output=True,
            timeout=3 * seconds + 5,
            check=False,
        )
    except subprocess.TimeoutExpired:
        why = "it ran out of time"
    else:
        if done.returncode == 0:
            return done.stdout
        why = f"it ended with {done.returncode} (its limits are {seconds} s of CPU)"
    _log.warning(
        "The canonical naming of %d rows' blank nodes failed (%s); the store's names "
        "are kept, so a reload of the same data may show those rows as changed",
        count,
        why,
    )
    return None
