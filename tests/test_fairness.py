"""Long queries cannot take all the capacity: the last free query worker is kept short."""

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from tests.live import LiveServer
from tests.test_guard import ENDLESS

pytestmark = pytest.mark.server
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def fair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose queries may run 20 s, with the default serving processes."""
    env = {"CIVICGRAPH_QUERY_TIMEOUT": "20", "CIVICGRAPH_LOAD_BUNDLED": "false"}
    server = LiveServer(tmp_path_factory.mktemp("fair") / "store", env).start()
    yield server
    server.stop()


def _endless(server: LiveServer, answers: list[int]) -> None:
    response = requests.get(
        f"{server.url}/sparql", params={"query": ENDLESS}, headers=JSON, timeout=60
    )
    answers.append(response.status_code)


def test_a_cheap_query_answers_at_once_while_two_clients_run_long_ones(fair: LiveServer) -> None:
    answers: list[int] = []
    long_ones = [threading.Thread(target=_endless, args=(fair, answers)) for _ in range(2)]
    for thread in long_ones:
        thread.start()
        time.sleep(0.5)
    started = time.monotonic()
    cheap = requests.get(f"{fair.url}/sparql", params={"query": "ASK {}"}, headers=JSON, timeout=30)
    waited = time.monotonic() - started
    third = requests.get(f"{fair.url}/sparql", params={"query": ENDLESS}, headers=JSON, timeout=30)
    still_running = [t.is_alive() for t in long_ones]
    for thread in long_ones:
        thread.join()
    assert cheap.status_code == 200
    assert waited < 1.0
    assert third.status_code == 503
    assert "busy" in third.json()["detail"]
    assert still_running == [True, True]
    assert answers == [503, 503]
