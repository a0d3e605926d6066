"""Fixtures for the security tests: one writable application shared by the session."""

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from civicgraph.config import Settings
from civicgraph.webapp import create_app

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
