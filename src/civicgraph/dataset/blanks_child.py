"""The child process of ``blanks.canonical_blank_rows``: N-Triples in, relabelled out.

Run as a script with an isolated interpreter, so it imports only what it names: the
tree naming from this checkout (``blanktrees.py``, found beside this file, so that it
is the code the parent runs) and, for rows that are not trees, pyoxigraph. Its
arguments are its limits, set before it reads anything: seconds of CPU and bytes of
address space. The kernel ends it at either, whatever became of the process that
started it.
"""

import os.path
import resource
import sys

# The package's root, three levels up: ``src`` in a checkout, ``site-packages`` installed.
# (``os.path``, loaded with the interpreter: ``pathlib`` would add a fifth to the start.)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))))

from civicgraph.dataset.blanktrees import tree_names


def main() -> None:
    """Relabel the blank nodes of the N-Triples on stdin canonically, to stdout: by place
    and content where they form trees, else by RDFC-1.0."""
    seconds, address = (int(arg) for arg in sys.argv[1:3])
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    resource.setrlimit(resource.RLIMIT_AS, (address, address))
    data = sys.stdin.buffer.read()
    named = tree_names(data.splitlines())
    if named is not None:
        sys.stdout.buffer.write(b"".join(row + b"\n" for row in named))
        return
    from pyoxigraph import CanonicalizationAlgorithm, Dataset, RdfFormat, parse, serialize  # noqa: PLC0415

    found = Dataset(parse(data, format=RdfFormat.N_QUADS))
    found.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    sys.stdout.buffer.write(serialize(found, format=RdfFormat.N_QUADS) or b"")


if __name__ == "__main__":
    main()
