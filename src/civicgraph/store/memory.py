"""How long-lived processes use the C allocator: few arenas, freed memory given back.

glibc keeps what a process freed for its next allocations; after a one-off peak (a
version record reads every triple into Python) that memory stays resident for the
process's lifetime unless it is trimmed. ``malloc_trim`` hands back what is free.
Elsewhere than glibc, neither call does anything. mimalloc, where it is preloaded,
keeps its own free pages, and ``mi_collect`` gives them back.
"""

import ctypes
import gc
import os
from contextlib import suppress
from pathlib import Path


def resident(pid: int) -> int:
    """Resident memory of a process, bytes (0 if it is gone)."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def return_free_memory() -> None:
    """Collect garbage, then give the allocators' free pages back: glibc's, and
    mimalloc's where it is preloaded (``civicgraph/allocator.py``)."""
    gc.collect()
    process = ctypes.CDLL(None)
    with suppress(OSError, AttributeError):
        process.malloc_trim(0)
    with suppress(OSError, AttributeError):
        process.mi_collect(True)


#: glibc's ``mallopt`` option for the most malloc arenas a process may create.
_M_ARENA_MAX = -8


def few_malloc_arenas() -> None:
    """Let glibc keep two malloc arenas, not one per thread (64 MiB of address each).

    RocksDB starts threads whenever a view reopens after a write; with an arena each,
    a serving process's address space grew toward its limit (``webapp/inplace.py``),
    and a thread that could not be created ended the process without an answer.
    """
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 2)
