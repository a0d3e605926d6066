"""The table the serving processes share with the gunicorn master: who evaluates what.

One slot per serving process, in a small mapped file. While a process evaluates a
query, its slot says so: the client's socket (as a descriptor number in that
process), the deadline, the resident size it may not pass, and the exact 503s the
client would get. The master's ``Watchdog`` reads the table; a serving process only
writes to memory, so marking an evaluation costs no system call.

The same table gives fairness: a process that starts evaluating while every other
process is busy is the last free one, and takes the short limit, so that a process
is free again soon for the next client.
"""

import fcntl
import mmap
import os
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: owner pid, busy, sequence, client fd, deadline, resident limit, 503 lengths.
_HEAD: Final = struct.Struct("<qqqqdqqq")
#: Room for each prepared 503 (status line, headers and a JSON body).
RESPONSE_ROOM: Final = 4096
_SIZE: Final = _HEAD.size + 2 * RESPONSE_ROOM
_INT, _FLOAT = struct.Struct("<q"), struct.Struct("<d")
_NAMES: Final = ("owner", "busy", "sequence", "client", "deadline", "resident", "t", "m")
_FIELDS: Final = {
    name: (8 * i, _FLOAT if name == "deadline" else _INT) for i, name in enumerate(_NAMES)
}


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
    deadline: float
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
        self._written: tuple[bytes, bytes] | None = None

    def _head(self, index: int) -> tuple[int, int, int, int, float, int, int, int]:
        values: tuple[int, int, int, int, float, int, int, int] = _HEAD.unpack_from(
            self._map, index * _SIZE
        )
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
                    _HEAD.pack_into(
                        self._map, index * _SIZE, os.getpid(), 0, 0, -1, 0.0, resident_limit, 0, 0
                    )
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

    def prepare(self, on_timeout: bytes, on_memory: bytes) -> None:
        """Store the 503s this process would send, if they differ from those stored."""
        if self._mine is None or self._written == (on_timeout, on_memory):
            return
        start = self._mine * _SIZE + _HEAD.size
        self._map[start : start + len(on_timeout)] = on_timeout[:RESPONSE_ROOM]
        start += RESPONSE_ROOM
        self._map[start : start + len(on_memory)] = on_memory[:RESPONSE_ROOM]
        self._set(self._mine, t=min(len(on_timeout), RESPONSE_ROOM))
        self._set(self._mine, m=min(len(on_memory), RESPONSE_ROOM))
        self._written = (on_timeout, on_memory)

    @contextmanager
    def evaluating(self, client: int, limit: float) -> Iterator[None]:
        """Mark this process as evaluating for the client socket ``client``."""
        index = self._mine
        if index is None:
            yield
            return
        sequence = self._head(index)[2]
        deadline = time.monotonic() + limit
        self._set(index, sequence=sequence + 1, client=client, deadline=deadline)
        self._set(index, busy=1)  # last: the master sees a complete entry
        try:
            yield
        finally:
            self._set(index, busy=0)

    def evaluations(self) -> Iterator[Evaluation]:
        """The slots that are evaluating right now (the master's view)."""
        for index in range(self.count):
            owner, busy, sequence, client, deadline, resident, _t, _m = self._head(index)
            if busy and owner:
                yield Evaluation(index, owner, sequence, client, deadline, resident)

    def still(self, found: Evaluation) -> bool:
        """Whether the evaluation ``found`` is still the one running in its slot."""
        owner, busy, sequence, *_rest = self._head(found.index)
        return bool(busy) and owner == found.owner and sequence == found.sequence

    def response(self, index: int, overran: bool) -> bytes:
        """The 503 a slot's process prepared: for the time limit, or the memory budget."""
        *_head, timeout_length, memory_length = self._head(index)
        start = index * _SIZE + _HEAD.size + (0 if overran else RESPONSE_ROOM)
        return bytes(self._map[start : start + (timeout_length if overran else memory_length)])

    def stopped(self, index: int) -> None:
        """Mark a slot's evaluation as over (its process was stopped)."""
        self._set(index, busy=0)
