"""Fixtures built from the real factory and the real store, as small as possible."""

import io
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from civicgraph.config import Settings, from_env
from civicgraph.dataset.loader import load_bundled, load_file
from civicgraph.formats import by_name
from civicgraph.store import EmbeddedStore, GraphStore, RemoteStore
from civicgraph.webapp import create_app
from tests.live import NETWORK_WAIT, LiveServer, OxigraphServer, VirtuosoServer

DATA = Path(__file__).parent / "data"
#: The workbench fixtures: a small ontology, entities with evidence, hostile labels.
WORKBENCH_FILES = tuple(DATA / "workbench" / f"{n}.ttl" for n in ("ontology", "data", "hostile"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Heavy tests first: run in parallel, the longest ones started last held the whole
    run at its end while the other workers had nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("heavy") is None)


@pytest.fixture
def data_dir() -> Path:
    """The folder of small test fixtures."""
    return DATA


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """One real ``oxigraph serve`` for the whole session; tests clear it before use."""
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph") / "db").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """One real Virtuoso for the whole session; tests clear it before use."""
    if shutil.which("virtuoso-t") is None:
        pytest.fail("virtuoso-t is missing: `make virtuoso` installs virtuoso-opensource-7-bin")
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso")).start()
    yield server
    server.stop()


#: The SPARQL servers every remote-store test runs against.
REMOTE_SERVERS = ("oxigraph", "virtuoso")


def remote_settings(request: pytest.FixtureRequest, server: str, **changes: Any) -> Settings:
    """Settings for civicgraph over one of the session's servers, emptied first."""
    running: OxigraphServer | VirtuosoServer = request.getfixturevalue(f"{server}_server")
    running.clear()
    if isinstance(running, OxigraphServer):
        return Settings(store=running.query_url, **changes)
    return from_env(running.env).with_overrides(**changes)


@pytest.fixture(params=REMOTE_SERVERS)
def remote_store(request: pytest.FixtureRequest) -> Iterator[RemoteStore]:
    """A remote store over each of the session's servers, emptied first."""
    opened = RemoteStore(remote_settings(request, request.param, query_timeout=10))
    yield opened
    opened.close()


#: The backends the app's read paths (entity pages, network API) are checked over.
APP_BACKENDS = ("memory", *REMOTE_SERVERS)


@contextmanager
def app_over(
    request: pytest.FixtureRequest, backend: str, files: Sequence[Path], **changes: Any
) -> Iterator[Flask]:
    """The app over an in-memory store or a remote server, holding only ``files``."""
    changes.setdefault("network_wait", NETWORK_WAIT)
    settings = Settings(store="memory", load_bundled=False, **changes)
    store: GraphStore = EmbeddedStore()
    if backend in REMOTE_SERVERS:
        settings = remote_settings(request, backend, load_bundled=False, **changes)
        store = RemoteStore(settings)
    for path in files:
        load_file(store, path)
    yield create_app(settings, store=store)
    store.close()


@pytest.fixture(params=["memory", "disk", *REMOTE_SERVERS])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """Every backend: embedded in memory and on disk, and each remote server."""
    if request.param in REMOTE_SERVERS:
        opened = RemoteStore(remote_settings(request, request.param, query_timeout=10))
        yield opened
        opened.close()
        return
    opened = EmbeddedStore() if request.param == "memory" else EmbeddedStore(tmp_path / "store")
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def bundled_store() -> Iterator[GraphStore]:
    """An in-memory store holding the bundled ontology and data, loaded by the loader.

    Shared by every test that only reads; a test that writes must use ``store``.
    """
    opened = EmbeddedStore()
    load_bundled(opened)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def bundled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store holding the bundled data, closed, for CLI runs that only read."""
    path = tmp_path_factory.mktemp("bundled") / "store"
    store = EmbeddedStore(path)
    load_bundled(store)
    store.close()
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an app over an on-disk store in a temporary folder."""
    return Settings(store=str(tmp_path / "store"), network_wait=NETWORK_WAIT)


@pytest.fixture(scope="session")
def app_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder in which the app loaded the bundled data into its store, closed: the
    store with what the app keeps beside it (its version log, its network)."""
    folder = tmp_path_factory.mktemp("app")
    settings = Settings(store=str(folder / "store"), network_wait=NETWORK_WAIT)
    create_app(settings).extensions["civicgraph"].store.close()
    return folder


def _app_over_copy(settings: Settings, app_folder: Path) -> Iterator[Flask]:
    """The application over a copy of ``app_folder``, where ``settings`` keep the store,
    closed after use: the app opens it in a fifth of the time a load takes."""
    shutil.copytree(app_folder, Path(settings.store).parent, dirs_exist_ok=True)
    application = create_app(settings)
    yield application
    application.extensions["civicgraph"].store.close()


@pytest.fixture
def app(settings: Settings, app_folder: Path) -> Iterator[Flask]:
    """The application over a store holding the bundled data, for one test."""
    yield from _app_over_copy(settings, app_folder)


@pytest.fixture(scope="module")
def read_app(tmp_path_factory: pytest.TempPathFactory, app_folder: Path) -> Iterator[Flask]:
    """One application over the bundled data for a module's tests that only read through
    it and change none of its settings: each app starts a query child (half a second of
    CPU) for its first query."""
    folder = tmp_path_factory.mktemp("read-app")
    yield from _app_over_copy(
        Settings(store=str(folder / "store"), network_wait=NETWORK_WAIT), app_folder
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the application."""
    return app.test_client()


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner whose default store is a temporary folder."""
    monkeypatch.setenv("CIVICGRAPH_STORE", str(tmp_path / "cli-store"))
    return CliRunner()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One read-only server over the bundled data, shared by the tests that only read."""
    server = LiveServer(tmp_path_factory.mktemp("live") / "store").start()
    yield server
    server.stop()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start servers with their own store and settings (``env``), stopped after the test."""
    started: list[LiveServer] = []

    def start(env: dict[str, str] | None = None, store: Path | None = None) -> LiveServer:
        server = LiveServer(store or tmp_path / f"store{len(started)}", env or {}).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def load_workbench(store: GraphStore) -> GraphStore:
    """Fill a store with the workbench fixtures, one named graph per file."""
    for path in WORKBENCH_FILES:
        load_file(store, path)
    return store


def client_over(store: GraphStore, **changes: Any) -> FlaskClient:
    """A test client of the app over ``store``, in memory, without the bundled data."""
    settings = Settings(store="memory", load_bundled=False, network_wait=NETWORK_WAIT, **changes)
    return create_app(settings, store=store).test_client()


@pytest.fixture(scope="session")
def workbench_quads() -> bytes:
    """The workbench fixtures as the loader stores them (load records included), as
    N-Quads: a copy is made in one load, where the loader's records take a child
    process each to check."""
    store, out = load_workbench(EmbeddedStore()), io.BytesIO()
    store.dump(out, by_name("nquads"))
    store.close()
    return out.getvalue()


@pytest.fixture
def workbench_client(workbench_quads: bytes) -> Iterator[FlaskClient]:
    """A test client over an in-memory store holding only the workbench fixtures."""
    store = EmbeddedStore()
    store.load(workbench_quads, by_name("nquads"), None)
    yield client_over(store)
    store.close()


@pytest.fixture(scope="session")
def workbench_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server over the workbench fixtures (loaded before it starts), read-only."""
    path = tmp_path_factory.mktemp("workbench") / "store"
    load_workbench(EmbeddedStore(path)).close()
    server = LiveServer(path, {"CIVICGRAPH_LOAD_BUNDLED": "false"}).start()
    yield server
    server.stop()


#: The write token of ``writable_server``.
WRITE_TOKEN = "test-write-token"
#: The graph ``writable_server`` holds ``tests/data/small.ttl`` in.
SMALL_GRAPH = "https://w3id.org/civicgraph/graph/small"


@pytest.fixture(scope="session")
def writable_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server that accepts writes with ``WRITE_TOKEN``, holding ``small.ttl``.

    Tests that write use graphs of their own, so they do not disturb each other.
    """
    env = {"CIVICGRAPH_WRITE_TOKEN": WRITE_TOKEN}
    server = LiveServer(tmp_path_factory.mktemp("writable") / "store", env).start()
    response = requests.put(
        f"{server.url}/store",
        params={"graph": SMALL_GRAPH},
        data=(DATA / "small.ttl").read_bytes(),
        headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {WRITE_TOKEN}"},
        timeout=10,
    )
    response.raise_for_status()
    yield server
    server.stop()
