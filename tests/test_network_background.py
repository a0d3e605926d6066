"""The network is prepared in the background: building, ready, rebuilt on new data."""

import threading
from collections.abc import Iterator

import networkx as nx
import pytest
from flask.testing import FlaskClient

from civicgraph.config import Settings
from civicgraph.dataset.loader import load_file
from civicgraph.errors import PreparingError, StoreError
from civicgraph.network import NetworkExplorer
from civicgraph.network.background import Report, Tasks, WaitPolicy
from civicgraph.network.projection import ProjectionOptions
from civicgraph.store import EmbeddedStore, GraphStore
from civicgraph.webapp import create_app
from civicgraph.webapp.graph import attach
from tests.conftest import WRITE_TOKEN as TOKEN
from tests.netgate import GATE_LIMIT, Gate
from tests.test_network import ALICE, FIXTURE
from tests.test_network_web import HOSTILE

MALLORY = "https://w3id.org/civicgraph/id/person/mallory"
NOW = WaitPolicy(wait=0.0, retry_after=7)


@pytest.fixture
def fixture_store() -> Iterator[EmbeddedStore]:
    """An in-memory store holding the network fixture."""
    store = EmbeddedStore()
    load_file(store, FIXTURE)
    yield store
    store.close()


@pytest.fixture
def gate() -> Iterator[Gate]:
    """A gated builder, released at the end so no build thread outlives the test."""
    opened = Gate()
    yield opened
    opened.release()


def test_request_during_build_is_told_to_come_back(
    fixture_store: EmbeddedStore, gate: Gate
) -> None:
    explorer = NetworkExplorer(fixture_store, patience=NOW, builder=gate.build)
    explorer.warm()
    assert gate.reached.wait(GATE_LIMIT)
    with pytest.raises(PreparingError) as caught:
        explorer.projection()
    assert (caught.value.retry_after, caught.value.stage, caught.value.percent) == (
        7,
        "reading entities",
        50,
    )


def test_projection_is_ready_once_the_build_ends(fixture_store: EmbeddedStore, gate: Gate) -> None:
    explorer = NetworkExplorer(fixture_store, patience=NOW, builder=gate.build)
    task = explorer.warm()
    gate.release()
    assert task.wait(GATE_LIMIT)
    assert ALICE in explorer.projection().graph


def test_new_data_start_a_new_build(fixture_store: EmbeddedStore, gate: Gate) -> None:
    explorer = NetworkExplorer(fixture_store, patience=NOW, builder=gate.build)
    gate.release()
    explorer.warm().wait(GATE_LIMIT)
    load_file(fixture_store, HOSTILE)
    assert explorer.warm().wait(GATE_LIMIT)
    assert (gate.builds, MALLORY in explorer.projection().graph) == (2, True)


def test_warm_ups_during_a_build_start_none_beside_it(
    fixture_store: EmbeddedStore, gate: Gate
) -> None:
    """A burst of writes, each warming up the network, builds once at a time."""
    explorer = NetworkExplorer(fixture_store, patience=NOW, builder=gate.build)
    first = explorer.warm()
    assert gate.reached.wait(GATE_LIMIT)
    load_file(fixture_store, HOSTILE)
    assert [explorer.warm() is first for _ in range(3)] == [True] * 3
    gate.release()
    assert first.wait(GATE_LIMIT)
    assert gate.builds == 1
    assert explorer.warm().wait(GATE_LIMIT)  # once it ended, for the data as they are now
    assert (gate.builds, MALLORY in explorer.projection().graph) == (2, True)


def test_same_version_is_built_once(fixture_store: EmbeddedStore, gate: Gate) -> None:
    explorer = NetworkExplorer(fixture_store, patience=NOW, builder=gate.build)
    first = explorer.warm()
    assert explorer.warm() is first


def test_failed_build_is_reported_then_retried(fixture_store: EmbeddedStore) -> None:
    calls: list[int] = []

    def failing(store: GraphStore, options: ProjectionOptions, report: Report) -> nx.MultiDiGraph:
        calls.append(1)
        raise StoreError("broken store")

    explorer = NetworkExplorer(fixture_store, builder=failing)
    for _ in range(2):
        with pytest.raises(StoreError):
            explorer.projection()
    assert len(calls) == 2


def test_slow_analytics_answer_preparing_until_done() -> None:
    opened = threading.Event()
    tasks = Tasks(NOW)
    with pytest.raises(PreparingError, match="betweenness ranking"):
        tasks.get("measure", "betweenness ranking", lambda _: opened.wait(GATE_LIMIT))
    opened.set()
    tasks.patience = WaitPolicy(wait=GATE_LIMIT)
    assert tasks.get("measure", "betweenness ranking", lambda _: False) is True


@pytest.fixture
def preparing_client(fixture_store: EmbeddedStore, gate: Gate) -> FlaskClient:
    """A client of an app whose network build waits at the gate; requests do not wait."""
    settings = Settings(store="memory", load_bundled=False, network_wait=0.0)
    app = create_app(settings, store=fixture_store)
    attach(app, gate.build)
    assert gate.reached.wait(GATE_LIMIT)
    return app.test_client()


def test_api_during_build_answers_503_with_retry_after(preparing_client: FlaskClient) -> None:
    response = preparing_client.get("/api/graph")
    body = response.get_json()
    assert (response.status_code, response.headers["Retry-After"]) == (503, "3")
    assert (body["error"], body["stage"], body["percent"]) == ("Preparing", "reading entities", 50)


@pytest.mark.parametrize(
    "path", ["/api/path?from=person/alice&to=org/agency", "/api/metrics", "/api/communities"]
)
def test_every_network_api_answers_503_during_build(
    preparing_client: FlaskClient, path: str
) -> None:
    assert preparing_client.get(path).status_code == 503


def test_page_during_build_shows_the_preparing_notice(preparing_client: FlaskClient) -> None:
    response = preparing_client.get("/graph", headers={"Accept": "text/html"})
    text = response.get_data(as_text=True)
    assert (response.status_code, 'id="graph-preparing"' in text, "Reload" in text) == (
        503,
        True,
        True,
    )


def test_an_entity_page_answers_without_waiting_for_the_network(
    fixture_store: EmbeddedStore, gate: Gate
) -> None:
    """The page only mentions the network (a drawing and a link, for kinds the network
    draws): it answered only once the build had ended, up to the network's patience."""
    settings = Settings(store="memory", load_bundled=False, network_wait=GATE_LIMIT)
    app = create_app(settings, store=fixture_store)
    attach(app, gate.build, warm=False)
    opener = threading.Timer(10.0, gate.release)  # the old page waited until this
    opener.start()
    try:
        page = app.test_client().get("/id/person/alice", headers={"Accept": "text/html"})
        answered_first = not gate.opened.is_set()
    finally:
        opener.cancel()
    assert answered_first
    assert (page.status_code, 'id="ego-network"' in page.get_data(as_text=True)) == (200, True)
    assert gate.reached.wait(GATE_LIMIT)  # the page started the build, for the next visitor


def test_an_entity_page_answers_when_the_network_cannot_be_built(
    fixture_store: EmbeddedStore,
) -> None:
    """The page can do without the network; the failure is for the network's own
    pages to report (the entity page answered the build's error, 503)."""

    def failing(store: GraphStore, options: ProjectionOptions, report: Report) -> nx.MultiDiGraph:
        raise StoreError("broken store")

    settings = Settings(store="memory", load_bundled=False, network_wait=GATE_LIMIT)
    app = create_app(settings, store=fixture_store)
    explorer = attach(app, failing, warm=False)
    client = app.test_client()
    first = client.get("/id/person/alice", headers={"Accept": "text/html"})
    assert explorer.warm().wait(GATE_LIMIT)  # the build the page started, failed
    again = client.get("/id/person/alice", headers={"Accept": "text/html"})
    assert (first.status_code, again.status_code) == (200, 200)
    with pytest.raises(StoreError):
        explorer.projection()


def test_a_write_starts_building_the_new_version(fixture_store: EmbeddedStore, gate: Gate) -> None:
    settings = Settings(store="memory", load_bundled=False, write_token=TOKEN)
    app = create_app(settings, store=fixture_store)
    gate.release()
    attach(app, gate.build).warm().wait(GATE_LIMIT)
    app.test_client().post(
        "/update",
        data=f"INSERT DATA {{ <{MALLORY}> a <https://w3id.org/civicgraph/ontology#Person> }}",
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
    )
    assert gate.rebuilt.wait(GATE_LIMIT)
