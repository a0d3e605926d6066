"""Queries and updates the engine's parser or planner cannot take without crashing.

pyoxigraph parses and plans a query recursively, and its stack overflows, ending the
whole process, well within the size of query a client may send: measured with 8 MiB
of stack, a property path of 1,000 steps (3 KB of text), a group of 1,000 triple
patterns, 1,000 objects in one list, 1,000 nested blank nodes or 20,000 terms of a
sum. A serving process that dies drops its client without an answer, and the writer
is not started again.

No scanner of the text is needed to say which will crash: each level of such depth
takes at least one of ``_BUILDERS`` (a group, a list, a path step, an operator), so
text with at most ``SAFE_BUILDERS`` of them, wherever they sit (inside IRIs and
strings too), is taken at once; 200 levels of the worst kind measured take a fraction
of the stack. Other text is parsed and planned first in a child process over an empty
store (``structure_child.py``): a crash there ends only the child, and the operation
is refused with a clear message. The verdict is kept by the text's hash, so a client
that sends the same long query again pays the child's 50-100 ms once.
"""

import hashlib
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Final

from civicgraph.errors import QueryTooDeepError

#: Characters one level of recursion in the engine needs at least one of.
_BUILDERS: Final = "{([/|;,.!^&+-*"
#: Text with at most this many of them goes to the engine at once.
SAFE_BUILDERS: Final = 200
#: The child's CPU seconds and address space.
CHILD_SECONDS: Final = 5
CHILD_ADDRESS: Final = 2 << 30
#: How many verdicts are kept.
KEPT: Final = 256
_CHILD: Final = Path(__file__).with_name("structure_child.py")
_verdicts: OrderedDict[str, bool] = OrderedDict()


def check_structure(text: str, kind: str = "query") -> None:
    """Refuse ``text`` (a ``query`` or an ``update``) if the engine would crash on it."""
    if len(text) <= SAFE_BUILDERS or sum(map(text.count, _BUILDERS)) <= SAFE_BUILDERS:
        return
    key = hashlib.sha256(f"{kind}\n{text}".encode()).hexdigest()
    safe = _verdicts.get(key)
    if safe is None:
        safe = _verdicts[key] = _survives(text, kind)
        while len(_verdicts) > KEPT:
            _verdicts.popitem(last=False)
    if not safe:
        raise QueryTooDeepError(
            f"The {kind} is structured too deeply for the engine, which could not parse and "
            "plan it within its limits (a path of hundreds of steps, hundreds of nested "
            "groups, or a group of about a thousand patterns). Split it into smaller ones."
        )


def _survives(text: str, kind: str) -> bool:
    """Whether the engine parsed and planned ``text`` in a child without crashing."""
    command = [sys.executable, "-I", str(_CHILD), kind, str(CHILD_SECONDS), str(CHILD_ADDRESS)]
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
    return done.returncode == 0
