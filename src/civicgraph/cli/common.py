"""What every command shares: the ``--store`` option, settings, and opening the store."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

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
