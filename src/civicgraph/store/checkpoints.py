"""Checkpoints of the store for the serving processes' views: files no compaction removes.

A read-only view opens the database's files lazily, as queries reach them, and the
writer's compactions delete files. A view that reaches a file deleted since it opened
fails: a plain query raises ``FileNotFoundError`` (``views.ReadView`` reopens and asks
again), but pyoxigraph's aggregates and sorts (0.5) read the same error again without
end, growing until the memory watchdog stops the process: a ``COUNT(*)`` over a million
triples grew past 2 GiB in 3 s, on a store fresh from a bulk load, which the first
start compacts while the views are open.

So views do not open the store itself. After each write, before it bumps the write
counter, the writer publishes a checkpoint numbered as the count will be: a RocksDB
checkpoint (``Store.backup``), hard links to the database's immutable files and a
copy of the rest, about 3 ms. A compaction unlinks the store's names for its files,
never a checkpoint's. A view holds a shared lock on the checkpoint it opened until it
closes; the writer removes the checkpoints no view holds, the newest excepted.

Checkpoints live beside the store (hard links need its file system), in a folder of
the server's own. Where none can be made (the store's parent folder is read-only), the
writer says so and views open the store itself, as they did before.
"""

import fcntl
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from civicgraph.store.embedded import EmbeddedStore

#: What a lock file's name adds to its checkpoint's.
_LOCK: Final = ".lock"
#: How a server's folder of checkpoints is named: as its shared files' folder is.
_SERVER: Final = "civicgraph-"
#: How many times a reader from outside lists the checkpoints while newer ones come.
_LOOKS: Final = 3
#: A file in a server's folder that its writer holds locked while its checkpoints are
#: current: a reader from outside takes no other server's (``newest_beside``).
_CURRENT: Final = "writer"


@dataclass(frozen=True)
class Held:
    """A checkpoint a view opened, and the lock that keeps the writer from removing it."""

    path: Path
    lock: IO[str]

    def release(self) -> None:
        """Let the writer remove it (once the view is closed)."""
        self.lock.close()


class Checkpoints:
    """One server's checkpoints of its store: numbered folders in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        #: Whether a publish failed (said once; views open the store itself meanwhile).
        self.failed = False
        #: The writer's lock on ``_CURRENT``, held from a publish to a failed one.
        self._current: IO[str] | None = None

    @classmethod
    def for_server(cls, store: Path, runtime: Path) -> "Checkpoints":
        """The checkpoints of the server whose shared files are in ``runtime`` (named
        ``civicgraph-…``): the writer and every view find the same folder from the
        same two paths."""
        return cls(_beside(store) / runtime.name)

    def publish(self, store: EmbeddedStore, number: int) -> None:
        """Checkpoint the writer's ``store`` as ``number`` (the count it is about to
        bump to; ``prune`` after the bump, so that the count never names a removed
        one). Raises ``OSError`` or ``StoreError`` if it cannot be made."""
        target = self.folder / str(number)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(target, ignore_errors=True)  # a publish that stopped half way
            (self.folder / f"{number}{_LOCK}").touch()
            store.backup(target)
            self._hold_current()
        except BaseException:
            self._let_go_current()  # the store moved on: the older ones are not it
            raise

    def _hold_current(self) -> None:
        """Say the checkpoints are current for as long as this process runs."""
        if self._current is None:
            current = (self.folder / _CURRENT).open("a")
            try:
                fcntl.flock(current, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                current.close()
                raise
            self._current = current

    def _let_go_current(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None

    def prune(self, keep: int | None = None) -> None:
        """Remove every checkpoint but ``keep`` that no view holds. Only what a publish
        makes is touched: a number's folder (not a link) and its lock."""
        for lock in self.folder.glob(f"*{_LOCK}"):
            name = lock.name.removesuffix(_LOCK)
            path = self.folder / name
            if name.isdigit() and name != str(keep) and not path.is_symlink():
                _remove_unless_held(path, lock)

    def hold(self, number: int) -> Held | None:
        """Lock checkpoint ``number`` for a view; None if there is no such checkpoint
        (never made, or removed as a newer one came)."""
        try:
            lock = (self.folder / f"{number}{_LOCK}").open("r")
        except OSError:
            return None
        fcntl.flock(lock, fcntl.LOCK_SH)
        path = self.folder / str(number)
        if not (path / "CURRENT").exists():  # removed before the lock was taken
            lock.close()
            return None
        return Held(path, lock)

    def remove(self) -> None:
        """Remove this server's checkpoints (as it stops), and the folder they were in
        if no other server's are there."""
        self._let_go_current()
        shutil.rmtree(self.folder, ignore_errors=True)
        try:
            self.folder.parent.rmdir()
        except OSError:  # another server's, or never made
            return

    def prune_others(self) -> None:
        """Remove what servers that stopped without removing theirs left beside the
        store, but what a process still running holds: only their folders (named as
        servers' are, not links), and in them only what ``prune`` would remove."""
        for other in self.folder.parent.glob(f"{_SERVER}*"):
            if other == self.folder or not other.is_dir() or other.is_symlink():
                continue
            if _is_current(other):  # another server's writer runs
                continue
            Checkpoints(other).prune()
            if (other / _CURRENT).is_file() and not (other / _CURRENT).is_symlink():
                (other / _CURRENT).unlink()
            try:
                other.rmdir()
            except OSError:  # held, or holding what is not ours
                continue


def newest_beside(store: Path) -> Held | None:
    """The newest checkpoint a running server published beside ``store``, held; None if
    there is none.

    For a reader outside the server (a backup of the live store). Only folders whose
    writer holds ``_CURRENT`` count: a server stopped by a kill leaves its checkpoints,
    and one whose last publish failed has older ones than the store. One being made
    (no ``CURRENT`` yet) or just removed is passed over.
    """
    for _ in range(_LOOKS):
        for _published, number, folder in sorted(_published_beside(store), reverse=True):
            held = Checkpoints(folder).hold(number)
            if held is not None:
                return held
    return None


def _published_beside(store: Path) -> Iterator[tuple[int, int, Path]]:
    """Each checkpoint in servers' folders beside ``store``: when its lock was made
    (ns), its number, and its folder."""
    for folder in _beside(store).glob(f"{_SERVER}*"):
        if not folder.is_dir() or folder.is_symlink() or not _is_current(folder):
            continue
        for lock in folder.glob(f"*{_LOCK}"):
            name = lock.name.removesuffix(_LOCK)
            try:
                made = lock.stat().st_mtime_ns
            except OSError:  # removed meanwhile
                continue
            if name.isdigit():
                yield made, int(name), folder


def _is_current(folder: Path) -> bool:
    """Whether a running writer holds the checkpoints in ``folder`` current."""
    current = folder / _CURRENT
    if not current.is_file() or current.is_symlink():
        return False
    try:
        with current.open("r") as held:
            fcntl.flock(held, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def _beside(store: Path) -> Path:
    """The folder beside a store that holds its servers' folders of checkpoints."""
    return Path(f"{str(store).rstrip('/')}-views")


def _remove_unless_held(path: Path, lock: Path) -> None:
    """Remove a checkpoint and its lock if no view holds the lock."""
    try:
        with lock.open("r") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(path, ignore_errors=True)
            lock.unlink()
    except OSError:  # held (BlockingIOError), or gone
        return
