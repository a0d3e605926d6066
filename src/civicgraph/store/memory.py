"""Giving freed memory back to the system after work that read the whole store.

glibc keeps what a process freed for its next allocations; after a one-off peak (a
version record reads every triple into Python) that memory stays resident for the
process's lifetime unless it is trimmed. ``malloc_trim`` hands back what is free.
"""

import ctypes
import gc
from contextlib import suppress


def return_free_memory() -> None:
    """Collect garbage, then give the allocator's free pages back (glibc only)."""
    gc.collect()
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
