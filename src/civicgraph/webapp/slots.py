"""The table the serving processes share with the gunicorn master: who evaluates what.

One slot per serving process, in a small mapped file. While a process evaluates a
query, its slot says so: the client's socket (as a descriptor number in that
process), when it began, its deadlines, the resident size it may not pass, and the
exact 503s the client would get. The master's ``Watchdog`` reads the table; a serving
process only writes to memory, so marking an evaluation costs no system call.

The same table gives fairness: an evaluation that begins while every other process
evaluates is on the last free one (``last_free``), and takes the short limit: past
it, the master stops it once every other process is held by a query that has run a
while (``watchdog.Watchdog``), so that a process is free again soon for the next
client. One that began while the others answered queries of a few milliseconds runs
in full, as long as they do.
"""

import fcntl
import mmap
import os
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Final


class Stop(IntEnum):
    """Why the master stops an evaluation: each has its own prepared 503."""

    TIME = 0  #: past its time limit
    BUSY = 1  #: past the short limit, begun on the last free process, the others held
    MEMORY = 2  #: its process grew past the memory budget


#: owner pid, busy, sequence, client fd, began, deadline, short deadline, resident
#: limit, and the length of each prepared 503 (in ``Stop`` order).
_HEAD: Final = struct.Struct("<qqqqdddqqqq")
#: Room for each prepared 503 (status line, headers and a JSON body).
RESPONSE_ROOM: Final = 4096
_SIZE: Final = _HEAD.size + len(Stop) * RESPONSE_ROOM
_INT, _FLOAT = struct.Struct("<q"), struct.Struct("<d")
_NAMES: Final = (
    "owner", "busy", "sequence", "client", "began", "deadline", "short", "resident",
    *(f"length{stop.value}" for stop in Stop),
)  # fmt: skip
_TIMES: Final = frozenset({"began", "deadline", "short"})
_FIELDS: Final = {
    name: (8 * i, _FLOAT if name in _TIMES else _INT) for i, name in enumerate(_NAMES)
}
_Head = tuple[int, int, int, int, float, float, float, int, int, int, int]


def alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Evaluation:
    """What a slot says while its process evaluates (read by the master)."""

    index: int
    owner: int
    sequence: int
    client: int
    began: float
    deadline: float
    #: From when it is stopped while every other process is held (infinite unless it
    #: began on the last free process).
    short_deadline: float
    resident_limit: int


class Slots:
    """The shared table; each serving process claims one slot."""

    def __init__(self, path: Path, count: int) -> None:
        self.path, self.count = path, count
        if not path.exists() or path.stat().st_size < _SIZE * count:
            path.write_bytes(bytes(_SIZE * count))
        with path.open("r+b") as file:
            self._map = mmap.mmap(file.fileno(), _SIZE * count)
        self._mine: int | None = None
        self._written: tuple[bytes, ...] | None = None

    def _head(self, index: int) -> _Head:
        values: _Head = _HEAD.unpack_from(self._map, index * _SIZE)
        return values

    def _set(self, index: int, **changes: float) -> None:
        """Write single fields in place (each an aligned 8-byte store)."""
        for name, value in changes.items():
            offset, kind = _FIELDS[name]
            kind.pack_into(self._map, index * _SIZE + offset, value)

    def claim(self, resident_limit: int) -> None:
        """Take a slot for this process: a free one, or one whose owner has died."""
        with self.path.open("r+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for index in range(self.count):
                if not alive(self._head(index)[0]):
                    empty = (0.0, 0.0, 0.0, resident_limit, *(0 for _ in Stop))
                    _HEAD.pack_into(self._map, index * _SIZE, os.getpid(), 0, 0, -1, *empty)
                    self._mine = index
                    return

    def release(self, pid: int) -> None:
        """Free the slot of a process that has exited (the master calls this)."""
        for index in range(self.count):
            if self._head(index)[0] == pid:
                self._set(index, owner=0, busy=0)

    def last_free(self) -> bool:
        """Whether every other process is evaluating right now."""
        busy = sum(1 for i in range(self.count) if i != self._mine and self._head(i)[1])
        return busy >= self.count - 1

    def prepare(self, responses: tuple[bytes, ...]) -> None:
        """Store the 503s this process would send, one per ``Stop`` in its order, if
        they differ from those stored."""
        if self._mine is None or self._written == responses:
            return
        for stop, response in zip(Stop, responses, strict=True):
            start = self._mine * _SIZE + _HEAD.size + stop * RESPONSE_ROOM
            kept = response[:RESPONSE_ROOM]
            self._map[start : start + len(kept)] = kept
            self._set(self._mine, **{f"length{stop.value}": len(kept)})
        self._written = responses

    @contextmanager
    def evaluating(self, client: int, limit: float, short: float | None = None) -> Iterator[None]:
        """Mark this process as evaluating for the client socket ``client``; past
        ``short`` seconds it is stopped while every other process is held."""
        index = self._mine
        if index is None:
            yield
            return
        sequence = self._head(index)[2]
        began = time.monotonic()
        short_deadline = began + short if short is not None and short < limit else float("inf")
        self._set(index, sequence=sequence + 1, client=client, began=began)
        self._set(index, deadline=began + limit, short=short_deadline)
        self._set(index, busy=1)  # last: the master sees a complete entry
        try:
            yield
        finally:
            self._set(index, busy=0)

    def evaluations(self) -> Iterator[Evaluation]:
        """The slots that are evaluating right now (the master's view)."""
        for index in range(self.count):
            owner, busy, sequence, client, began, deadline, short, resident, *_ = self._head(index)
            if busy and owner:
                yield Evaluation(index, owner, sequence, client, began, deadline, short, resident)

    def still(self, found: Evaluation) -> bool:
        """Whether the evaluation ``found`` is still the one running in its slot."""
        owner, busy, sequence, *_rest = self._head(found.index)
        return bool(busy) and owner == found.owner and sequence == found.sequence

    def response(self, index: int, stop: Stop) -> bytes:
        """The 503 a slot's process prepared for ``stop``."""
        length = int(self._head(index)[len(_NAMES) - len(Stop) + stop])
        start = index * _SIZE + _HEAD.size + stop * RESPONSE_ROOM
        return bytes(self._map[start : start + length])

    def stopped(self, index: int) -> None:
        """Mark a slot's evaluation as over (its process was stopped)."""
        self._set(index, busy=0)
