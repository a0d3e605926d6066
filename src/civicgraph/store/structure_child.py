"""The child process of ``structure.check_structure``: parses and plans one operation.

Run as a script with an isolated interpreter, so it imports pyoxigraph and nothing of
civicgraph. It sets its own limits before it reads: seconds of CPU and bytes of address
space, and it dies with the process that started it. It runs the operation over an
empty in-memory store with the base IRI the engine will use, so the engine parses and
plans it as a serving process would, and reads no answer. It exits 0 only once the
engine is through with the text (a syntax error included); a crash (the engine's stack
overflowing) or a limit ends this process only.

``end_with_parent`` is also what the child of a pinned query (``dataset/pinned.py``)
uses; it needs nothing but the standard library.
"""

import ctypes
import os
import resource
import signal
import sys
import threading

from pyoxigraph import Store

#: The stack the engine gets here: half of a serving process's 8 MiB, so that what
#: passes here has twice the room there, whatever that process's own frames take.
STACK_BYTES = 4 * 1024 * 1024
_PR_SET_PDEATHSIG = 1
#: The exit status of a child whose engine did not finish.
UNFINISHED = 3
#: The exit status of a child whose engine ran out of memory (a Python ``MemoryError``;
#: Rust's own allocation failures abort, saying so on stderr).
OUT_OF_MEMORY = 4


def end_with_parent(parent: int) -> None:
    """Die when the process ``parent`` does: when a serving process is stopped at its
    time limit, the work it started must stop with it, not run on alone."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)


def main() -> None:
    """Run the query or update on stdin over nothing. Arguments: ``query`` or ``update``,
    CPU seconds, address-space bytes, the parent's process id, and the base IRI."""
    kind, seconds, address, parent = sys.argv[1], *map(int, sys.argv[2:5])
    end_with_parent(parent)
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    inherited = resource.getrlimit(resource.RLIMIT_AS)[1]  # a process may only lower it
    if inherited != resource.RLIM_INFINITY:
        address = min(address, inherited)
    resource.setrlimit(resource.RLIMIT_AS, (address, address))
    text = sys.stdin.buffer.read().decode("utf-8")
    threading.stack_size(STACK_BYTES)
    ended: list[int] = []
    worker = threading.Thread(target=_run, args=(kind, text, sys.argv[5] or None, ended))
    worker.start()
    worker.join()
    sys.exit(ended[0] if ended else UNFINISHED)


def _run(kind: str, text: str, base: str | None, ended: list[int]) -> None:
    """Parse and plan; put the exit status in ``ended`` once the engine is through."""
    try:
        if kind == "update":
            Store().update(text, base_iri=base)
        else:
            Store().query(text, base_iri=base)  # parsed and planned; no answer is read
    except (SyntaxError, ValueError, RuntimeError, OSError):
        pass  # the same text fails the same way in the serving process, which says so
    except MemoryError:
        ended.append(OUT_OF_MEMORY)
        return
    ended.append(0)


if __name__ == "__main__":
    main()
