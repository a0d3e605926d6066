"""What the writer is doing, in a small file every process of the server maps.

A write runs in the writer process (``store/writer.py``) and cannot be interrupted
from inside: pyoxigraph evaluates an update without returning to Python. So the
limits of a write are kept from outside, as a query's are: the writer marks when it
began a write and how much memory it held then; the master's watch
(``webapp/writing.py``) stops a writer whose write ran past the time limit for writes
or grew past the memory budget, noting which before it does; the serving process whose
write was cut short reads the note and tells its client why.

Each write carries a number its client drew, so a client whose write waited behind
the stopped one is not told that its own was: its write never began, and it sends it
again to the next writer. CLOCK_MONOTONIC is one clock for every
process of a machine, so the times compare. Each field is an aligned eight-byte
store, which no reader sees half written.
"""

import enum
import os
import struct
import time
from pathlib import Path
from typing import Final

from civicgraph.store.memory import resident
from civicgraph.store.shared import mapped_file

#: The current write's start (0 when none runs), the resident bytes then, and the
#: number of the last write begun; the number of the write the master stopped, and why.
_TABLE: Final = struct.Struct("<dQQQQ")


class Stop(enum.IntEnum):
    """Why the master stopped the writer."""

    NONE = 0
    TIME = 1
    MEMORY = 2


class WriterState:
    """The shared table: the writer writes the first two fields, the master the others."""

    def __init__(self, path: Path) -> None:
        self._map = mapped_file(path, _TABLE.size)

    def _fields(self) -> tuple[float, int, int, int, int]:
        began, held, number, stopped, reason = _TABLE.unpack_from(self._map, 0)
        return began, held, number, stopped, reason

    def begin(self, number: int) -> None:
        """In the writer: the write ``number`` (its client's) begins now."""
        struct.pack_into("<QQ", self._map, 8, resident(os.getpid()), number)
        struct.pack_into("<d", self._map, 0, time.monotonic())

    def end(self) -> None:
        """In the writer: the write is done (applied or refused)."""
        struct.pack_into("<d", self._map, 0, 0.0)

    def running(self) -> tuple[float, int] | None:
        """When the current write began and what the writer held then, or None."""
        began, held, _, _, _ = self._fields()
        return (began, held) if began else None

    def began(self, number: int) -> bool:
        """Whether the write ``number`` is the last one a writer began."""
        _, _, last, _, _ = self._fields()
        return last == number

    def note_stop(self, reason: Stop) -> None:
        """In the master, before it stops the writer during a write: why."""
        _, _, number, _, _ = self._fields()
        struct.pack_into("<Q", self._map, 32, reason)
        struct.pack_into("<Q", self._map, 24, number)

    def stopped(self, number: int) -> Stop:
        """Why the master stopped the write ``number`` (NONE if it did not)."""
        _, _, _, stopped, reason = self._fields()
        return Stop(reason) if stopped == number else Stop.NONE
