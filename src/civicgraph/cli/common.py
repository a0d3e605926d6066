"""What every command shares: the ``--store`` option, settings, and opening the store."""

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click

from civicgraph.config import Settings, from_env
from civicgraph.errors import EmptyStoreError, StoreLockedError
from civicgraph.store import MEMORY, GraphStore, open_store
from civicgraph.store.results import AskResult

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
    return _with_civicgraph_endpoints(from_env().with_overrides(**overrides))


def _with_civicgraph_endpoints(settings: Settings) -> Settings:
    """Name ``/update`` and ``/store`` of a civicgraph server given by its ``/sparql`` URL.

    Other servers that answer at ``/sparql`` (Virtuoso, Neptune) take updates there
    too, so the layout is only assumed once the server's ``/index.json`` shows it
    is civicgraph; URLs set explicitly always win.
    """
    query = settings.store
    if not settings.is_remote or not query.endswith("/sparql"):
        return settings
    if settings.store_update_url and settings.store_gsp_url:
        return settings
    base = query.removesuffix("/sparql")
    if not _is_civicgraph(base):
        return settings
    return settings.with_overrides(
        store_update_url=settings.store_update_url or f"{base}/update",
        store_gsp_url=settings.store_gsp_url or f"{base}/store",
    )


def _is_civicgraph(base: str) -> bool:
    # Imported here: an HTTP client is a seventh of a second that only a remote store needs.
    import requests  # noqa: PLC0415

    try:
        answer = requests.get(f"{base}/index.json", timeout=5)
        found = answer.json() if answer.ok else None
    except (requests.RequestException, ValueError):
        return False
    return isinstance(found, dict) and {"version", "classes", "graphs"} <= set(found)


#: An ASK that is true as soon as any graph holds a triple.
_ANY_TRIPLE = "ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


def served_url_file(store: str) -> Path:
    """Where ``civicgraph serve`` notes its endpoint beside an on-disk store."""
    path = Path(store)
    return path.with_name(path.name + ".server-url")


def _endpoint_serving(settings: Settings) -> str:
    """The SPARQL URL of the server holding the store: noted by ``serve``, or the default."""
    noted = served_url_file(settings.store)
    if noted.is_file():
        return noted.read_text(encoding="utf-8").strip()
    return f"http://{settings.host}:{settings.port}/sparql"


def _open(settings: Settings) -> GraphStore:
    try:
        return open_store(settings)
    except StoreLockedError as exc:
        raise StoreLockedError(exc.path, _endpoint_serving(settings)) from exc


@contextmanager
def opened_store(settings: Settings, *, reading: bool = False) -> Iterator[GraphStore]:
    """Open the configured store for one command and always release it.

    A command that only reads (``reading``) refuses a store that does not exist or
    holds nothing, saying how to fill it, instead of creating an empty store in the
    current folder and answering from it.
    """
    local = not settings.is_remote and settings.store != MEMORY
    if reading and local and not Path(settings.store).exists():
        raise EmptyStoreError(settings.store)
    store = _open(settings)
    try:
        if reading and not _holds_data(store):
            raise EmptyStoreError(settings.store)
        yield store
    finally:
        store.close()


def _holds_data(store: GraphStore) -> bool:
    answer = store.query(_ANY_TRIPLE)
    return isinstance(answer, AskResult) and answer.value


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """Write ``path`` whole or not at all: a temporary file beside it, renamed at the end.

    A command that fails half-way (a query error, a lost server, Ctrl-C) leaves the
    previous file, or no file, never a truncated one.
    """
    folder = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 would hide the file from others
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
