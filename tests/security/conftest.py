"""Fixtures for the security tests: one writable application shared by the session."""

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from civicgraph.config import Settings
from civicgraph.webapp import create_app
from tests.live import LiveServer, OxigraphServer
from tests.security.listener import Listener

TOKEN = "correct-horse-battery-staple-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="session")
def secure_app() -> Iterator[Flask]:
    """The application over an in-memory store with the bundled data, writes enabled."""
    application = create_app(Settings(store="memory", write_token=TOKEN))
    yield application
    application.extensions["civicgraph"].store.close()


@pytest.fixture
def secure_client(secure_app: Flask) -> FlaskClient:
    """A test client of the shared writable application."""
    return secure_app.test_client()


#: Limits small enough to reach in a test, large enough for the bundled data.
GUARDED_ENV = {
    "CIVICGRAPH_WRITE_TOKEN": TOKEN,
    "CIVICGRAPH_UPLOAD_LIMIT": str(100_000),
    "CIVICGRAPH_QUERY_BODY_LIMIT": str(10_000),
    "CIVICGRAPH_QUERY_TIMEOUT": "3",
    "CIVICGRAPH_BODY_TIMEOUT": "2",
    "CIVICGRAPH_MEMORY_BUDGET": str(256 * 1024 * 1024),
}


@pytest.fixture(scope="session")
def guarded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server with writes on and small limits, shared by the tests that probe them."""
    server = LiveServer(tmp_path_factory.mktemp("guarded") / "store", GUARDED_ENV).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def remote_served(
    tmp_path_factory: pytest.TempPathFactory, oxigraph_server: OxigraphServer
) -> Iterator[LiveServer]:
    """A real server over a remote store (the session's ``oxigraph serve``)."""
    env = {"CIVICGRAPH_STORE": oxigraph_server.query_url, "CIVICGRAPH_LOAD_BUNDLED": "false"}
    server = LiveServer(tmp_path_factory.mktemp("remote") / "store", env).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Like ``guarded_server`` but with the default memory budget, for the load test.

    The load test is about concurrency and the time limit; a small memory budget there
    would make ordinary page queries fail whenever a worker's own footprint has grown.
    """
    env = {k: v for k, v in GUARDED_ENV.items() if k != "CIVICGRAPH_MEMORY_BUDGET"}
    server = LiveServer(tmp_path_factory.mktemp("busy") / "store", env).start()
    yield server
    server.stop()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A fresh listener on the host's loopback, which must have seen nothing at the end."""
    opened = Listener()
    yield opened
    opened.close()
    assert opened.seen == []
