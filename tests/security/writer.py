"""A process that holds a store open for writing and commits pairs of triples forever.

Run as ``python -m tests.security.writer STORE``: it stands in for a serving process
(it holds the write lock) that is busy writing. Each update inserts ``:a`` and ``:b``
for one subject in one transaction, so a consistent copy holds as many of one as of
the other. It prints ``ready`` once the first pair is committed.
"""

import sys

from civicgraph.store import EmbeddedStore

A = "http://example.org/a"
B = "http://example.org/b"


def pair(i: int) -> str:
    """The update that inserts pair number ``i`` into one of five graphs."""
    subject = f"<http://example.org/s{i}>"
    return (
        f"INSERT DATA {{ GRAPH <http://example.org/g{i % 5}> "
        f'{{ {subject} <{A}> "{i}" . {subject} <{B}> "{i}" }} }}'
    )


def main(path: str) -> None:
    """Write pairs until killed."""
    store = EmbeddedStore(path)
    store.update(pair(0))
    print("ready", flush=True)
    i = 1
    while True:
        store.update(pair(i))
        i += 1


if __name__ == "__main__":
    main(sys.argv[1])
