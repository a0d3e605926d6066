"""The process model over real HTTP: fairness, the answer byte cap, one writer, views."""

from collections.abc import Iterator

import pytest
import requests

from bench.peers import group_memory
from tests.conftest import WRITE_TOKEN
from tests.live import LiveServer

pytestmark = pytest.mark.server
AUTH = {"Authorization": f"Bearer {WRITE_TOKEN}"}
MIB = 1024 * 1024
BIG = "http://example.org/big"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Two serving processes plus the one kept for fairness, a 6 s limit, writes on."""
    env = {
        "CIVICGRAPH_WORKERS": "2",
        "CIVICGRAPH_QUERY_TIMEOUT": "6",
        "CIVICGRAPH_WRITE_TOKEN": WRITE_TOKEN,
        "CIVICGRAPH_LOAD_BUNDLED": "false",
    }
    live = LiveServer(tmp_path_factory.mktemp("serving") / "store", env).start()
    yield live
    live.stop()


def _put(server: LiveServer, graph: str, turtle: bytes) -> None:
    response = requests.put(
        f"{server.url}/store",
        params={"graph": graph},
        data=turtle,
        headers={**AUTH, "Content-Type": "text/turtle"},
        timeout=30,
    )
    response.raise_for_status()


def test_every_serving_process_sees_a_write_at_once(server: LiveServer) -> None:
    for n in range(6):
        _put(server, "http://example.org/seen", f"<http://a> <http://b> {n} .".encode())
        # Each request is a new connection, taken by whichever process is free.
        for _ in range(4):
            response = requests.get(
                f"{server.url}/sparql",
                params={"query": f"ASK {{ GRAPH <http://example.org/seen> {{ ?s ?p {n} }} }}"},
                timeout=10,
            )
            assert response.json()["boolean"] is True


def test_a_capped_answer_of_long_strings_stays_small_in_the_server(
    server: LiveServer,
) -> None:
    """Ten thousand rows of a 1 MiB literal would be 10 GiB; the byte cap stops at 32 MiB."""
    _put(server, BIG, b'<http://a> <http://b> "' + b"x" * MIB + b'" .')
    assert server.process is not None
    before = group_memory(server.process.pid)
    values = " ".join(map(str, range(10_000)))
    query = f"SELECT ?big ?n {{ GRAPH <{BIG}> {{ ?s ?p ?big }} VALUES ?n {{ {values} }} }}"
    response = requests.post(
        f"{server.url}/sparql",
        data=query,
        headers={"Content-Type": "application/sparql-query"},
        timeout=60,
    )
    grown = group_memory(server.process.pid) - before
    assert response.status_code == 200
    kept = int(response.headers["X-Civicgraph-Truncated"])
    assert 0 < kept < 40
    assert len(response.json()["results"]["bindings"]) == kept
    assert grown < 200 * MIB
