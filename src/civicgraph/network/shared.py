"""The compact network in files beside the store: built once per version, mapped by all.

Every serving process of ``civicgraph serve`` used to build its own projection of the
whole graph. Now the first process that needs a dataset version's network takes a
lock file, builds the arrays (in a helper process, so the builder's peak memory
leaves with it) and writes them as ``.npy`` files into a folder that appears whole
by one rename; every process, the builder included, maps those files read-only
(``np.load(mmap_mode="r")``), so the pages are shared. Processes that find the lock
taken wait for it (the request itself waits only as its ``WaitPolicy`` allows) and
then map the finished folder. A new version's folder replaces the older ones.

Results computed later on a version (centrality measures, communities) are kept in
the same folder the same way, so one process computes them and the others read them.

The folder is ``<store>-network/<version>-<options>/``, beside the store as the
version log is. An in-memory or remote store has no directory: its one serving
process builds and holds the arrays itself.
"""

import fcntl
import json
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

#: The file that marks a version's folder as complete, and says who built it when.
META: Final = "meta.json"


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
    """Hold an exclusive lock on ``path`` (waiting for it); the kernel frees it on exit."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save(arrays: dict[str, NDArray[Any]], folder: Path, **meta: object) -> None:
    """Write arrays as ``.npy`` files and the meta file last, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, values in arrays.items():
        np.save(folder / f"{name}.npy", values, allow_pickle=False)
    built = {"built_by": os.getpid(), "built_at": time.time(), **meta}
    (folder / META).write_text(json.dumps(built), encoding="utf-8")


def mapped(folder: Path) -> Compact:
    """The arrays of a finished folder, mapped read-only."""
    files = (p for p in sorted(folder.glob("*.npy")) if "." not in p.stem)
    return Compact({p.stem: _plain(np.load(p, mmap_mode="r")) for p in files})


def _plain(values: NDArray[Any]) -> NDArray[Any]:
    """The same mapped pages as a plain array: ``np.memmap`` costs microseconds per index."""
    return values.view(np.ndarray)


def meta(folder: Path) -> dict[str, Any]:
    """What the meta file of a finished folder says."""
    found: dict[str, Any] = json.loads((folder / META).read_text(encoding="utf-8"))
    return found


def _in_child(work: Callable[..., None], *args: object) -> None:
    """Run ``work(*args)`` in a fresh process; its memory is returned when it exits."""
    child = multiprocessing.get_context("spawn").Process(target=work, args=args, daemon=True)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise StoreError(f"Building the network failed in its helper process ({child.exitcode})")


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
        scratch = self.root / f".{folder.name}.{os.getpid()}.tmp"
        shutil.rmtree(scratch, ignore_errors=True)
        if child:
            _in_child(build, scratch)
        else:
            build(scratch)
        os.rename(scratch, folder)
        self._prune(folder.name)

    def _prune(self, kept: str) -> None:
        """Remove older versions' folders and locks (processes mapping them keep their pages)."""
        for path in self.root.iterdir():
            if path.name in (kept, f"{kept}.lock") or path.name.endswith(".tmp"):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def array(self, key: str, name: str, compute: Callable[[], NDArray[Any]]) -> NDArray[Any]:
        """A result kept beside model ``key``: computed once by one process, read by all."""
        folder = self.root / key
        path = folder / f"{name}.result.npy"
        try:
            if not path.exists():
                with locked(self.root / f"{key}.lock"):
                    if not path.exists():
                        self._keep(path, compute())
            found: NDArray[Any] = _plain(np.load(path, mmap_mode="r"))
        except FileNotFoundError:  # a newer version replaced this one meanwhile
            found = compute()
        return found

    @staticmethod
    def _keep(path: Path, values: NDArray[Any]) -> None:
        scratch = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npy")
        np.save(scratch, values, allow_pickle=False)
        os.replace(scratch, path)
