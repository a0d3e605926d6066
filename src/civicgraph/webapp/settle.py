"""Giving back what heavy requests left resident in a serving process.

A serving process lives for the server's lifetime, and what one request leaves
behind stays resident in it: the database's cache of the blocks its view read (tens
of MiB after a few scans at a million triples, in every serving process), and the
free memory the allocator keeps after a big network view. So after a heavy request,
once the process holds ``GROWTH`` more than after the last settling, it reopens its
view (which drops that cache) and gives free memory back. A cheap request pays a
clock read; the check itself runs only after a request that took ``HEAVY_SECONDS``,
and the reopen (about 10 ms at a million triples, and the next queries read colder
blocks) only after that much growth, not after every heavy request.
"""

import os
from typing import Final

from civicgraph.config import MIB
from civicgraph.store.memory import return_free_memory
from civicgraph.store.views import ReadView

#: Growth of the process's own memory since the last settling that triggers one.
GROWTH: Final = 48 * MIB
#: Requests shorter than this, seconds, are not checked.
HEAVY_SECONDS: Final = 0.05
_PAGE: Final = os.sysconf("SC_PAGE_SIZE")


def private_resident() -> int:
    """This process's resident memory not backed by files, bytes (mapped files are shared)."""
    with open("/proc/self/statm", "rb") as statm:
        fields = statm.read().split()
    return (int(fields[1]) - int(fields[2])) * _PAGE


class Settler:
    """Reopens a serving process's view and trims its heap after enough growth."""

    def __init__(self, view: ReadView, growth: int = GROWTH) -> None:
        self.view, self.growth = view, growth
        self.baseline = private_resident()
        #: How many times this process settled (for logs and tests).
        self.settled = 0

    def after(self, seconds: float) -> None:
        """Called after each answer was sent, with how long the request took."""
        if seconds < HEAVY_SECONDS or private_resident() - self.baseline < self.growth:
            return
        self.view.refresh()
        return_free_memory()
        self.baseline = private_resident()
        self.settled += 1
