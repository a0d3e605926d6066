"""Nobody waits behind others: long queries cannot take all the capacity (a query that
holds the last free serving process is kept short), and kept-alive clients do not hold
off new ones."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from bench.measure import throughput
from tests.live import LiveServer, OxigraphServer, counting, sized_for
from tests.test_guard import ENDLESS

pytestmark = [pytest.mark.server, pytest.mark.timed]
JSON = {"Accept": "application/sparql-results+json"}
#: The time limit of the servers whose long queries must outlive the short limit.
LONG = "8"


@pytest.fixture(scope="module")
def fair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose queries may run 8 s, with three serving processes (the default
    on two cores), whatever the machine's cores. 8 s is long enough for the two long
    queries to outlive a third stopped at the short limit of 1 s."""
    env = {
        "CIVICGRAPH_QUERY_TIMEOUT": LONG,
        "CIVICGRAPH_LOAD_BUNDLED": "false",
        "CIVICGRAPH_WORKERS": "2",
    }
    server = LiveServer(tmp_path_factory.mktemp("fair") / "store", env).start()
    yield server
    server.stop()


@pytest.fixture
def fair_remote(tmp_path: Path) -> Iterator[LiveServer]:
    """The same over a remote store of its own, with as many serving processes; both
    stop after the test, with the queries the store still evaluates for clients that
    left (they would take the cores from the tests after it)."""
    folder = tmp_path
    remote = OxigraphServer(folder / "oxigraph").start()
    env = {
        "CIVICGRAPH_QUERY_TIMEOUT": LONG,
        "CIVICGRAPH_LOAD_BUNDLED": "false",
        "CIVICGRAPH_STORE": remote.query_url,
        "CIVICGRAPH_WORKERS": "2",
    }
    server = LiveServer(folder / "store", env).start()
    yield server
    server.stop()
    remote.stop()


def _endless(server: LiveServer, answers: list[int]) -> None:
    response = requests.get(
        f"{server.url}/sparql", params={"query": ENDLESS}, headers=JSON, timeout=60
    )
    answers.append(response.status_code)


@pytest.mark.parametrize("served", ["fair", "fair_remote"])
def test_a_cheap_query_answers_at_once_while_two_clients_run_long_ones(
    served: str, request: pytest.FixtureRequest
) -> None:
    fair: LiveServer = request.getfixturevalue(served)
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


#: A query of about a millisecond (ten thousand rows counted), whatever the store holds.
_MILLISECOND = (
    "SELECT (COUNT(*) AS ?n) WHERE { "
    + " ".join(f"VALUES ?v{i} {{ 0 1 2 3 4 5 6 7 8 9 }}" for i in range(4))
    + " }"
)


#: Two serving processes, and queries that may run 3 s.
PAIR = {
    "CIVICGRAPH_QUERY_TIMEOUT": "3",
    "CIVICGRAPH_LOAD_BUNDLED": "false",
    "CIVICGRAPH_WORKERS": "1",
}


def test_a_long_query_beside_a_kept_connection_of_queries_back_to_back_is_kept_short(
    start_server: Callable[..., LiveServer],
) -> None:
    """The other process answers a kept connection's queries of a few tenths of a second
    one after another: never free, so the endless query that began beside them is
    stopped at the short limit, and told the server is busy."""
    pair, tenths = start_server(PAIR), counting(sized_for(0.3))
    stop, answered = threading.Event(), threading.Event()

    def back_to_back() -> None:
        with requests.Session() as kept:
            while not stop.is_set():
                kept.get(f"{pair.url}/sparql", params={"query": tenths}, headers=JSON, timeout=30)
                answered.set()

    sender = threading.Thread(target=back_to_back)
    sender.start()
    time.sleep(0.5)  # the kept connection's queries are under way
    # Sent in the milliseconds between two of them, the endless query would not begin
    # on the last free process, and would keep its full limit (decided as it begins).
    answered.clear()
    assert answered.wait(10)
    time.sleep(0.05)
    started = time.monotonic()
    endless = requests.get(
        f"{pair.url}/sparql", params={"query": ENDLESS}, headers=JSON, timeout=30
    )
    waited = time.monotonic() - started
    stop.set()
    sender.join()
    assert endless.status_code == 503
    assert endless.json()["error"] == "Server busy"
    assert waited < 2.0


def test_a_long_query_that_began_beside_a_short_one_runs_its_full_limit(
    start_server: Callable[..., LiveServer],
) -> None:
    """The endless query begins while the other process counts for a few tenths of a
    second: it began on the last free process, but another is free long before the
    short limit, so it is stopped at the time limit, and told so."""
    pair, tenths = start_server(PAIR), counting(sized_for(0.3))
    short_one: list[int] = []
    beside = threading.Thread(
        target=lambda: short_one.append(
            requests.get(
                f"{pair.url}/sparql", params={"query": tenths}, headers=JSON, timeout=30
            ).status_code
        )
    )
    beside.start()
    time.sleep(0.1)  # the count is under way in one process
    started = time.monotonic()
    endless = requests.get(
        f"{pair.url}/sparql", params={"query": ENDLESS}, headers=JSON, timeout=30
    )
    waited = time.monotonic() - started
    beside.join()
    assert short_one == [200]
    assert endless.status_code == 503
    assert endless.json()["error"] == "Query time limit"
    assert 2.9 < waited < 4.5


def _fresh_connection_answer(server: LiveServer) -> float:
    """Seconds for ``ASK {}`` on a new connection, from connecting to the last byte."""
    request = f"GET /sparql?{urlencode({'query': 'ASK {}'})} HTTP/1.1\r\nHost: x\r\n"
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(f"{request}Accept: {JSON['Accept']}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while data := sock.recv(65536):
            answer += data
    assert answer.startswith(b"HTTP/1.1 200")
    return time.monotonic() - started


def test_a_new_client_is_answered_at_once_while_kept_clients_send_back_to_back(
    fair: LiveServer,
) -> None:
    """Each serving process takes a waiting new connection after each kept one it
    serves; otherwise 8 kept-alive clients held new ones off for up to two seconds."""
    waits: list[float] = []

    def newcomers() -> None:
        time.sleep(1.0)  # the 8 clients are sending by then
        while len(waits) < 20:
            waits.append(_fresh_connection_answer(fair))

    thread = threading.Thread(target=newcomers)
    thread.start()
    kept = throughput(fair.port, "/sparql", _MILLISECOND, seconds=6.0)
    thread.join()
    assert kept.answered > 500
    assert max(waits) < 1.0
