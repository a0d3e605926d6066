"""While the network is built the page says so, then draws by itself once it is ready."""

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import BaseWSGIServer, make_server

from civicgraph.config import Settings
from civicgraph.dataset.loader import load_file
from civicgraph.store import EmbeddedStore
from civicgraph.webapp import create_app
from civicgraph.webapp.graph import attach
from tests.netgate import Gate
from tests.test_network import FIXTURE

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture
def gate() -> Iterator[Gate]:
    """The gate the server's network build waits at."""
    opened = Gate()
    yield opened
    opened.release()


@pytest.fixture
def slow_server(gate: Gate) -> Iterator[BaseWSGIServer]:
    """An in-process server (so the test can hold its build) over the network fixture."""
    store = EmbeddedStore()
    load_file(store, FIXTURE)
    app = create_app(Settings(store="memory", load_bundled=False, network_wait=0.0), store=store)
    attach(app, gate.build)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()
    store.close()


def test_page_shows_progress_then_draws_once_ready(
    page: Page, slow_server: BaseWSGIServer, gate: Gate
) -> None:
    page.goto(f"http://127.0.0.1:{slow_server.server_port}/graph")
    # The page may come before the build reports its stage; a poll then shows it.
    expect(page.locator("#graph-progress")).to_contain_text("reading entities", timeout=15_000)
    gate.release()
    page.wait_for_selector("#graph-canvas[data-stabilized='true']", timeout=30_000)
    assert int(page.get_attribute("#graph-canvas", "data-node-count") or "0") > 0
