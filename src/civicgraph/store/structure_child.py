"""The child process of ``structure.check_structure``: parses and plans one operation.

Run as a script with an isolated interpreter, so it imports pyoxigraph and nothing of
civicgraph. It sets its own limits before it reads: seconds of CPU and bytes of address
space. It runs the operation over an empty in-memory store, so the engine parses and
plans it as a serving process would and finds nothing to read or write. A crash (the
engine's stack overflowing) ends this process only.
"""

import resource
import sys

from pyoxigraph import QueryBoolean, Store


def main() -> None:
    """Run the query or update on stdin (``query`` or ``update`` in argv) over nothing."""
    kind, seconds, address = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    resource.setrlimit(resource.RLIMIT_AS, (address, address))
    text = sys.stdin.buffer.read().decode("utf-8")
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
