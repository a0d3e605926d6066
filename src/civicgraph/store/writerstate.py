"""What the writer is doing, in a small file every process of the server maps.

A write runs in the writer process (``store/writer.py``) and cannot be interrupted
from inside: pyoxigraph evaluates an update without returning to Python. So the
limits of a write are kept from outside, as a query's are: the writer marks when it
began a write and how much memory it held then; the master's watch
(``webapp/writing.py``) stops a writer whose write ran past the time limit for writes
or grew past the memory budget, noting which before it does.

A write stopped at a limit, or by a crash, may have committed already: the engine
writes a transaction's log before it returns, seconds before for a large one. So each
write's committing transaction also records the write's number and result
(``EmbeddedStore.write_number``); the next writer finds that record as it opens the
store, and says here which write it found (``opened``). The serving process whose
write began in a writer that stopped waits for the next writer's word, and tells its
client the write was applied, or that none of it was and why.

Each write carries a number its client drew, so a client whose write waited behind
the stopped one knows its own never began, and sends it again to the next writer.
CLOCK_MONOTONIC is one clock for every process of a machine, so the times compare.
Each field is an aligned eight-byte store, which no reader sees half written.
"""

import enum
import os
import struct
import time
from pathlib import Path
from typing import Final

from civicgraph.store.memory import resident
from civicgraph.store.shared import mapped_file

#: Offsets of the fields (eight bytes each): the current write's start (0 when none
#: runs), the resident bytes then, the number of the last write begun and the count of
#: writers opened before the one that began it; the write the master stopped and why;
#: the count of writers opened, the write the last one found committed, its result.
_BEGAN, _HELD, _NUMBER, _BEGUN_IN, _STOPPED, _REASON, _OPENS, _FOUND, _RESULT = range(0, 72, 8)
_SIZE: Final = 72
#: The result of a write that returns nothing (an update), as stored.
_NONE: Final = -1


class Stop(enum.IntEnum):
    """Why the master stopped the writer."""

    NONE = 0
    TIME = 1
    MEMORY = 2


class WriterState:
    """The shared table: the writer writes its fields, the master the stop's."""

    def __init__(self, path: Path) -> None:
        self._map = mapped_file(path, _SIZE)

    def _get(self, offset: int, kind: str = "Q") -> int:
        value: int = struct.unpack_from("<" + kind, self._map, offset)[0]
        return value

    def _set(self, offset: int, value: float, kind: str = "Q") -> None:
        struct.pack_into("<" + kind, self._map, offset, value)

    def begin(self, number: int) -> None:
        """In the writer: the write ``number`` (its client's) begins now."""
        self._set(_HELD, resident(os.getpid()))
        self._set(_BEGUN_IN, self._get(_OPENS))
        self._set(_NUMBER, number)
        self._set(_BEGAN, time.monotonic(), "d")

    def end(self) -> None:
        """The write is over (in the writer: applied or refused; in the master: the
        writer running it has gone)."""
        self._set(_BEGAN, 0.0, "d")

    def running(self) -> tuple[float, int, int] | None:
        """When the current write began, what the writer held then, and its number."""
        began = struct.unpack_from("<d", self._map, _BEGAN)[0]
        return (began, self._get(_HELD), self._get(_NUMBER)) if began else None

    def began_in(self, number: int) -> int | None:
        """The count of writers opened before the one that began the write ``number``,
        or None if it is not the last write begun (it never began)."""
        return self._get(_BEGUN_IN) if self._get(_NUMBER) == number else None

    def note_stop(self, number: int, reason: Stop) -> None:
        """In the master, before it stops the writer during the write ``number``."""
        self._set(_REASON, reason)
        self._set(_STOPPED, number)

    def stopped(self, number: int) -> Stop:
        """Why the master stopped the write ``number`` (NONE if it did not)."""
        return Stop(self._get(_REASON)) if self._get(_STOPPED) == number else Stop.NONE

    def opened(self, found: tuple[int, int | None] | None) -> None:
        """In a writer that opened the store: the committed write it found (its number
        and result), if any; then one more writer opened."""
        number, result = found or (0, None)
        self._set(_RESULT, _NONE if result is None else int(result), "q")
        self._set(_FOUND, number)
        self._set(_OPENS, self._get(_OPENS) + 1)

    def opens(self) -> int:
        """How many writers have opened the store so far."""
        return self._get(_OPENS)

    def found(self, number: int) -> tuple[bool, int | None]:
        """Whether the last writer to open found the write ``number`` committed, and its
        result."""
        result = self._get(_RESULT, "q")
        return self._get(_FOUND) == number, None if result == _NONE else result
