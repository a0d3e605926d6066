"""Backups of an on-disk store that can be taken while the server is serving.

A running server holds the store's write lock, so ``backup`` first tries to open the
store for writing (nothing serves it: a RocksDB checkpoint) and otherwise reads the
server's newest checkpoint of it (``checkpoints.newest_beside``), held while it is
copied: the writer's compactions delete the store's own files under a read-only
opening, and pyoxigraph's count per graph can then read the error without end. A
server that could not publish one leaves the store itself, opened read-only.
Either way the copy is a consistent snapshot, written to a ``.partial`` folder,
counted, and renamed into place only when complete.

``restore`` replaces a store with a backup: the backup is copied beside the store and
swapped in by two renames, so a crash leaves the old store in place, or the new one,
or (between the renames) both beside it as ``.replaced`` and ``.restoring``. It
refuses to replace a store that holds data unless forced, never replaces a folder that
is not a store, and cannot run while a server holds the store.
"""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from civicgraph.errors import StoreError, StoreLockedError, UserInputError
from civicgraph.store import EmbeddedStore
from civicgraph.store.checkpoints import newest_beside
from civicgraph.store.views import open_read_only

#: Where the copy of a store another process holds came from.
Source = Literal["checkpoint", "snapshot"]


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore wrote, and where from if another process held the
    store: its server's newest checkpoint, or a read-only snapshot beside it."""

    path: Path
    quads: int
    held_by_another: Source | None = None


def is_store(path: Path) -> bool:
    """Whether ``path`` holds an on-disk store (RocksDB keeps a ``CURRENT`` file)."""
    return (path / "CURRENT").is_file()


def _is_empty_folder(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _quads(store: EmbeddedStore) -> int:
    return sum(graph.triples for graph in store.graphs())


@contextmanager
def _opened_beside_server(path: Path) -> Iterator[tuple[EmbeddedStore, Source | None]]:
    """The store opened for writing if it is free, else its server's newest checkpoint
    (or, without one, the store read-only); and which of those when it is not free."""
    try:
        store, held = EmbeddedStore(path), None
    except StoreLockedError:
        held = newest_beside(path)
        try:
            store = open_read_only(held.path if held is not None else path)
        except BaseException:
            if held is not None:
                held.release()
            raise
    source: Source | None = None
    if store.read_only:
        source = "checkpoint" if held is not None else "snapshot"
    try:
        yield store, source
    finally:
        store.close()
        if held is not None:
            held.release()


def _count_at(path: Path) -> int:
    copy = EmbeddedStore(path, read_only=True)
    try:
        return _quads(copy)
    finally:
        copy.close()


def backup(store_path: Path, target: Path) -> BackupReport:
    """Write a consistent copy of the store at ``store_path`` to the new folder ``target``."""
    if not is_store(store_path):
        raise UserInputError(f"No store at {store_path}; point --store at the store folder")
    if target.exists() and not _is_empty_folder(target):
        raise UserInputError(f"{target} already exists and is not empty; name a new folder")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with _opened_beside_server(store_path) as (source, held_by_another):
        source.backup(partial)
        expected = _quads(source)
    written = _count_at(partial)
    if written != expected:
        shutil.rmtree(partial, ignore_errors=True)
        raise StoreError(
            f"The copy held {written:,} quads where the store holds {expected:,}; "
            f"nothing was written to {target}. Run the backup again."
        )
    if target.exists():
        target.rmdir()
    partial.rename(target)
    return BackupReport(target, written, held_by_another)


def _check_replaceable(store_path: Path, force: bool) -> None:
    """Refuse to replace a store with data (unless forced), or a folder that is not one."""
    if not store_path.exists() or _is_empty_folder(store_path):
        return
    if not is_store(store_path):
        raise UserInputError(f"{store_path} is not a civicgraph store; it is left alone")
    current = EmbeddedStore(store_path)  # raises StoreLockedError while a server runs
    try:
        held = _quads(current)
    finally:
        current.close()
    if held and not force:
        raise UserInputError(
            f"The store at {store_path} holds {held:,} quads; pass --force to replace them"
        )


def restore(backup_path: Path, store_path: Path, *, force: bool = False) -> BackupReport:
    """Replace the store at ``store_path`` with the backup at ``backup_path``."""
    if not is_store(backup_path):
        raise UserInputError(f"No backup at {backup_path}; name a folder 'backup' wrote")
    quads = _count_at(backup_path)
    _check_replaceable(store_path, force)
    incoming = store_path.with_name(store_path.name + ".restoring")
    replaced = store_path.with_name(store_path.name + ".replaced")
    for leftover in (incoming, replaced):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(backup_path, incoming, ignore=shutil.ignore_patterns("LOCK"))
    if store_path.exists():
        store_path.rename(replaced)
    incoming.rename(store_path)
    shutil.rmtree(replaced, ignore_errors=True)
    return BackupReport(store_path, quads)
