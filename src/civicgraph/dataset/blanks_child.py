"""The child process of ``blanks.canonical_blank_rows``: N-Triples in, relabelled out.

Run as a script with an isolated interpreter, so it imports pyoxigraph and nothing of
civicgraph: it starts in a hundredth of a second. Its arguments are its limits, set
before it reads anything: seconds of CPU and bytes of address space. The kernel ends
it at either, whatever became of the process that started it.
"""

import resource
import sys

from pyoxigraph import CanonicalizationAlgorithm, Dataset, RdfFormat, parse, serialize


def main() -> None:
    """Relabel the blank nodes of the N-Triples on stdin canonically, to stdout."""
    seconds, address = (int(arg) for arg in sys.argv[1:3])
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    resource.setrlimit(resource.RLIMIT_AS, (address, address))
    found = Dataset(parse(sys.stdin.buffer.read(), format=RdfFormat.N_QUADS))
    found.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    sys.stdout.buffer.write(serialize(found, format=RdfFormat.N_QUADS) or b"")


if __name__ == "__main__":
    main()
