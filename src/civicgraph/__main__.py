"""The ``civicgraph`` program, also run as ``python -m civicgraph`` (as tests start servers).

The allocator is settled before the command's modules are imported: a long-running
command starts again with mimalloc preloaded (``civicgraph/allocator.py``), and what a
first start imported (click and the project's errors, 0.08 s) would be imported again.
"""

import sys

from civicgraph.allocator import start_with_preferred


def main() -> None:
    """Start again with the preferred allocator if the command wants it, then run it."""
    start_with_preferred(sys.argv)
    from civicgraph.cli import main as command  # noqa: PLC0415

    command()


if __name__ == "__main__":
    main()
