"""Reading the whole store is held to a query's time limit; HEAD writes nothing out.

``GET /store`` and ``/export/download`` write every graph out, seconds per million
triples, for anyone: three such requests at once held every serving process (a
cheap query waited 13.5 s at 650k triples), and ``HEAD`` wrote the store out to send
its headers.
"""

import subprocess
import sys
import time

import pytest
import requests

from tests.live import LiveServer
from tests.security.bulk import write_ntriples

pytestmark = pytest.mark.timed

#: Enough triples that writing them all out as TriG takes several times the limit.
TRIPLES = 300_000
LIMIT = 1


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    folder = tmp_path_factory.mktemp("dump")
    data = write_ntriples(folder / "big.nt", TRIPLES, "big")
    store = folder / "store"
    load = [sys.executable, "-m", "civicgraph", "load", "--store", str(store)]
    subprocess.run([*load, "--graph", "http://example.org/big", str(data)], check=True)
    env = {"CIVICGRAPH_LOAD_BUNDLED": "false", "CIVICGRAPH_QUERY_TIMEOUT": str(LIMIT)}
    server = LiveServer(store, env).start()
    yield server  # type: ignore[misc]
    server.stop()


@pytest.mark.server
@pytest.mark.parametrize(
    ("path", "accept"),
    [("/store", "application/trig"), ("/export/download?format=trig", None)],
    ids=["store", "export"],
)
def test_writing_out_the_whole_store_stops_at_the_time_limit(
    big_server: LiveServer, path: str, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    started = time.monotonic()
    answer = requests.get(big_server.url + path, headers=headers, timeout=60)
    assert answer.status_code == 503, answer.text[:200]
    assert time.monotonic() - started < LIMIT + 3
    assert "civicgraph export" in answer.json()["detail"]
    cheap = requests.get(big_server.url + "/sparql", params={"query": "ASK {}"}, timeout=10)
    assert cheap.status_code == 200


@pytest.mark.server
def test_head_of_the_whole_store_writes_nothing_out(big_server: LiveServer) -> None:
    started = time.monotonic()
    answer = requests.head(
        big_server.url + "/store", headers={"Accept": "application/trig"}, timeout=60
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/trig")
    assert "Content-Length" not in answer.headers  # unknown without writing it all out
    assert time.monotonic() - started < 0.5 * LIMIT
