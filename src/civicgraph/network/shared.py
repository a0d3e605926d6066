"""The compact network in files beside the store: built once per version, mapped by all.

Every serving process of ``civicgraph serve`` used to build its own projection of the
whole graph. Now the first process that needs a dataset version's network takes a
lock file, builds the arrays (in a helper process, so the builder's peak memory
leaves with it) and writes them as ``.npy`` files into a folder that appears whole
by one rename; every process, the builder included, maps those files read-only
(``np.memmap``), so the pages are shared. Processes that find the lock
taken wait for it (the request itself waits only as its ``WaitPolicy`` allows) and
then map the finished folder. A finished build removes the other versions' folders,
but not one whose lock a process holds or one finished since it began (builds of two
versions may end in either order).

Results computed later on a version (centrality measures, communities) are kept in
the same folder the same way, so one process computes them and the others read them.

The folder is ``<store>-network/<version>-<options>/``, beside the store as the
version log is. An in-memory or remote store has no directory: its one serving
process builds and holds the arrays itself.
"""

import fcntl
import json
import logging
import math
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from civicgraph.errors import StoreError
from civicgraph.network.compact import Compact
from civicgraph.store import GraphStore
from civicgraph.store.embedded import EmbeddedStore
from civicgraph.store.views import ViewStore

_log = logging.getLogger(__name__)

#: The file that marks a version's folder as complete, and says who built it when.
META: Final = "meta.json"
#: The folder's layout: 2 describes each array in a JSON file beside it (1 did not);
#: 3 holds each edge's evidence in full.
LAYOUT: Final = 3


def store_path(store: GraphStore) -> Path | None:
    """The directory of an on-disk store (None for an in-memory or remote one)."""
    if isinstance(store, ViewStore):
        return store.view.path
    if isinstance(store, EmbeddedStore):
        return store.path
    return None


def folder_beside(store: Path) -> Path:
    """Where the network files of the store in directory ``store`` go."""
    return Path(str(store).rstrip("/") + "-network")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (waiting for it); the kernel frees it on exit.

    A build removes an old version's lock file while it holds that lock itself
    (``SharedFiles._prune``); whoever then gets the removed file's lock takes the
    path's anew, so that two processes never each hold a lock of the same name.
    """
    while True:
        with path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if _still_at(handle.fileno(), path):
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                return


def _still_at(fd: int, path: Path) -> bool:
    """Whether the open file ``fd`` is still the one at ``path`` (not removed meanwhile)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (found.st_dev, found.st_ino) == (opened.st_dev, opened.st_ino)


def save(arrays: dict[str, NDArray[Any]], folder: Path, **meta: object) -> None:
    """Write arrays as ``.npy`` files and the meta file last, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, values in arrays.items():
        _write(folder / f"{name}.npy", values)
    built = {"built_by": os.getpid(), "built_at": time.time(), **meta}
    (folder / META).write_text(json.dumps(built), encoding="utf-8")


def mapped(folder: Path) -> Compact:
    """The arrays of a finished folder, mapped read-only."""
    files = (p for p in sorted(folder.glob("*.npy")) if "." not in p.stem)
    return Compact({p.stem: _map(p) for p in files})


def _write(path: Path, values: NDArray[Any]) -> None:
    """Save one array in C order, and its type and shape beside it for ``_map``."""
    values = np.require(values, requirements="C")
    np.save(path, values, allow_pickle=False)
    described = {"dtype": values.dtype.str, "shape": list(values.shape)}
    _description(path).write_text(json.dumps(described), encoding="utf-8")


def _description(path: Path) -> Path:
    """Where the type and shape of the array saved at ``path`` are kept."""
    return path.with_name(f"{path.name}.json")


def _map(path: Path) -> NDArray[Any]:
    """Map a saved array read-only, as a plain array, from its description.

    Not ``np.load``: it reads a file's header with ``ast.literal_eval``, and CPython
    3.11 keeps one AST builder's state for all threads, so a network built in a
    background thread while another thread parsed Python (werkzeug compiles its URL
    rules so) failed now and then with "AST constructor recursion depth mismatch".
    Only the header's length is read from the file, to find where the data starts.
    """
    described = json.loads(_description(path).read_text(encoding="utf-8"))
    dtype, shape = np.dtype(described["dtype"]), tuple(described["shape"])
    size = dtype.itemsize * math.prod(shape)
    if size == 0:  # nothing to map (an empty file cannot be)
        empty = np.empty(shape, dtype)
        empty.flags.writeable = False
        return empty
    offset = _data_offset(path)
    if offset + size != path.stat().st_size:
        raise StoreError(f"The network file {path} is damaged; remove {path.parent} to rebuild it")
    return _plain(np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape))


def _data_offset(path: Path) -> int:
    """Where a ``.npy`` file's data starts: after its magic, version, and the header
    whose length follows them (two bytes in version 1, four after)."""
    with path.open("rb") as stream:
        try:
            major, _ = np.lib.format.read_magic(stream)
        except ValueError as exc:
            raise StoreError(f"The network file {path} is damaged ({exc})") from exc
        width = 2 if major == 1 else 4
        return stream.tell() + width + int.from_bytes(stream.read(width), "little")


def _plain(values: NDArray[Any]) -> NDArray[Any]:
    """The same mapped pages as a plain array: ``np.memmap`` costs microseconds per index."""
    return values.view(np.ndarray)


def meta(folder: Path) -> dict[str, Any]:
    """What the meta file of a finished folder says."""
    found: dict[str, Any] = json.loads((folder / META).read_text(encoding="utf-8"))
    return found


def _finished_since(folder: Path, began: float) -> bool:
    """Whether a folder's build finished at ``began`` or later (False for a damaged one)."""
    try:
        return float(meta(folder)["built_at"]) >= began
    except (OSError, ValueError, KeyError, TypeError):
        return False


#: How much a build's process lowers its priority: the serving processes' queries come
#: first. A server starting on two cores built its network through the first ten
#: seconds of queries, which took up to twice as long beside it.
NICE: Final = 10


def _in_child(work: Callable[..., None], *args: object) -> None:
    """Run ``work(*args)`` in a fresh process, behind the serving processes (``NICE``);
    its memory is returned when it exits."""
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=_behind, args=(work, *args), daemon=True)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise StoreError(f"Building the network failed in its helper process ({child.exitcode})")


def _behind(work: Callable[..., None], *args: object) -> None:
    """``work(*args)`` at a lower priority (a spawned process imports this by name)."""
    os.nice(NICE)
    work(*args)


class SharedFiles:
    """The folder of one store's network files: build a version once, map it anywhere."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def model(self, key: str, build: Callable[[Path], None], *, child: bool) -> Compact:
        """The model ``key``, building it with ``build(folder)`` unless a process has.

        ``child`` runs the build in a spawned process (``build`` must then be a
        module-level function, as a spawned process imports it by name).
        """
        folder = self.root / key
        if not (folder / META).exists():
            self.root.mkdir(parents=True, exist_ok=True)
            with locked(self.root / f"{key}.lock"):
                if not (folder / META).exists():
                    self._build(folder, build, child)
        return mapped(folder)

    def _build(self, folder: Path, build: Callable[[Path], None], child: bool) -> None:
        """Build into a scratch folder and rename it into place (this key's lock held:
        any other scratch folder of the key is a stopped builder's)."""
        began = time.time()
        for stale in self.root.glob(f".{folder.name}.*.tmp"):
            shutil.rmtree(stale, ignore_errors=True)
        scratch = self.root / f".{folder.name}.{os.getpid()}.tmp"
        try:
            if child:
                _in_child(build, scratch)
            else:
                build(scratch)
            os.rename(scratch, folder)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        try:
            self._prune(folder.name, began)
        except OSError as exc:  # the build is done; what stays is removed by a later one
            _log.warning("Could not remove older network files in %s: %s", self.root, exc)

    def _prune(self, kept: str, began: float) -> None:
        """Remove the other versions' folders and lock files that no process holds
        (processes mapping a folder keep its pages).

        A folder finished after this build began is kept: builds of two versions may
        end in either order, and it may hold the newer one; a later build removes it.
        A held lock is a build or a result under way on that version.
        """
        for path in self.root.iterdir():
            name = path.name
            if name.endswith(".tmp") or name in (kept, f"{kept}.lock"):
                continue
            folder = self.root / name.removesuffix(".lock")
            if path.is_dir() and not _finished_since(path, began):
                self._remove_unless_held(path, began)
            elif name.endswith(".lock") and not folder.exists():
                self._remove_unless_held(folder, began)

    def _remove_unless_held(self, folder: Path, began: float) -> None:
        """Remove a version's folder and lock file, holding its lock; nothing if it is held
        or if, by the time it is taken, a build has finished the folder since ``began``."""
        lock = self.root / f"{folder.name}.lock"
        with lock.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            if _still_at(handle.fileno(), lock) and not _finished_since(folder, began):
                shutil.rmtree(folder, ignore_errors=True)
                lock.unlink(missing_ok=True)

    def array(self, key: str, name: str, compute: Callable[[], NDArray[Any]]) -> NDArray[Any]:
        """A result kept beside model ``key``: computed once by one process, read by all."""
        folder = self.root / key
        path = folder / f"{name}.result.npy"
        try:
            if not path.exists():
                with locked(self.root / f"{key}.lock"):
                    if not folder.exists():  # removed since: compute it once, below
                        raise FileNotFoundError(folder)
                    if not path.exists():
                        self._keep(path, compute())
            found = _map(path)
        except FileNotFoundError:  # a newer version replaced this one meanwhile
            found = compute()
        return found

    @staticmethod
    def _keep(path: Path, values: NDArray[Any]) -> None:
        """Write a result and its description; the array's name appears last."""
        scratch = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npy")
        _write(scratch, values)
        os.replace(_description(scratch), _description(path))
        os.replace(scratch, path)
