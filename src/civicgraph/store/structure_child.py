"""The child process of ``structure.check_structure``: parses and plans operations.

Run as a script with an isolated interpreter, so it imports pyoxigraph and nothing of
civicgraph. It sets its own limits before it reads: bytes of address space, and for
each operation seconds of CPU; it dies with the process that started it. It answers
one operation after another, each read from stdin as a head line (``query`` or
``update``, then the byte lengths of the base IRI and of the text) and those bytes,
with one status byte on stdout. Each runs over a new empty in-memory store with the
base IRI the engine will use, so the engine parses and plans it as a serving process
would, and reads no answer. The status is 0 only once the engine is through with the
text (a syntax error included); a crash (the engine's stack overflowing) or a limit
ends this process, and the parent reads no status.

``end_with_parent`` is also what the child of a pinned query (``dataset/pinned.py``)
uses; it needs nothing but the standard library.
"""

import ctypes
import os
import resource
import signal
import sys
from typing import BinaryIO

from pyoxigraph import Store

#: The stack the engine gets here: half of a serving process's 8 MiB, so that what
#: passes here has twice the room there, whatever that process's own frames take.
STACK_BYTES = 4 * 1024 * 1024
_PR_SET_PDEATHSIG = 1
#: The status of an operation the engine did not finish.
UNFINISHED = 3
#: The status of an operation the engine ran out of memory on (a Python
#: ``MemoryError``; Rust's own allocation failures abort, saying so on stderr).
OUT_OF_MEMORY = 4


def end_with_parent(parent: int) -> None:
    """Die when the process ``parent`` does: when a serving process is stopped at its
    time limit, the work it started must stop with it, not run on alone."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)


def main() -> None:
    """Check operations until stdin ends. Arguments: CPU seconds for each operation,
    address-space bytes, and the parent's process id."""
    seconds, address, parent = map(int, sys.argv[1:4])
    end_with_parent(parent)
    inherited = resource.getrlimit(resource.RLIMIT_AS)[1]  # a process may only lower it
    if inherited != resource.RLIM_INFINITY:
        address = min(address, inherited)
    resource.setrlimit(resource.RLIMIT_AS, (address, address))
    _limit_stack(STACK_BYTES)
    while (operation := _read(sys.stdin.buffer)) is not None:
        _allow_cpu(seconds)
        try:
            status = _run(*operation)
        except Exception:  # any other end of the engine's work is no finish
            status = UNFINISHED
        sys.stdout.buffer.write(bytes([status]))
        sys.stdout.buffer.flush()


def _limit_stack(size: int) -> None:
    """Let this thread's stack grow to ``size`` bytes and no further.

    The engine runs on the main thread, whose stack the kernel grows on demand up to
    the limit it reads at each growth, so that lowering the limit here is as good as
    a thread started with that stack (less the process's arguments and environment,
    a few KiB, which the main thread's stack also holds). Each text finds the whole
    stack free again. Handing each text to a thread of that stack took about 0.13 ms
    of a check's 0.23 ms of CPU.
    """
    hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
    soft = size if hard == resource.RLIM_INFINITY else min(size, hard)
    resource.setrlimit(resource.RLIMIT_STACK, (soft, hard))


def _read(source: BinaryIO) -> tuple[str, str, str | None] | None:
    """The next operation (kind, text, base IRI), None once the parent closes stdin."""
    head = source.readline().split()
    if not head:
        return None
    base, text = (source.read(int(size)).decode("utf-8") for size in head[1:3])
    return head[0].decode(), text, base or None


def _allow_cpu(seconds: int) -> None:
    """Let the next operation use ``seconds`` of CPU more than this process has used:
    the kernel ends the process past them (``SIGXCPU``)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = int(used.ru_utime + used.ru_stime) + 1 + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _run(kind: str, text: str, base: str | None) -> int:
    """Parse and plan; the status once the engine is through."""
    try:
        if kind == "update":
            Store().update(text, base_iri=base)
        else:
            Store().query(text, base_iri=base)  # parsed and planned; no answer is read
    except (SyntaxError, ValueError, RuntimeError, OSError):
        pass  # the same text fails the same way in the serving process, which says so
    except MemoryError:
        return OUT_OF_MEMORY
    return 0


if __name__ == "__main__":
    main()
