"""The child process of ``structure.check_structure``: parses and plans one operation.

Run as a script with an isolated interpreter, so it imports pyoxigraph and nothing of
civicgraph. It sets its own limits before it reads: seconds of CPU and bytes of address
space. It runs the operation over an empty in-memory store, so the engine parses and
plans it as a serving process would and finds nothing to read or write. A crash (the
engine's stack overflowing) ends this process only.
"""

import resource
import sys
import threading

from pyoxigraph import QueryBoolean, Store

#: The stack the engine gets here: half of a serving process's 8 MiB, so that what
#: passes here has twice the room there, whatever that process's own frames take.
STACK_BYTES = 4 * 1024 * 1024


def main() -> None:
    """Run the query or update on stdin (``query`` or ``update`` in argv) over nothing."""
    kind, seconds, address = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    resource.setrlimit(resource.RLIMIT_AS, (address, address))
    text = sys.stdin.buffer.read().decode("utf-8")
    threading.stack_size(STACK_BYTES)
    worker = threading.Thread(target=_run, args=(kind, text))
    worker.start()
    worker.join()


def _run(kind: str, text: str) -> None:
    try:
        if kind == "update":
            Store().update(text)
        else:
            result = Store().query(text)
            if not isinstance(result, QueryBoolean):
                for _ in result:
                    pass
    except (SyntaxError, ValueError, RuntimeError, OSError):
        pass  # the serving process reports these itself


if __name__ == "__main__":
    main()
