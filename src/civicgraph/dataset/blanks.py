"""Canonical names for a graph's blank nodes, found in a process with a time limit.

A store names the blank nodes of each load afresh, so the version log relabels them
canonically (pyoxigraph's canonicalization, RDFC-1.0's algorithm): without it,
reloading an unchanged file with an RDF list in it would show as a change.

Only the rows that mention a blank node are relabelled. A blank node's canonical name
depends on the rows it appears in and on no other (RDFC-1.0 §4.4 builds its hashes from
those rows alone), so the rest of a graph, often all but a few rows, is left as it is:
relabelling a million rows of which 45,000 had a blank node took 16.5 s, and the 45,000
alone take a fraction of a second, for the same names.

The algorithm's worst case is factorial: eight blank nodes that all point to one
another took 3 s here, ten take minutes. Such data can come from any file or write, so
the relabelling runs in a child process that is stopped after ``CANONICAL_SECONDS``
and a time per row five times what ordinary rows take (100,000 rows of blank nodes
took 1.3 s, 500,000 took 10 s): the bound is linear in the input. The rows are then
kept with the store's own names (a later record may show them as changed once), and
the write or load goes on.
"""

import logging
import subprocess
import sys
from pathlib import Path
from typing import Final

_log = logging.getLogger(__name__)

#: How long the relabelling may take before the rows keep the store's names: this,
CANONICAL_SECONDS: Final = 10.0
#: and this for each row.
SECONDS_PER_ROW: Final = 100e-6
#: The child's program: reads N-Triples on stdin, writes them relabelled on stdout.
_CHILD: Final = Path(__file__).with_name("blanks_child.py")


def canonical_blank_rows(rows: list[bytes]) -> list[bytes]:
    """``rows`` (N-Triples lines that mention blank nodes) with canonical blank node
    names; as they are, with a warning, if naming them takes too long or fails."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", str(_CHILD)],
            input=b"\n".join(rows) + b"\n",
            capture_output=True,
            timeout=CANONICAL_SECONDS + SECONDS_PER_ROW * len(rows),
            check=True,
        )
    except subprocess.TimeoutExpired:
        why = "past its time (its blank nodes are too alike)"
    except subprocess.CalledProcessError as exc:
        why = f"it failed: {exc.stderr.decode(errors='replace').strip()[-300:]}"
    else:
        return done.stdout.splitlines()
    _log.warning(
        "The canonical naming of %d rows' blank nodes ended %s; the store's names are kept",
        len(rows),
        why,
    )
    return rows
