"""What every command shares: the ``--store`` option, settings, and opening the store."""

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click

from civicgraph.config import Settings, from_env
from civicgraph.store import GraphStore, open_store

F = TypeVar("F", bound=Callable[..., Any])


def store_option(func: F) -> F:
    """Add ``--store`` (also ``CIVICGRAPH_STORE``) to a command."""
    return click.option(
        "--store",
        "store",
        default=None,
        metavar="DIR|memory|URL",
        help="Store directory, 'memory', or a SPARQL query URL [default: var/store].",
    )(func)


def settings_for(**overrides: Any) -> Settings:
    """Settings from the environment, with command-line flags taking precedence."""
    return from_env().with_overrides(**overrides)


@contextmanager
def opened_store(settings: Settings) -> Iterator[GraphStore]:
    """Open the configured store for one command and always release it."""
    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """Write ``path`` whole or not at all: a temporary file beside it, renamed at the end.

    A command that fails half-way (a query error, a lost server, Ctrl-C) leaves the
    previous file, or no file, never a truncated one.
    """
    folder = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
